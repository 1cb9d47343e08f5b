package io.eventgate.server.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A Lua script run with EVALSHA, falling back to EVAL when Redis does not know it (NOSCRIPT, e.g. after a restart). */
final class LuaScript {
    private final String source;
    private final String sha;

    LuaScript(String source) {
        this.source = source;
        this.sha = RedisSupport.sha1Hex(source.getBytes(StandardCharsets.UTF_8));
    }

    /** Runs the script; the reply is Redis's array reply (Longs, byte[]s, nested Lists, nulls). */
    CompletableFuture<List<Object>> run(RedisScriptingAsyncCommands<String, byte[]> commands, String[] keys,
                                        byte[]... args) {
        CompletableFuture<List<Object>> first = commands.<List<Object>>evalsha(sha, ScriptOutputType.MULTI, keys, args)
                .toCompletableFuture();
        return first.exceptionallyCompose(error -> {
            Throwable cause = RedisSupport.unwrap(error);
            if (cause instanceof RedisNoScriptException
                    || (cause.getMessage() != null && cause.getMessage().startsWith("NOSCRIPT"))) {
                return commands.<List<Object>>eval(source, ScriptOutputType.MULTI, keys, args).toCompletableFuture();
            }
            return CompletableFuture.failedFuture(cause);
        });
    }

    String sha() {
        return sha;
    }
}
