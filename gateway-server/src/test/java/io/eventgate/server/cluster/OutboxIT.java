package io.eventgate.server.cluster;

import static io.eventgate.server.cluster.ClusterSupport.WAIT;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.server.cluster.ClusterSupport.FreshDatabase;
import io.eventgate.server.cluster.ClusterSupport.Redis;
import io.eventgate.server.redis.RedisEngine;
import io.eventgate.server.testing.TestGateway;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL transactional outbox ({@code gateway_outbox}) with two nodes polling the same database and sharing
 * Redis, so an event published by either node reaches a client on node A.
 */
class OutboxIT {
    /** The SQL of docs/SCALING.md ("Trigger example"), verbatim. */
    static final String MARKETS_TABLE = """
            CREATE TABLE markets (
                id    text PRIMARY KEY,
                state text NOT NULL,
                price numeric NOT NULL
            );
            """;
    static final String MARKETS_TRIGGER = """
            CREATE FUNCTION markets_publish_update() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO gateway_outbox (channel, event)
                VALUES ('market:' || NEW.id,
                        jsonb_build_object('type', 'market.updated', 'market', NEW.id,
                                           'state', NEW.state, 'price', NEW.price));
                RETURN NEW;
            END;
            $$;

            CREATE TRIGGER markets_publish_update AFTER UPDATE ON markets
                FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
                EXECUTE FUNCTION markets_publish_update();
            """;

    private static FreshDatabase db;
    private static Redis redis;
    private static String prefix;
    private static TestGateway a;
    private static TestGateway b;
    private final List<ResumingClient> clients = new ArrayList<>();

    @BeforeAll
    static void startNodes() {
        db = FreshDatabase.create();
        redis = new Redis(ClusterSupport.SHARED_REDIS);
        prefix = ClusterSupport.uniquePrefix("outbox");
        a = node("outbox-a");
        b = node("outbox-b");
        await().atMost(WAIT).until(db::migrated);
    }

    private static TestGateway node(String id) {
        return TestGateway.start(Map.of(
                "GATEWAY_REDIS_URL", ClusterSupport.SHARED_REDIS,
                "GATEWAY_REDIS_PREFIX", prefix,
                "GATEWAY_NODE_ID", id,
                "GATEWAY_DB_URL", db.url(),
                "GATEWAY_DB_USER", FreshDatabase.USER,
                "GATEWAY_OUTBOX_POLL_INTERVAL", "200ms"));
    }

    @AfterEach
    void closeClients() {
        clients.forEach(ResumingClient::close);
    }

    @AfterAll
    static void stopNodes() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        if (redis != null) {
            redis.deleteByPrefix(prefix);
            redis.close();
        }
        if (db != null) {
            db.close();
        }
    }

    /** A client on node A subscribed to {@code channel}. */
    private ResumingClient watch(String channel) {
        String user = "ob-" + ClusterSupport.random();
        ResumingClient client = new ResumingClient(user, a.token(user), false, sid -> ClusterSupport.ws(a.port(), sid));
        client.autoResume(false);
        clients.add(client);
        client.connect();
        client.subscribe("s1", "\"channels\":[\"" + channel + "\"]");
        return client;
    }

    private static void insert(Connection c, String channel, String event) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO gateway_outbox (channel, event) VALUES (?, CAST(? AS jsonb))")) {
            ps.setString(1, channel);
            ps.setString(2, event);
            ps.executeUpdate();
        }
    }

    private static void insertCommitted(String channel, String event) throws Exception {
        try (Connection c = db.connect()) {
            insert(c, channel, event);
        }
    }

    private static JsonNode firstEvent(ResumingClient client) {
        await().atMost(WAIT).until(() -> !client.events().isEmpty());
        return client.events().get(0);
    }

    @Test
    void rowsOfARolledBackTransactionAreNeverPublished() throws Exception {
        String channel = "market:ob-rollback-" + ClusterSupport.random();
        ResumingClient client = watch(channel);
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            for (int i = 0; i < 5; i++) {
                insert(c, channel, "{\"type\":\"order.placed\",\"rolledBack\":true,\"i\":" + i + "}");
            }
            c.rollback();
        }
        insertCommitted(channel, "{\"type\":\"marker\"}");

        JsonNode first = firstEvent(client);
        assertEquals("marker", first.path("type").asText(), "the next event after the rollback: " + first);
        assertEquals(1, first.path("seq").asLong(), "nothing was sequenced before the marker");
        assertEquals(1, db.count("SELECT count(*) FROM gateway_outbox WHERE channel = ?", channel));
        assertEquals(1, client.events().size(), "only the marker: " + client.events());
    }

    @Test
    void committedRowsArePublishedExactlyOnceWhileTwoNodesPollTheSameTable() throws Exception {
        String channel = "market:ob-once-" + ClusterSupport.random();
        ResumingClient client = watch(channel);
        RedisEngine engineA = (RedisEngine) a.server().gateway().engine();
        RedisEngine engineB = (RedisEngine) b.server().gateway().engine();
        long publishedA = engineA.publishedCount();
        long publishedB = engineB.publishedCount();
        long duplicatesBefore = engineA.duplicateCount() + engineB.duplicateCount();

        // 200 rows in 20 transactions of 10: each commit NOTIFYs both nodes, which claim batches with SKIP LOCKED.
        int rows = 200;
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            for (int i = 0; i < rows; i++) {
                insert(c, channel, "{\"type\":\"trade\",\"i\":" + i + ",\"price\":0.55}");
                if (i % 10 == 9) {
                    c.commit();
                }
            }
        }

        await().atMost(WAIT).until(() -> client.events().size() >= rows);
        await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM gateway_outbox WHERE channel = ?"
                + " AND published_at IS NULL", channel) == 0);
        List<JsonNode> events = client.events();
        Set<String> ids = new HashSet<>();
        Set<Integer> items = new HashSet<>();
        for (int i = 0; i < events.size(); i++) {
            JsonNode e = events.get(i);
            assertTrue(ids.add(e.path("eventId").asText()), "eventId delivered twice: " + e);
            items.add(e.path("i").asInt());
            assertEquals(i + 1, e.path("seq").asLong(), "seq order without gaps");
        }
        assertEquals(rows, events.size(), "every row once");
        assertEquals(rows, items.size());
        assertEquals(rows, db.count("SELECT count(*) FROM gateway_outbox WHERE channel = ? AND attempts = 1"
                + " AND published_at IS NOT NULL AND error IS NULL", channel), "each row published (and marked) once");
        assertEquals(duplicatesBefore, engineA.duplicateCount() + engineB.duplicateCount(),
                "no row was published a second time (the engine would have de-duplicated its OB- eventId)");
        System.out.println("OutboxIT: rows published by node A " + (engineA.publishedCount() - publishedA)
                + ", by node B " + (engineB.publishedCount() - publishedB));
    }

    @Test
    void aRowWithAnInvalidEventGetsAnErrorAndIsNotRetried() throws Exception {
        String channel = "market:ob-invalid-" + ClusterSupport.random();
        ResumingClient client = watch(channel);
        insertCommitted(channel, "{\"amount\":1}"); // no type
        insertCommitted(channel, "[1, 2, 3]"); // not an object
        insertCommitted("not a channel", "{\"type\":\"x\"}"); // invalid channel name
        insertCommitted(channel, "{\"type\":\"marker\",\"n\":1}");

        JsonNode first = firstEvent(client);
        assertEquals("marker", first.path("type").asText(), first.toString());
        await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM gateway_outbox WHERE error IS NOT NULL"
                + " AND (channel = ? OR channel = 'not a channel')", channel) == 3);
        // Another round of the pollers: the invalid rows are skipped from now on.
        insertCommitted(channel, "{\"type\":\"marker\",\"n\":2}");
        await().atMost(WAIT).until(() -> client.events().size() >= 2);
        List<List<Object>> invalid = db.rows("SELECT id, error, attempts, published_at FROM gateway_outbox"
                + " WHERE error IS NOT NULL AND (channel = ? OR channel = 'not a channel') ORDER BY id", channel);
        assertEquals(3, invalid.size(), invalid.toString());
        for (List<Object> row : invalid) {
            assertNotNull(row.get(1));
            assertEquals(1, ((Number) row.get(2)).intValue(), "tried once, never retried: " + row);
            assertNull(row.get(3), "not published: " + row);
        }
        assertEquals(List.of("marker", "marker"), client.events().stream().map(e -> e.path("type").asText()).toList());
        System.out.println("OutboxIT: invalid rows " + invalid);
    }

    @Test
    void anUpdateOfAnApplicationTableIsPublishedThroughATrigger() throws Exception {
        String market = "pm-" + ClusterSupport.random();
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute(MARKETS_TABLE);
            s.execute(MARKETS_TRIGGER);
            s.execute("INSERT INTO markets (id, state, price) VALUES ('" + market + "', 'open', 0.50)");
        }
        ResumingClient client = watch("market:" + market);
        assertEquals(0, db.count("SELECT count(*) FROM gateway_outbox WHERE channel = ?", "market:" + market),
                "an INSERT publishes nothing (the trigger is on UPDATE)");

        db.update("UPDATE markets SET price = 0.61 WHERE id = ?", market);
        db.update("UPDATE markets SET price = 0.61 WHERE id = ?", market); // no change: no event
        db.update("UPDATE markets SET state = 'resolved', price = 1.00 WHERE id = ?", market);

        await().atMost(WAIT).until(() -> client.events().size() >= 2);
        List<JsonNode> events = client.events();
        JsonNode first = events.get(0);
        assertEquals("market.updated", first.path("type").asText(), first.toString());
        assertEquals(market, first.path("market").asText());
        assertEquals("open", first.path("state").asText());
        assertEquals("0.61", first.path("price").decimalValue().toPlainString());
        assertEquals(1, first.path("seq").asLong());
        JsonNode second = events.get(1);
        assertEquals("resolved", second.path("state").asText());
        assertEquals("1.00", second.path("price").decimalValue().toPlainString(), "numeric scale passes through");
        assertEquals(2, second.path("seq").asLong());
        assertEquals(2, db.count("SELECT count(*) FROM gateway_outbox WHERE channel = ?", "market:" + market),
                "the no-op update inserted nothing");
        await().atMost(WAIT).until(() -> db.count("SELECT count(*) FROM gateway_outbox WHERE channel = ?"
                + " AND published_at IS NOT NULL", "market:" + market) == 2);
        assertEquals(2, client.events().size(), client.events().toString());
    }
}
