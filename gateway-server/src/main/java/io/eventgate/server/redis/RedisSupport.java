package io.eventgate.server.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Lettuce client set-up shared by {@link RedisEngine} and {@link RedisIngress}. */
final class RedisSupport {
    /** Keys are strings, values raw bytes (event JSON passes through untouched). */
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private static final SecureRandom RANDOM = new SecureRandom();

    private RedisSupport() {}

    /**
     * A client with its own small thread pools: RESP3 (pub/sub connections can run ordinary commands, Redis 6.2+
     * required anyway for XAUTOCLAIM and XTRIM MINID), commands rejected while disconnected (never buffered without
     * bound), a per-command timeout, TCP keep-alive and user timeout so a half-open connection is dropped and
     * re-established, and reconnect attempts at most {@code maxReconnectDelay} apart.
     */
    static RedisClient client(String redisUrl, Duration commandTimeout, int ioThreads) {
        RedisURI uri = RedisURI.create(redisUrl);
        uri.setTimeout(commandTimeout);
        ClientResources resources = DefaultClientResources.builder()
                .ioThreadPoolSize(ioThreads)
                .computationThreadPoolSize(1)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .protocolVersion(ProtocolVersion.RESP3)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .requestQueueSize(100_000)
                .suspendReconnectOnProtocolFailure(false)
                .timeoutOptions(TimeoutOptions.enabled()) // each connection's timeout (the URI's unless set)
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(commandTimeout)
                        .tcpNoDelay(true)
                        .keepAlive(SocketOptions.KeepAliveOptions.builder().enable()
                                .idle(Duration.ofSeconds(5)).interval(Duration.ofSeconds(1)).count(3).build())
                        .tcpUserTimeout(SocketOptions.TcpUserTimeoutOptions.builder().enable()
                                .tcpUserTimeout(Duration.ofSeconds(10)).build())
                        .build())
                .build());
        return client;
    }

    /** Shuts a client and its resources down, waiting at most about two seconds. */
    static void shutdown(RedisClient client) {
        if (client == null) {
            return;
        }
        ClientResources resources = client.getResources();
        try {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        } catch (RuntimeException e) {
            // best effort
        }
        try {
            resources.shutdown(0, 2, TimeUnit.SECONDS).get(3, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            // best effort
        }
    }

    /** A random stream epoch (base 36, like the memory engine's). */
    static String newEpoch() {
        return Long.toString(RANDOM.nextLong() >>> 1, 36);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String string(Object redisValue) {
        if (redisValue == null) {
            return null;
        }
        if (redisValue instanceof byte[] b) {
            return new String(b, StandardCharsets.UTF_8);
        }
        return redisValue.toString();
    }

    static long number(Object redisValue) {
        if (redisValue instanceof Number n) {
            return n.longValue();
        }
        return Long.parseLong(string(redisValue));
    }

    static String sha1Hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The underlying failure of a future's exception. */
    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** A short, human reason for a Redis failure (for health output and errors). */
    static String reason(Throwable t) {
        t = unwrap(t);
        if (t instanceof io.lettuce.core.RedisCommandTimeoutException) {
            return "command timed out";
        }
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() != null ? root.getMessage() : t.getMessage();
        if (message == null) {
            message = root.getClass().getSimpleName();
        }
        if (t instanceof RedisException && message.startsWith("Currently not connected")) {
            return "not connected";
        }
        message = message.replaceAll("(?i)redis(s)?://[^@\\s]*@", "redis$1://***@");
        return message.length() > 200 ? message.substring(0, 200) : message;
    }
}
