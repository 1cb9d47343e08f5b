package io.eventgate.server.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.protocol.Json;
import io.eventgate.server.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Interleaves publishes, abrupt disconnects and resumes across many acking clients. Each client must end up with
 * every event of its channels exactly once after de-duplication by eventId, first occurrences in seq order, or
 * have been told recovered:false.
 */
class RandomizedResumeIT {
    private static final int CLIENTS = 12;
    private static final int EVENTS = 1500;
    private static final String SHARED = "market:rand";

    @Test
    void everyAckingClientSeesEveryEventExactlyOnceInOrderAcrossResumes() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        try (TestGateway gateway = TestGateway.start(Map.of("GATEWAY_ACK_TIMEOUT", "2s",
                // The shared channel's events need ACKs too: every channel of an acking client is acknowledged.
                "GATEWAY_NAMESPACE_MARKET_ACK", "true"))) {
            List<Client> clients = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                Client c = new Client(gateway, "rand-" + i);
                c.connect(null);
                c.awaitConnected();
                c.send("{\"type\":\"subscribe\",\"id\":\"s\",\"channels\":[\"" + SHARED + "\"]}");
                await().atMost(Duration.ofSeconds(10)).until(() -> c.subscribed);
                clients.add(c);
            }
            Map<String, List<String>> published = new ConcurrentHashMap<>();
            AtomicBoolean publishing = new AtomicBoolean(true);
            Thread publisher = new Thread(() -> {
                Random r = new Random(seed + 1);
                for (int i = 0; i < EVENTS; i++) {
                    String channel = r.nextInt(3) == 0 ? SHARED : "user:rand-" + r.nextInt(CLIENTS);
                    JsonNode result = gateway.publish(channel, "{\"type\":\"tick\",\"i\":" + i + "}");
                    published.computeIfAbsent(channel, k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                            .add(result.path("eventId").asText());
                }
                publishing.set(false);
            });
            publisher.start();
            int resumes = 0;
            while (publishing.get() && resumes < 60) {
                Client c = clients.get(random.nextInt(CLIENTS));
                c.abort();
                await().atMost(Duration.ofSeconds(10)).until(() ->
                        gateway.server().gateway().hub().connectionsOf(c.user).isEmpty());
                c.connect(c.sessionId);
                c.awaitConnected();
                resumes++;
            }
            publisher.join(TimeUnit.MINUTES.toMillis(2));
            assertTrue(resumes > 5, "too few resumes interleaved with publishing: " + resumes + " (seed " + seed + ")");

            for (Client c : clients) {
                List<String> expectedUser = published.getOrDefault("user:" + c.user, List.of());
                List<String> expectedShared = published.getOrDefault(SHARED, List.of());
                if (c.notRecovered) {
                    continue;
                }
                try {
                    await().atMost(Duration.ofSeconds(30)).until(() -> c.firstSeen.keySet().containsAll(expectedUser)
                            && c.firstSeen.keySet().containsAll(expectedShared));
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    List<String> missing = new ArrayList<>();
                    for (String id : expectedUser) {
                        if (!c.firstSeen.containsKey(id)) {
                            missing.add("user:" + id);
                        }
                    }
                    for (String id : expectedShared) {
                        if (!c.firstSeen.containsKey(id)) {
                            missing.add("shared:" + id);
                        }
                    }
                    throw new AssertionError(c.user + " missed " + missing.size() + " events (seed " + seed + "): "
                            + missing.subList(0, Math.min(10, missing.size())) + "; log: " + c.log);
                }
                Map<String, Long> lastSeq = new HashMap<>();
                for (Map.Entry<String, String[]> e : c.firstOccurrences()) {
                    String channel = e.getValue()[0];
                    long seq = Long.parseLong(e.getValue()[1]);
                    assertTrue(channel.equals(SHARED) || channel.equals("user:" + c.user),
                            c.user + " received an event of " + channel);
                    Long previous = lastSeq.put(channel, seq);
                    assertTrue(previous == null || seq > previous, c.user + ": first occurrences out of seq order on "
                            + channel + ": " + previous + " then " + seq + " (seed " + seed + ")");
                }
                assertEquals(expectedUser.size() + expectedShared.size(), c.firstSeen.size(),
                        c.user + " received events it should not have");
            }
            clients.forEach(Client::abort);
        }
    }

    /** A resuming, acking client on the JDK WebSocket client. */
    static final class Client {
        final TestGateway gateway;
        final String user;
        final Map<String, String[]> firstSeen = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
        volatile String sessionId;
        volatile boolean connected;
        volatile boolean subscribed;
        volatile boolean notRecovered;
        volatile WebSocket socket;
        final List<String> log = java.util.Collections.synchronizedList(new ArrayList<>());

        Client(TestGateway gateway, String user) {
            this.gateway = gateway;
            this.user = user;
        }

        void connect(String resume) {
            connected = false;
            URI uri = gateway.wsUri("/api/v1/ws" + (resume == null ? "" : "?resume=" + resume));
            log.add("connect resume=" + resume + " seen=" + firstSeen.size());
            socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .header("Authorization", "Bearer " + gateway.token(user))
                    .buildAsync(uri, new Listener()).join();
        }

        void awaitConnected() {
            await().atMost(Duration.ofSeconds(10)).until(() -> connected);
        }

        void send(String text) {
            socket.sendText(text, true).join();
        }

        void abort() {
            socket.abort();
        }

        List<Map.Entry<String, String[]>> firstOccurrences() {
            synchronized (firstSeen) {
                return new ArrayList<>(firstSeen.entrySet());
            }
        }

        final class Listener implements WebSocket.Listener {
            private final StringBuilder partial = new StringBuilder();
            private CompletableFuture<?> sending = CompletableFuture.completedFuture(null);

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    handle(ws, partial.toString());
                    partial.setLength(0);
                }
                ws.request(1);
                return null;
            }

            private void handle(WebSocket ws, String text) {
                JsonNode n;
                try {
                    n = Json.MAPPER.readTree(text);
                } catch (Exception e) {
                    return;
                }
                String type = n.path("type").asText();
                if (n.has("seq") && n.has("eventId") && n.has("channel")) {
                    firstSeen.putIfAbsent(n.path("eventId").asText(),
                            new String[] {n.path("channel").asText(), n.path("seq").asText()});
                    reply(ws, "{\"type\":\"ack\",\"eventId\":\"" + n.path("eventId").asText() + "\"}");
                } else if ("connected".equals(type)) {
                    log.add("connected resumed=" + n.path("resumed") + " recovered=" + n.path("recovered")
                            + " subs=" + n.path("subscriptions") + " seen=" + firstSeen.size());
                    sessionId = n.path("sessionId").asText();
                    if (n.has("recovered") && !n.path("recovered").asBoolean() && n.path("resumed").asBoolean()) {
                        notRecovered = true;
                    }
                    connected = true;
                } else if ("subscribed".equals(type)) {
                    subscribed = true;
                } else if ("ping".equals(type)) {
                    reply(ws, "{\"type\":\"pong\"}");
                }
            }

            private synchronized void reply(WebSocket ws, String text) {
                sending = sending.thenCompose(v -> ws.sendText(text, true)).exceptionally(e -> null);
            }
        }
    }

}
