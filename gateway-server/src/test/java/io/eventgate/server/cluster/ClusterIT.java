package io.eventgate.server.cluster;

import static io.eventgate.server.cluster.ClusterSupport.WAIT;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.server.cluster.ClusterSupport.FreshDatabase;
import io.eventgate.server.cluster.ClusterSupport.Redis;
import io.eventgate.server.cluster.ClusterSupport.Reply;
import io.eventgate.server.redis.RedisEngine;
import io.eventgate.server.testing.SseClient;
import io.eventgate.server.testing.TestGateway;
import io.eventgate.server.testing.WsClient;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three gateway nodes (in-process) sharing one Redis prefix and one PostgreSQL database. A client on node A must
 * receive, exactly once and in seq order, events that enter the cluster through every ingress path: node B's REST
 * API, the best-effort {@code PUBLISH <prefix>:publish}, the durable {@code XADD <prefix>:ingress} and the
 * PostgreSQL outbox.
 */
class ClusterIT {
    private static final int PER_PATH = 50;

    private static FreshDatabase db;
    private static Redis redis;
    private static String prefix;
    private static final List<TestGateway> nodes = new ArrayList<>();

    @BeforeAll
    static void startCluster() {
        db = FreshDatabase.create();
        redis = new Redis(ClusterSupport.SHARED_REDIS);
        prefix = ClusterSupport.uniquePrefix("cluster");
        for (String id : List.of("node-a", "node-b", "node-c")) {
            nodes.add(TestGateway.start(Map.of(
                    "GATEWAY_REDIS_URL", ClusterSupport.SHARED_REDIS,
                    "GATEWAY_REDIS_PREFIX", prefix,
                    "GATEWAY_NODE_ID", id,
                    "GATEWAY_DB_URL", db.url(),
                    "GATEWAY_DB_USER", FreshDatabase.USER,
                    "GATEWAY_OUTBOX_POLL_INTERVAL", "200ms",
                    "GATEWAY_REDIS_DEDUPE_TTL", "1h",
                    // The resume's second look at the pending store comes one ACK timeout after the resume.
                    "GATEWAY_ACK_TIMEOUT", "1s")));
        }
        await().atMost(WAIT).until(db::migrated);
        for (TestGateway node : nodes) {
            await().atMost(WAIT).until(() -> node.get("/health/ready").status() == 200);
        }
    }

    @AfterAll
    static void stopCluster() {
        for (TestGateway node : nodes) {
            node.close();
        }
        if (redis != null) {
            redis.deleteByPrefix(prefix);
            redis.close();
        }
        if (db != null) {
            db.close();
        }
    }

    private static String event(String path, int n) {
        return "{\"type\":\"tick\",\"path\":\"" + path + "\",\"n\":" + n + ",\"price\":0.50}";
    }

    private static String ingressBody(String channel, String path, int n) {
        return "{\"channel\":\"" + channel + "\",\"event\":" + event(path, n) + "}";
    }

    private static long receivedOfPath(ResumingClient client, String path) {
        return client.events().stream().filter(e -> path.equals(e.path("path").asText())).count();
    }

    /**
     * Server-Sent Events across nodes: a stream on node A gets what node C publishes; after it drops, the same
     * session resumes on node B with {@code Last-Event-ID} (the sessions live in PostgreSQL, history in Redis) and
     * gets what was published meanwhile, in order; client messages go to the node that holds the stream.
     */
    @Test
    void anSseStreamResumesOnAnotherNodeByLastEventIdAndReceivesWhatItMissed() {
        TestGateway a = nodes.get(0);
        TestGateway b = nodes.get(1);
        TestGateway c = nodes.get(2);
        String user = "sse-" + ClusterSupport.random();
        String channel = "market:sse-" + ClusterSupport.random();
        SseClient first = a.sse(user, "&channels=" + channel);
        first.awaitType("subscribed");
        String sessionId = first.connected().path("sessionId").asText();
        c.publish(channel, event("sse", 1));
        assertEquals(1, first.await(WsClient::isEvent).path("n").asInt());
        first.close();
        await().atMost(WAIT).until(() -> a.server().gateway().hub().connectionsOf(user).isEmpty());
        c.publish(channel, event("sse", 2));
        c.publish(channel, event("sse", 3));

        SseClient second = SseClient.open(b.port(), "/api/v1/sse?token=" + b.token(user) + "&channels=" + channel,
                Map.of("Last-Event-ID", sessionId));
        JsonNode connected = second.awaitType("connected");
        assertTrue(connected.path("resumed").asBoolean(), connected.toString());
        assertTrue(connected.path("recovered").asBoolean(), connected.toString());
        assertEquals(sessionId, connected.path("sessionId").asText());
        List<Integer> seen = new ArrayList<>();
        while (!seen.contains(3)) {
            seen.add(second.await(WsClient::isEvent).path("n").asInt());
        }
        // The session A saved at disconnect may reach PostgreSQL after B read it; B then replays from the position
        // of A's last earlier save (its subscribe), i.e. event 1 again. Never a gap, never out of order.
        assertTrue(seen.equals(List.of(2, 3)) || seen.equals(List.of(1, 2, 3)), seen.toString());

        String connectionId = connected.path("connectionId").asText();
        String ping = "{\"type\":\"ping\",\"id\":\"x\"}";
        assertEquals(404, a.postToStream(connectionId, a.token(user), ping).status(), "not A's stream");
        assertEquals(202, b.postToStream(connectionId, b.token(user), ping).status());
        assertEquals("x", second.awaitType("pong").path("ref").asText());
        second.close();
    }

    @Test
    void aClientOnOneNodeReceivesEveryIngressPathExactlyOnceInSeqOrder() throws Exception {
        TestGateway a = nodes.get(0);
        TestGateway b = nodes.get(1);
        String channel = "market:cluster-" + ClusterSupport.random();
        String user = "watcher-" + ClusterSupport.random();
        ResumingClient client = new ResumingClient(user, a.token(user), false, sid -> ClusterSupport.ws(a.port(), sid));
        client.autoResume(false);
        client.connect();
        JsonNode subscribed = client.subscribe("s1", "\"channels\":[\"" + channel + "\"]");
        String epoch = client.epoch(channel);
        assertTrue(epoch != null, "subscribed carries the channel's epoch: " + subscribed);

        // 1. REST on node B (the client is on node A).
        Map<String, Long> restSeqs = new HashMap<>();
        for (int i = 0; i < PER_PATH; i++) {
            Reply r = ClusterSupport.publish(ClusterSupport.http(b.port()), channel, event("rest", i));
            assertEquals(200, r.status(), r.body());
            assertEquals(epoch, r.json().path("epoch").asText(), "one stream epoch across nodes");
            restSeqs.put(r.json().path("eventId").asText(), r.json().path("seq").asLong());
        }
        await().atMost(WAIT).until(() -> receivedOfPath(client, "rest") >= PER_PATH);

        // 2. Best-effort PUBLISH <prefix>:publish: every node subscribes, exactly one claims each message. The
        // messages carry no eventId, so a message claimed by two nodes would show up twice (the engine's eventId
        // de-duplication could not hide it).
        String publishChannel = prefix + ":publish";
        await().atMost(WAIT).until(() -> redis.sync().pubsubNumsub(publishChannel).get(publishChannel) == 3);
        for (int i = 0; i < PER_PATH; i++) {
            long receivers = redis.sync().publish(publishChannel, ingressBody(channel, "pubsub", i));
            assertEquals(3, receivers, "every node receives the message");
        }
        await().atMost(WAIT).until(() -> receivedOfPath(client, "pubsub") >= PER_PATH);

        // 3. Durable XADD <prefix>:ingress (consumer group shared by the nodes).
        String stream = prefix + ":ingress";
        await().atMost(WAIT).ignoreExceptions().until(() -> !redis.sync().xinfoGroups(stream).isEmpty());
        for (int i = 0; i < PER_PATH; i++) {
            redis.sync().xadd(stream, Map.of("payload", ingressBody(channel, "xadd", i)));
        }
        await().atMost(WAIT).until(() -> receivedOfPath(client, "xadd") >= PER_PATH);

        // 4. The PostgreSQL outbox, inserted in one transaction (every node polls the same table).
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO gateway_outbox (channel, event) VALUES (?, CAST(? AS jsonb))")) {
                for (int i = 0; i < PER_PATH; i++) {
                    ps.setString(1, channel);
                    ps.setString(2, event("outbox", i));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
        }
        await().atMost(WAIT).until(() -> receivedOfPath(client, "outbox") >= PER_PATH);
        // Let stragglers (duplicates, if any) arrive before counting: the outbox marks its rows published only
        // after the publish, so once every row is marked, everything it will ever publish was sequenced.
        await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM gateway_outbox WHERE published_at IS NULL")
                == 0);
        await().atMost(WAIT).until(() -> redis.sync().xpending(stream, prefix + "-ingress").getCount() == 0);

        // Exactly once: no event twice (not even before de-duplication), each (path, n) once.
        List<JsonNode> events = client.events();
        Map<String, Integer> perItem = new TreeMap<>();
        for (JsonNode e : events) {
            perItem.merge(e.path("path").asText() + "#" + e.path("n").asInt(), 1, Integer::sum);
        }
        List<String> repeated = perItem.entrySet().stream().filter(e -> e.getValue() != 1).map(Map.Entry::getKey)
                .toList();
        assertTrue(repeated.isEmpty(), "delivered more than once: " + repeated);
        assertEquals(4 * PER_PATH, perItem.size(), "every (path, n) arrived: " + perItem.keySet());
        assertEquals(4 * PER_PATH, events.size(), "no duplicate frames");
        assertEquals(4 * PER_PATH, client.firstOccurrences().size(), "distinct eventIds");

        // In seq order: 1..200 without a gap, in arrival order.
        for (int i = 0; i < events.size(); i++) {
            assertEquals(i + 1, events.get(i).path("seq").asLong(), "arrival " + i + ": " + events.get(i));
            assertEquals(channel, events.get(i).path("channel").asText());
        }
        // REST: what node B answered is what node A delivered.
        for (JsonNode e : events) {
            String id = e.path("eventId").asText();
            switch (e.path("path").asText()) {
                case "rest" -> assertEquals(restSeqs.get(id), e.path("seq").asLong(), "REST answer vs delivery");
                case "xadd" -> assertTrue(id.startsWith("ING-"), "stream entries get ING-<entry id>: " + id);
                case "outbox" -> assertTrue(id.startsWith("OB-"), "outbox rows get OB-<row id>: " + id);
                default -> assertTrue(id.startsWith("EV-"), id);
            }
        }
        // Decimal numbers pass through every path unchanged.
        assertTrue(events.stream().allMatch(e -> "0.50".equals(e.path("price").decimalValue().toPlainString())));

        // The PUBLISH path: one claim key per message, each naming the node that sequenced it.
        Map<String, Integer> claimsByNode = new TreeMap<>();
        for (String key : redis.keys(prefix, "claim:*")) {
            claimsByNode.merge(redis.sync().get(key), 1, Integer::sum);
        }
        assertEquals(PER_PATH, claimsByNode.values().stream().mapToInt(Integer::intValue).sum(),
                "one claim per message: " + claimsByNode);
        assertTrue(List.of("node-a", "node-b", "node-c").containsAll(claimsByNode.keySet()), claimsByNode.toString());
        // The outbox: every row published once (a second publish would have bumped attempts).
        assertEquals(PER_PATH, db.count("SELECT count(*) FROM gateway_outbox WHERE published_at IS NOT NULL"
                + " AND attempts = 1 AND error IS NULL"));
        long duplicates = 0;
        Map<String, Long> sequencedByNode = new TreeMap<>();
        for (TestGateway node : nodes) {
            RedisEngine engine = (RedisEngine) node.server().gateway().engine();
            duplicates += engine.duplicateCount();
            sequencedByNode.put(node.server().config().nodeId(), engine.publishedCount());
        }
        assertEquals(0, duplicates, "no publish had to be de-duplicated by eventId");
        List<String> dedupeKeys = redis.keys(prefix, "dedupe:*");
        assertTrue(dedupeKeys.size() >= 2 * PER_PATH, "ingress and outbox events carry eventIds: " + dedupeKeys.size());
        for (String key : dedupeKeys) {
            long ttl = redis.sync().pttl(key);
            assertTrue(ttl > 0 && ttl <= 3_600_000, key + ": PTTL " + ttl + " ms, GATEWAY_REDIS_DEDUPE_TTL is 1h");
        }
        assertTrue(client.closeCodes().isEmpty(), "the client stayed connected: " + client.log);
        System.out.println("ClusterIT: PUBLISH claims by node " + claimsByNode + "; events sequenced by node "
                + sequencedByNode);
        client.close();
    }

    /**
     * An acking client resumes on node A while node B is publishing an ACK-required event to its user channel: the
     * event is sequenced in Redis before the resume reads the stream position, but B records it as pending (and
     * answers 200) only after the resume read the pending store. The event was accepted while the client was
     * connected and subscribed, so it must reach the client.
     *
     * <p>The timing is made deterministic by holding a lock that blocks INSERTs into websocket_pending_events (not
     * SELECTs) until the resume has been answered. The resume uses an unknown session id (resumed:false,
     * recovered:false; pending events are still redelivered, PROTOCOL 8.3); a resume that is not recovered after a
     * node kill or a Redis restart takes the same path.
     */
    @Test
    void anEventAcceptedWhileAResumeReadsThePendingStoreReachesTheClient() throws Exception {
        TestGateway a = nodes.get(0);
        TestGateway b = nodes.get(1);
        String user = "race-" + ClusterSupport.random();
        String channel = "user:" + user;
        ResumingClient client = new ResumingClient(user, a.token(user), true,
                sid -> ClusterSupport.ws(a.port(), sid == null ? "S-unknownsession0000000" : sid));
        client.autoResume(false);
        CompletableFuture<Reply> publish;
        try (Connection lock = db.connect(); Statement s = lock.createStatement()) {
            lock.setAutoCommit(false);
            s.execute("LOCK TABLE websocket_pending_events IN SHARE ROW EXCLUSIVE MODE");
            publish = CompletableFuture.supplyAsync(() -> ClusterSupport.publish(ClusterSupport.http(b.port()),
                    channel, "{\"type\":\"payment.completed\",\"amount\":50000.00}"));
            await().atMost(WAIT).until(() -> "1".equals(redis.sync().hget(prefix + ":meta:{" + channel + "}", "seq")));
            assertFalse(publish.isDone(), "B answers only after the pending record is written");

            client.connect();
            JsonNode connected = client.connectedFrames().get(0);
            assertEquals(1, connected.path("subscriptions").get(0).path("seq").asLong(),
                    "the resume saw the event's seq: " + connected);
            lock.rollback(); // releases the lock: B's pending insert commits and the publish is answered
        }
        Reply reply = publish.get(30, TimeUnit.SECONDS);
        assertEquals(200, reply.status(), reply.body());
        String eventId = reply.json().path("eventId").asText();
        try {
            // Within one ACK timeout (1 s here) of the resume: the resume's second look at the pending store.
            await().atMost(Duration.ofSeconds(10)).until(() -> client.firstOccurrences().containsKey(eventId));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("event " + eventId + " (" + channel + " seq 1) was answered 200 while the"
                    + " client was connected and subscribed, but never reached it. Resume answer: "
                    + client.connectedFrames().get(0) + "; events received: " + client.events() + "; pending row: "
                    + db.rows("SELECT event_id, seq, acked_at FROM websocket_pending_events WHERE user_id = ?", user),
                    e);
        } finally {
            client.close();
        }
    }
}
