package io.eventgate.server.persistence;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.core.session.SessionSnapshot;
import io.eventgate.core.session.SessionStore.ConnectionInfo;
import io.eventgate.core.session.SubscriptionSnapshot;
import io.eventgate.protocol.Json;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PgSessionStoreIT {
    static final Duration TTL = Duration.ofHours(1);
    static TestDatabase testDb;
    static Database db;

    final AtomicLong clock = new AtomicLong(System.currentTimeMillis());
    PgSessionStore store;

    @BeforeAll
    static void createDatabase() throws Exception {
        testDb = TestDatabase.create();
        db = testDb.open(4);
    }

    @AfterAll
    static void dropDatabase() throws Exception {
        db.close();
        testDb.close();
    }

    @BeforeEach
    void openStore() {
        store = new PgSessionStore(db, TTL, 1000, 100, clock::get);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    /** Another node's view: no write buffer of its own, so every load reads the database. */
    PgSessionStore otherNode() {
        return new PgSessionStore(db, TTL, 10, 10, clock::get);
    }

    static String id(String prefix) {
        return prefix + "-" + UUID.randomUUID();
    }

    static JsonNode json(String text) throws Exception {
        return Json.MAPPER.readTree(text);
    }

    void awaitSaved(String sessionId, long savedAt) {
        await().atMost(Duration.ofSeconds(30)).until(() -> testDb.count(
                "SELECT count(*) FROM websocket_sessions WHERE session_id = ? AND saved_at = ?", sessionId,
                SqlTimes.of(savedAt)) == 1);
    }

    @Test
    void saveAndLoadRoundTrip() throws Exception {
        String sessionId = id("S");
        long savedAt = clock.get();
        JsonNode filters = json("{\"all\":[{\"field\":\"amount\",\"op\":\"gte\",\"value\":50000.00},"
                + "{\"field\":\"symbol\",\"op\":\"in\",\"value\":[\"BTC\",\"ETH\"]}]}");
        SessionSnapshot snapshot = new SessionSnapshot(sessionId, "u1", List.of(
                new SubscriptionSnapshot("user:u1", null, List.of("heartbeat.debug"), null, 42, "ep-a"),
                new SubscriptionSnapshot("trades:BTC", List.of("trade.executed", "trade.cancelled"), List.of(),
                        filters, 7, "ep-b"),
                new SubscriptionSnapshot("news", List.of(), List.of(), null, 0, null)), savedAt);
        store.save(snapshot);
        awaitSaved(sessionId, savedAt);

        try (PgSessionStore other = otherNode()) {
            Optional<SessionSnapshot> loaded = other.load(sessionId).get();
            assertEquals(Optional.of(snapshot), loaded);
            SubscriptionSnapshot trades = loaded.get().subscriptions().get(1);
            assertEquals("50000.00", Json.MAPPER.writeValueAsString(trades.filters().at("/all/0/value")));
            assertNull(loaded.get().subscriptions().get(0).events(), "null events = every type");
            assertEquals(List.of(), loaded.get().subscriptions().get(2).events(), "an empty list stays empty");
        }
        assertEquals(3L, testDb.count("SELECT count(*) FROM websocket_subscriptions WHERE session_id = ?", sessionId));
        assertTrue(((String) testDb.value("SELECT filters::text FROM websocket_subscriptions WHERE session_id = ? "
                + "AND channel = 'trades:BTC'", sessionId)).contains("50000.00"));
        assertNull(testDb.value("SELECT events FROM websocket_subscriptions WHERE session_id = ? "
                + "AND channel = 'user:u1'", sessionId));
    }

    @Test
    void loadAnswersFromTheWriteBufferBeforeTheCommit() throws Exception {
        String sessionId = id("S");
        SessionSnapshot snapshot = new SessionSnapshot(sessionId, "u2",
                List.of(new SubscriptionSnapshot("user:u2", null, List.of(), null, 1, "ep")), clock.get());
        store.save(snapshot);
        assertEquals(Optional.of(snapshot), store.load(sessionId).get());
    }

    @Test
    void unknownAndExpiredSessionsLoadEmpty() throws Exception {
        assertEquals(Optional.empty(), store.load(id("S-unknown")).get());

        String sessionId = id("S");
        long savedAt = clock.get() - TTL.toMillis() - 1000;
        store.save(new SessionSnapshot(sessionId, "u3", List.of(), savedAt));
        assertEquals(Optional.empty(), store.load(sessionId).get(), "expired while still buffered");
        awaitSaved(sessionId, savedAt);
        try (PgSessionStore other = otherNode()) {
            assertEquals(Optional.empty(), other.load(sessionId).get(), "expired in the database");
        }
    }

    @Test
    void resaveReplacesSubscriptionsAndAnOlderSnapshotNeverWins() throws Exception {
        String sessionId = id("S");
        long t1 = clock.get();
        SessionSnapshot first = new SessionSnapshot(sessionId, "u4", List.of(
                new SubscriptionSnapshot("a", null, List.of(), null, 1, "e"),
                new SubscriptionSnapshot("b", null, List.of(), null, 2, "e")), t1);
        store.save(first);
        awaitSaved(sessionId, t1);

        SessionSnapshot second = new SessionSnapshot(sessionId, "u4", List.of(
                new SubscriptionSnapshot("b", null, List.of(), null, 5, "e")), t1 + 1000);
        store.save(second);
        awaitSaved(sessionId, t1 + 1000);
        try (PgSessionStore other = otherNode()) {
            assertEquals(Optional.of(second), other.load(sessionId).get());
        }

        // A delayed, older snapshot (e.g. from another node's buffer) is ignored.
        try (PgSessionStore other = otherNode()) {
            other.save(first);
            await().atMost(Duration.ofSeconds(30)).until(() -> other.writerStats().opsWritten() == 1);
        }
        try (PgSessionStore other = otherNode()) {
            assertEquals(Optional.of(second), other.load(sessionId).get());
        }
    }

    @Test
    void connectionLifecycleRowsWithBatchedActivity() throws Exception {
        String connectionId = id("C");
        long connectedAt = clock.get();
        store.connected(new ConnectionInfo(connectionId, "S-1", "u5", "node-1", "10.0.0.1:5555", "test-agent/1.0",
                connectedAt));
        await().atMost(Duration.ofSeconds(30)).until(() -> testDb.count(
                "SELECT count(*) FROM websocket_connections WHERE connection_id = ? AND status = 'CONNECTED'",
                connectionId) == 1);
        assertEquals(SqlTimes.of(connectedAt), testDb.value(
                "SELECT last_activity FROM websocket_connections WHERE connection_id = ?", connectionId));
        assertEquals("test-agent/1.0", testDb.value(
                "SELECT user_agent FROM websocket_connections WHERE connection_id = ?", connectionId));

        long rowsBefore = store.writerStats().rowsWritten();
        int updates = 2_000;
        for (int i = 1; i <= updates; i++) {
            store.active(connectionId, connectedAt + i);
        }
        long last = connectedAt + updates;
        await().atMost(Duration.ofSeconds(30)).until(() -> SqlTimes.of(last).equals(testDb.value(
                "SELECT last_activity FROM websocket_connections WHERE connection_id = ?", connectionId)));
        long activityRows = store.writerStats().rowsWritten() - rowsBefore;
        assertTrue(activityRows >= 1 && activityRows < updates / 10,
                "activity updates coalesce: " + activityRows + " row updates for " + updates + " calls");

        long disconnectedAt = last + 10;
        store.disconnected(connectionId, disconnectedAt, 1000);
        store.active(connectionId, disconnectedAt + 5000); // after the close: ignored
        await().atMost(Duration.ofSeconds(30)).until(() -> testDb.count(
                "SELECT count(*) FROM websocket_connections WHERE connection_id = ? AND status = 'DISCONNECTED' "
                        + "AND close_code = 1000 AND disconnected_at = ?", connectionId,
                SqlTimes.of(disconnectedAt)) == 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> store.writerStats().queued() == 0);
        assertEquals("DISCONNECTED", testDb.value(
                "SELECT status FROM websocket_connections WHERE connection_id = ?", connectionId));
    }

    @Test
    void sweepMarksStaleConnectionsAndDeletesExpiredSessions() throws Exception {
        long now = clock.get();
        String staleId = id("C-stale");
        String liveId = id("C-live");
        store.connected(new ConnectionInfo(staleId, "S-x", "u6", "node-dead", null, null, now - 600_000));
        store.connected(new ConnectionInfo(liveId, "S-y", "u6", "node-live", null, null, now - 1_000));
        String oldSession = id("S-old");
        String freshSession = id("S-fresh");
        store.save(new SessionSnapshot(oldSession, "u6",
                List.of(new SubscriptionSnapshot("a", null, List.of(), null, 1, "e")), now - TTL.toMillis() - 1));
        store.save(new SessionSnapshot(freshSession, "u6",
                List.of(new SubscriptionSnapshot("a", null, List.of(), null, 1, "e")), now));
        awaitSaved(freshSession, now);
        awaitSaved(oldSession, now - TTL.toMillis() - 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> testDb.count(
                "SELECT count(*) FROM websocket_connections WHERE connection_id IN (?, ?)", staleId, liveId) == 2);

        PgSessionStore.SweepResult result = store.sweep(now, Duration.ofMinutes(2));
        assertTrue(result.markedStale() >= 1, result.toString());
        assertTrue(result.sessionsDeleted() >= 1, result.toString());
        assertEquals("STALE", testDb.value("SELECT status FROM websocket_connections WHERE connection_id = ?", staleId));
        assertEquals("CONNECTED", testDb.value("SELECT status FROM websocket_connections WHERE connection_id = ?",
                liveId));
        assertEquals(0L, testDb.count("SELECT count(*) FROM websocket_sessions WHERE session_id = ?", oldSession));
        assertEquals(0L, testDb.count("SELECT count(*) FROM websocket_subscriptions WHERE session_id = ?",
                oldSession), "subscriptions cascade");
        assertEquals(1L, testDb.count("SELECT count(*) FROM websocket_subscriptions WHERE session_id = ?",
                freshSession));

        // A stale connection that shows activity again is CONNECTED again.
        store.active(staleId, now);
        await().atMost(Duration.ofSeconds(30)).until(() -> "CONNECTED".equals(testDb.value(
                "SELECT status FROM websocket_connections WHERE connection_id = ?", staleId)));
        OffsetDateTime activity = (OffsetDateTime) testDb.value(
                "SELECT last_activity FROM websocket_connections WHERE connection_id = ?", staleId);
        assertNotNull(activity);
    }
}
