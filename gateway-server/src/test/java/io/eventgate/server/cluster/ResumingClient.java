package io.eventgate.server.cluster;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.protocol.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A client that behaves like a well-written application client: it acknowledges every event it receives (when
 * asked to), answers pings, and when the server closes the connection or the connection drops it reconnects at once
 * with {@code ?resume=<sessionId>} to the node chosen by {@code target} (a reconnect that fails is retried with a
 * short backoff). It records every frame, every close code and every {@code connected} frame, so tests can check
 * what arrived across connections.
 */
final class ResumingClient implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ScheduledExecutorService RECONNECTS = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "resuming-client-reconnect");
        t.setDaemon(true);
        return t;
    });

    final String user;
    private final String token;
    private final boolean autoAck;
    private volatile Function<String, URI> target;
    private volatile boolean autoResume = true;
    private volatile boolean closed;
    private volatile String sessionId;
    private volatile WebSocket socket;
    /** The listener of the current connection (it chains the sends of that connection). */
    private volatile Listener current;
    private volatile int connectionIndex;

    /** Event frames (they carry eventId, channel and seq) in arrival order, across connections. */
    private final List<JsonNode> events = Collections.synchronizedList(new ArrayList<>());
    /** Non-event, non-ping frames in arrival order. */
    private final List<JsonNode> controls = Collections.synchronizedList(new ArrayList<>());
    private final List<JsonNode> connectedFrames = Collections.synchronizedList(new ArrayList<>());
    private final List<Integer> closeCodes = Collections.synchronizedList(new ArrayList<>());
    /** Channel epochs as first reported by a subscribed/connected frame. */
    private final Map<String, String> epochs = Collections.synchronizedMap(new HashMap<>());
    final List<String> log = Collections.synchronizedList(new ArrayList<>());

    /**
     * @param target the node to (re)connect to, given the session id to resume (null on the first connect)
     */
    ResumingClient(String user, String token, boolean autoAck, Function<String, URI> target) {
        this.user = user;
        this.token = token;
        this.autoAck = autoAck;
        this.target = target;
    }

    /** Connects (fresh, or resuming {@link #sessionId()} when there is one) and waits for {@code connected}. */
    ResumingClient connect() {
        int before = connectedFrames.size();
        open();
        await().atMost(ClusterSupport.WAIT).until(() -> connectedFrames.size() > before);
        return this;
    }

    void target(Function<String, URI> target) {
        this.target = target;
    }

    void autoResume(boolean enabled) {
        this.autoResume = enabled;
    }

    private synchronized void open() {
        URI uri = target.apply(sessionId);
        int index = ++connectionIndex;
        log.add("connect #" + index + " " + uri);
        socket = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                .header("Authorization", "Bearer " + token)
                .buildAsync(uri, new Listener(index)).join();
    }

    private void reconnectSoon(long delayMillis, int attempt) {
        if (closed || !autoResume) {
            return;
        }
        RECONNECTS.schedule(() -> {
            if (closed || !autoResume) {
                return;
            }
            try {
                open();
            } catch (RuntimeException e) {
                log.add("reconnect attempt " + attempt + " failed: " + e);
                if (attempt < 100) {
                    reconnectSoon(Math.min(1_000, 50L * attempt), attempt + 1);
                }
            }
        }, delayMillis, TimeUnit.MILLISECONDS);
    }

    /** Sends a text frame on the current connection (sends are chained: the JDK client allows one at a time). */
    void send(String json) {
        WebSocket ws = socket;
        Listener listener = current;
        if (listener != null) {
            listener.reply(ws, json);
        }
    }

    /** Sends a {@code subscribe} with {@code id} and waits for its {@code subscribed} reply. */
    JsonNode subscribe(String id, String body) {
        send("{\"type\":\"subscribe\",\"id\":\"" + id + "\"," + body + "}");
        return awaitControl(n -> "subscribed".equals(n.path("type").asText()) && id.equals(n.path("ref").asText()));
    }

    JsonNode awaitControl(java.util.function.Predicate<JsonNode> predicate) {
        JsonNode[] found = new JsonNode[1];
        await().atMost(ClusterSupport.WAIT).until(() -> {
            synchronized (controls) {
                for (JsonNode n : controls) {
                    if (predicate.test(n)) {
                        found[0] = n;
                        return true;
                    }
                }
            }
            return false;
        });
        return found[0];
    }

    String sessionId() {
        return sessionId;
    }

    List<JsonNode> connectedFrames() {
        synchronized (connectedFrames) {
            return List.copyOf(connectedFrames);
        }
    }

    List<Integer> closeCodes() {
        synchronized (closeCodes) {
            return List.copyOf(closeCodes);
        }
    }

    List<JsonNode> events() {
        synchronized (events) {
            return List.copyOf(events);
        }
    }

    /** The first occurrence of every eventId, in arrival order (what a de-duplicating application keeps). */
    Map<String, JsonNode> firstOccurrences() {
        Map<String, JsonNode> first = new LinkedHashMap<>();
        for (JsonNode e : events()) {
            first.putIfAbsent(e.path("eventId").asText(), e);
        }
        return first;
    }

    /** First occurrences of one channel, in arrival order. */
    List<JsonNode> firstOccurrences(String channel) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode e : firstOccurrences().values()) {
            if (channel.equals(e.path("channel").asText())) {
                out.add(e);
            }
        }
        return out;
    }

    /** The highest s such that seqs 1..s of {@code channel} all arrived (channels that start at seq 1). */
    long contiguousPrefix(String channel) {
        java.util.Set<Long> seqs = new java.util.HashSet<>();
        for (JsonNode e : events()) {
            if (channel.equals(e.path("channel").asText())) {
                seqs.add(e.path("seq").asLong());
            }
        }
        long s = 0;
        while (seqs.contains(s + 1)) {
            s++;
        }
        return s;
    }

    String epoch(String channel) {
        return epochs.get(channel);
    }

    /** Drops the connection without a close handshake (like a network failure); auto-resume applies. */
    void abort() {
        WebSocket ws = socket;
        if (ws != null) {
            ws.abort();
        }
    }

    @Override
    public void close() {
        closed = true;
        abort();
    }

    private final class Listener implements WebSocket.Listener {
        private final int index;
        private final StringBuilder partial = new StringBuilder();
        private CompletableFuture<?> sending = CompletableFuture.completedFuture(null);
        private boolean ended;

        Listener(int index) {
            this.index = index;
        }

        @Override
        public void onOpen(WebSocket ws) {
            current = this;
            ws.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                handle(ws, text);
            }
            ws.request(1);
            return null;
        }

        private void handle(WebSocket ws, String text) {
            JsonNode n;
            try {
                n = Json.MAPPER.readTree(text);
            } catch (Exception e) {
                log.add("unparseable frame: " + text);
                return;
            }
            String type = n.path("type").asText();
            if (n.hasNonNull("eventId") && n.hasNonNull("channel") && n.hasNonNull("seq")) {
                events.add(n);
                if (autoAck) {
                    reply(ws, "{\"type\":\"ack\",\"eventId\":\"" + n.path("eventId").asText() + "\"}");
                }
                return;
            }
            switch (type) {
                case "ping" -> reply(ws, "{\"type\":\"pong\"}");
                case "connected" -> {
                    sessionId = n.path("sessionId").asText();
                    rememberEpochs(n);
                    log.add("#" + index + " connected resumed=" + n.path("resumed") + " recovered="
                            + n.path("recovered") + " events so far=" + events.size());
                    connectedFrames.add(n);
                }
                case "subscribed" -> {
                    rememberEpochs(n);
                    controls.add(n);
                }
                default -> controls.add(n);
            }
        }

        private void rememberEpochs(JsonNode n) {
            for (JsonNode s : n.path("subscriptions")) {
                if (s.hasNonNull("epoch")) {
                    epochs.putIfAbsent(s.path("channel").asText(), s.path("epoch").asText());
                }
            }
        }

        synchronized void reply(WebSocket ws, String text) {
            sending = sending.thenCompose(v -> ws.sendText(text, true)).exceptionally(e -> null);
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            ended(statusCode, reason);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            ended(1006, String.valueOf(error));
        }

        private synchronized void ended(int code, String reason) {
            if (ended) {
                return;
            }
            ended = true;
            closeCodes.add(code);
            log.add("#" + index + " closed " + code + " " + reason + " events so far=" + events.size());
            if (!closed && autoResume) {
                reconnectSoon(0, 1);
            }
        }
    }
}
