package io.eventgate.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A test client on the JDK's own WebSocket implementation (java.net.http), so the server is checked against a
 * client nobody here wrote. Collects every text frame; records the close code.
 */
public final class WsClient implements AutoCloseable {
    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final LinkedBlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
    private final List<JsonNode> all = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Map<JsonNode, String> raw = java.util.Collections.synchronizedMap(new IdentityHashMap<>());
    private final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    private final LinkedBlockingQueue<ByteBuffer> pongs = new LinkedBlockingQueue<>();
    private volatile String closeReason;
    private volatile boolean autoPong = true;
    private WebSocket socket;

    private WsClient() {}

    public static WsClient connect(URI uri, String bearerToken) {
        return connect(uri, bearerToken, Map.of());
    }

    /** Like {@link #connect(URI, String)}, with extra handshake headers (e.g. {@code Origin}). */
    public static WsClient connect(URI uri, String bearerToken, Map<String, String> headers) {
        WsClient client = new WsClient();
        try {
            var builder = builder(bearerToken, headers);
            client.socket = builder.buildAsync(uri, client.listener()).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            return client;
        } catch (Exception e) {
            throw new IllegalStateException("connect failed: " + e, e);
        }
    }

    /** Tries to connect and returns the handshake failure's HTTP status and body; fails if the upgrade succeeds. */
    public static WebSocketHandshakeException refused(URI uri, String bearerToken) {
        return refused(uri, bearerToken, Map.of());
    }

    /** Like {@link #refused(URI, String)}, with extra handshake headers (e.g. {@code Origin}). */
    public static WebSocketHandshakeException refused(URI uri, String bearerToken, Map<String, String> headers) {
        try {
            var builder = builder(bearerToken, headers);
            WebSocket ws = builder.buildAsync(uri, new WebSocket.Listener() {}).join();
            ws.abort();
            throw new AssertionError("upgrade unexpectedly succeeded");
        } catch (CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                return h;
            }
            throw new AssertionError("expected a refused handshake, got " + e.getCause(), e.getCause());
        }
    }

    private static WebSocket.Builder builder(String bearerToken, Map<String, String> headers) {
        var builder = HTTP.newWebSocketBuilder().connectTimeout(TIMEOUT);
        if (bearerToken != null) {
            builder.header("Authorization", "Bearer " + bearerToken);
        }
        headers.forEach(builder::header);
        return builder;
    }

    /** The body of a refused handshake's HTTP response, as text. */
    public static String body(WebSocketHandshakeException refused) {
        Object body = refused.getResponse().body();
        return body instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(body);
    }

    /** Whether a frame is an event (it carries the gateway's {@code eventId}, {@code channel} and {@code seq}). */
    public static boolean isEvent(JsonNode frame) {
        return frame.hasNonNull("eventId") && frame.hasNonNull("channel") && frame.hasNonNull("seq");
    }

    private WebSocket.Listener listener() {
        return new WebSocket.Listener() {
            private final StringBuilder partial = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    String text = partial.toString();
                    partial.setLength(0);
                    try {
                        JsonNode node = Json.MAPPER.readTree(text);
                        if (autoPong && "ping".equals(node.path("type").asText())) {
                            ws.sendText("{\"type\":\"pong\"}", true);
                        }
                        raw.put(node, text);
                        all.add(node);
                        frames.add(node);
                    } catch (Exception e) {
                        frames.add(Json.MAPPER.createObjectNode().put("type", "__unparseable").put("text", text));
                    }
                }
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
                ByteBuffer copy = ByteBuffer.allocate(message.remaining());
                copy.put(message).flip();
                pongs.add(copy);
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
                closeReason = reason;
                closeCode.complete(statusCode);
                return null;
            }

            @Override
            public void onError(WebSocket ws, Throwable error) {
                closeCode.complete(1006);
            }
        };
    }

    public void autoPong(boolean enabled) {
        this.autoPong = enabled;
    }

    public void send(String json) {
        socket.sendText(json, true).join();
    }

    public WebSocket socket() {
        return socket;
    }

    /** The next frame (any type), or AssertionError after the timeout. */
    public JsonNode next() {
        try {
            JsonNode node = frames.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (node == null) {
                throw new AssertionError("no frame within " + TIMEOUT);
            }
            return node;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The next frame matching {@code predicate}, skipping others (pings included). */
    public JsonNode await(Predicate<JsonNode> predicate) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                JsonNode node = frames.poll(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
                if (node != null && predicate.test(node)) {
                    return node;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("no matching frame within " + TIMEOUT + "; frames so far: " + all);
    }

    /** The next event frame (see {@link #isEvent}), skipping control frames. */
    public JsonNode awaitEvent() {
        return await(WsClient::isEvent);
    }

    /** The exact text of a frame this client received (numbers as written on the wire, field order kept). */
    public String raw(JsonNode frame) {
        String text = raw.get(frame);
        if (text == null) {
            throw new IllegalArgumentException("not a frame received by this client: " + frame);
        }
        return text;
    }

    public JsonNode awaitType(String type) {
        return await(n -> type.equals(n.path("type").asText()));
    }

    /** How many JSON {@code {"type":"ping"}} heartbeat frames arrived so far. */
    public int pingsReceived() {
        synchronized (all) {
            return (int) all.stream().filter(n -> "ping".equals(n.path("type").asText())).count();
        }
    }

    /** The payload of the next WebSocket-level pong frame, or AssertionError after the timeout. */
    public ByteBuffer awaitPong() {
        try {
            ByteBuffer pong = pongs.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            if (pong == null) {
                throw new AssertionError("no pong frame within " + TIMEOUT);
            }
            return pong;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Pong frames received and not yet taken by {@link #awaitPong()}. */
    public int pongsQueued() {
        return pongs.size();
    }

    /** Frames received so far that are not pings. */
    public List<JsonNode> received() {
        synchronized (all) {
            return all.stream().filter(n -> !"ping".equals(n.path("type").asText())).toList();
        }
    }

    /** Removes queued frames (e.g. after the ones a test has already checked). */
    public void drain() {
        frames.clear();
    }

    /** Polls for a frame for {@code wait}; returns null if none arrives (used to assert that nothing is delivered). */
    public JsonNode poll(Duration wait) {
        try {
            return frames.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Waits for the server to close; returns the close code (1006 when the connection dropped). */
    public int awaitClose() {
        try {
            return closeCode.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("connection not closed within " + TIMEOUT, e);
        }
    }

    public boolean isClosed() {
        return closeCode.isDone();
    }

    public String closeReason() {
        return closeReason;
    }

    public void sendBinary(byte[] data) {
        socket.sendBinary(ByteBuffer.wrap(data), true).join();
    }

    @Override
    public void close() {
        if (socket != null && !closeCode.isDone()) {
            socket.abort();
        }
    }
}
