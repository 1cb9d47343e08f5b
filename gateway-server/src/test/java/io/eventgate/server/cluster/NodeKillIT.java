package io.eventgate.server.cluster;

import static io.eventgate.server.cluster.ClusterSupport.WAIT;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.server.cluster.ClusterSupport.FreshDatabase;
import io.eventgate.server.cluster.ClusterSupport.Redis;
import io.eventgate.server.cluster.ClusterSupport.Reply;
import io.eventgate.server.testing.GatewayProcess;
import io.eventgate.server.testing.TestGateway;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Gateway nodes as separate processes sharing Redis and PostgreSQL; the node holding the clients is killed with
 * kill -9 while a publisher streams events through another node, and the clients resume on a third.
 */
class NodeKillIT {
    private static final int CLIENTS = 12;
    private static final int EVENTS = 480;
    private static final TestGateway.Tokens TOKENS = new TestGateway.Tokens();

    private static Map<String, String> env(String prefix, FreshDatabase db, String nodeId) {
        Map<String, String> env = new HashMap<>();
        env.put("GATEWAY_REDIS_URL", ClusterSupport.SHARED_REDIS);
        env.put("GATEWAY_REDIS_PREFIX", prefix);
        env.put("GATEWAY_NODE_ID", nodeId);
        env.put("GATEWAY_DB_URL", db.url());
        env.put("GATEWAY_DB_USER", FreshDatabase.USER);
        // Every channel of an acking client is acknowledged.
        env.put("GATEWAY_NAMESPACE_MARKET_ACK", "true");
        // The clients ack everything: no connection-level redelivery should be needed within the test.
        env.put("GATEWAY_ACK_TIMEOUT", "30s");
        env.put("GATEWAY_SHUTDOWN_TIMEOUT", "2s");
        return env;
    }

    /** Published events (200 answers) in publish order, per channel; other answers separately. */
    private static final class Published {
        final Map<String, List<String>> ok = new ConcurrentHashMap<>();
        final List<String> failed = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger attempts = new AtomicInteger();

        List<String> of(String channel) {
            return ok.getOrDefault(channel, List.of());
        }
    }

    @Test
    void clientsOfAKilledNodeResumeOnAnotherNodeAndGetEveryAcceptedEventOnceInOrder() throws Exception {
        String prefix = ClusterSupport.uniquePrefix("kill");
        String market = "market:kill-" + ClusterSupport.random();
        List<GatewayProcess> processes = new ArrayList<>();
        List<ResumingClient> clients = new ArrayList<>();
        try (FreshDatabase db = FreshDatabase.create(); Redis redis = new Redis(ClusterSupport.SHARED_REDIS)) {
            try {
                List<CompletableFuture<GatewayProcess>> starting = new ArrayList<>();
                for (String id : List.of("kill-a", "kill-b", "kill-c")) {
                    Map<String, String> env = env(prefix, db, id);
                    starting.add(CompletableFuture.supplyAsync(() ->
                            GatewayProcess.start(GatewayProcess.freePort(), env)));
                }
                for (CompletableFuture<GatewayProcess> f : starting) {
                    processes.add(f.join());
                }
                GatewayProcess a = processes.get(0);
                GatewayProcess b = processes.get(1);
                GatewayProcess c = processes.get(2);
                String suffix = ClusterSupport.random();

                // Clients on A, each subscribed to its user channel and the shared market channel. Half of them
                // subscribe twice: the second save of the session carries the position the first subscribe reply
                // reported (see aChannelSubscribedOnAKilledNodeIsRecoveredOnAnotherNode).
                for (int i = 0; i < CLIENTS; i++) {
                    String user = "k" + i + "-" + suffix;
                    ResumingClient client = new ResumingClient(user, TOKENS.token(user), true,
                            sid -> ClusterSupport.ws(a.port(), sid));
                    clients.add(client);
                    client.connect();
                    client.subscribe("s1", "\"channels\":[\"" + market + "\"]");
                    if (i % 2 == 0) {
                        client.subscribe("s2", "\"channels\":[\"" + market + "\"]");
                    }
                }
                for (int i = 0; i < CLIENTS; i++) {
                    String session = clients.get(i).sessionId();
                    String positioned = i % 2 == 0 ? " AND epoch IS NOT NULL" : "";
                    await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM websocket_subscriptions"
                            + " WHERE session_id = ?" + positioned, session) == 2);
                }

                Published published = new Published();
                AtomicBoolean publishing = new AtomicBoolean(true);
                Thread publisher = new Thread(() -> {
                    try {
                        for (int i = 0; i < EVENTS; i++) {
                            String channel = i % 2 == 0 ? market
                                    : "user:" + clients.get((i / 2) % CLIENTS).user;
                            Reply r;
                            try {
                                r = ClusterSupport.publish(ClusterSupport.http(c.port()), channel,
                                        "{\"type\":\"tick\",\"i\":" + i + ",\"amount\":50000.00}");
                            } catch (RuntimeException e) {
                                published.failed.add(channel + " " + e);
                                continue;
                            } finally {
                                published.attempts.incrementAndGet();
                            }
                            if (r.status() == 200) {
                                published.ok.computeIfAbsent(channel,
                                        k -> Collections.synchronizedList(new ArrayList<>()))
                                        .add(r.json().path("eventId").asText());
                            } else {
                                published.failed.add(channel + " " + r.status() + " " + r.body());
                            }
                        }
                    } finally {
                        publishing.set(false);
                    }
                }, "node-kill-publisher");
                publisher.start();

                // Reconnects go to B from now on; kill -9 A while the stream is flowing.
                for (ResumingClient client : clients) {
                    client.target(sid -> ClusterSupport.ws(b.port(), sid));
                }
                await().atMost(WAIT).until(() -> published.attempts.get() >= EVENTS / 4);
                a.kill();
                await().atMost(WAIT).until(() -> clients.stream().allMatch(cl -> cl.connectedFrames().size() >= 2));
                await().atMost(Duration.ofMinutes(1)).until(() -> !publishing.get());
                assertTrue(published.failed.isEmpty(), "node C kept answering 200: " + published.failed);
                assertEquals(EVENTS, published.ok.values().stream().mapToInt(List::size).sum());

                Map<String, String> summary = new LinkedHashMap<>();
                for (int i = 0; i < CLIENTS; i++) {
                    ResumingClient client = clients.get(i);
                    String userChannel = "user:" + client.user;
                    List<JsonNode> connected = client.connectedFrames();
                    assertEquals(2, connected.size(), client.user + " connected once more, on B: " + client.log);
                    JsonNode resume = connected.get(1);
                    assertTrue(resume.path("resumed").asBoolean(),
                            client.user + ": the session written by A is found by B in PostgreSQL: " + resume);
                    boolean recovered = resume.path("recovered").asBoolean();
                    List<String> expectedUser = published.of(userChannel);
                    List<String> expectedMarket = published.of(market);

                    // Every user-channel event answered 200 arrives, by pending redelivery when not recovered.
                    awaitAll(client, userChannel, expectedUser);
                    assertInSeqOrder(client, userChannel);
                    if (recovered) {
                        awaitAll(client, market, expectedMarket);
                        assertInSeqOrder(client, market);
                    } else {
                        // Not recovered: the client recovers the shared channel itself with subscribe + since
                        // from the last position it holds (PROTOCOL 9.4), on the new node.
                        long since = client.contiguousPrefix(market);
                        JsonNode reply = client.subscribe("since", "\"channels\":[\"" + market + "\"],\"since\":{\""
                                + market + "\":{\"seq\":" + since + ",\"epoch\":\"" + client.epoch(market) + "\"}}");
                        JsonNode state = stateOf(reply, market);
                        assertTrue(state.path("recovered").asBoolean(), client.user + ": since recovery " + reply);
                        awaitAll(client, market, expectedMarket);
                    }
                    // Nothing else arrived: exactly the accepted events of its two channels, each once.
                    Set<String> expected = new HashSet<>(expectedUser);
                    expected.addAll(expectedMarket);
                    assertEquals(expected, client.firstOccurrences().keySet(), client.user + " got unexpected events");
                    long redelivered = client.events().stream().filter(e -> e.path("redelivered").asBoolean()).count();
                    summary.put(client.user, "resubscribed=" + (i % 2 == 0) + " recovered=" + recovered
                            + " frames=" + client.events().size() + " distinct=" + expected.size()
                            + " redelivered=" + redelivered + " closes=" + client.closeCodes());
                }
                System.out.println("NodeKillIT: killed A after " + EVENTS / 4 + "+ of " + EVENTS + " publishes");
                summary.forEach((user, line) -> System.out.println("NodeKillIT: " + user + " " + line));
            } finally {
                clients.forEach(ResumingClient::close);
                processes.forEach(GatewayProcess::close);
                redis.deleteByPrefix(prefix);
            }
        }
    }

    /**
     * A client subscribes once on node A, receives some events and A is killed: the session A saved for that
     * subscription must let node B recover the channel from Redis history (nothing was lost: history holds every
     * event of the stream).
     */
    @Test
    void aChannelSubscribedOnAKilledNodeIsRecoveredOnAnotherNode() throws Exception {
        String prefix = ClusterSupport.uniquePrefix("kill1");
        String market = "market:kill1-" + ClusterSupport.random();
        String user = "single-" + ClusterSupport.random();
        try (FreshDatabase db = FreshDatabase.create(); Redis redis = new Redis(ClusterSupport.SHARED_REDIS)) {
            GatewayProcess a = null;
            TestGateway b = null;
            ResumingClient client = null;
            try {
                a = GatewayProcess.start(GatewayProcess.freePort(), env(prefix, db, "kill1-a"));
                b = TestGateway.start(env(prefix, db, "kill1-b"));
                int aPort = a.port();
                int bPort = b.port();
                client = new ResumingClient(user, TOKENS.token(user), true, sid -> ClusterSupport.ws(aPort, sid));
                client.autoResume(false);
                client.connect();
                client.subscribe("s1", "\"channels\":[\"" + market + "\"]");
                String session = client.sessionId();
                await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM websocket_subscriptions"
                        + " WHERE session_id = ?", session) == 2);
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    Reply r = ClusterSupport.publish(ClusterSupport.http(bPort), market, "{\"type\":\"tick\",\"i\":" + i
                            + "}");
                    assertEquals(200, r.status(), r.body());
                    ids.add(r.json().path("eventId").asText());
                }
                ResumingClient watching = client;
                await().atMost(WAIT).until(() -> watching.firstOccurrences().keySet().containsAll(ids));
                List<List<Object>> saved = db.rows("SELECT channel, seq, epoch FROM websocket_subscriptions"
                        + " WHERE session_id = ? ORDER BY channel", session);
                a.kill();

                client.target(sid -> ClusterSupport.ws(bPort, sid));
                client.connect();
                JsonNode resume = client.connectedFrames().get(1);
                assertTrue(resume.path("resumed").asBoolean(), resume.toString());
                assertTrue(resume.path("recovered").asBoolean(), "expected recovered:true: Redis history still holds"
                        + " every event of " + market + " and of the user channel, but the resume on B answered "
                        + resume + "; the session A saved in PostgreSQL is (channel, seq, epoch) " + saved);
            } finally {
                if (client != null) {
                    client.close();
                }
                if (b != null) {
                    b.close();
                }
                if (a != null) {
                    a.close();
                }
                redis.deleteByPrefix(prefix);
            }
        }
    }

    private static JsonNode stateOf(JsonNode reply, String channel) {
        for (JsonNode s : reply.path("subscriptions")) {
            if (channel.equals(s.path("channel").asText())) {
                return s;
            }
        }
        throw new AssertionError("no state for " + channel + " in " + reply);
    }

    private static void awaitAll(ResumingClient client, String channel, List<String> expected) {
        try {
            await().atMost(WAIT).until(() -> client.firstOccurrences().keySet().containsAll(expected));
        } catch (ConditionTimeoutException e) {
            Set<String> got = client.firstOccurrences().keySet();
            List<String> missing = expected.stream().filter(id -> !got.contains(id)).toList();
            throw new AssertionError(client.user + " is missing " + missing.size() + " of " + expected.size()
                    + " accepted events of " + channel + ": " + missing.subList(0, Math.min(10, missing.size()))
                    + "; connected frames " + client.connectedFrames() + "; log " + client.log, e);
        }
    }

    /** First occurrences of the channel's events arrive in strictly increasing seq order. */
    private static void assertInSeqOrder(ResumingClient client, String channel) {
        long previous = 0;
        for (JsonNode e : client.firstOccurrences(channel)) {
            long seq = e.path("seq").asLong();
            assertTrue(seq > previous, client.user + ": " + channel + " seq " + seq + " after " + previous
                    + " (first occurrences, arrival order)");
            previous = seq;
        }
    }
}
