package io.eventgate.server.persistence;

import static io.eventgate.server.persistence.TestEvents.event;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventgate.core.ack.PendingStore;
import io.eventgate.core.engine.EngineUnavailableException;
import io.eventgate.core.engine.Event;
import io.eventgate.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PgPendingStoreIT {
    static final Duration TTL = Duration.ofMinutes(10);
    static TestDatabase testDb;
    static Database db;

    PgPendingStore store;

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
        store = new PgPendingStore(db, TTL, 10_000, 500);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    /** Another node's view: nothing of this store's write buffer. */
    PgPendingStore otherNode() {
        return new PgPendingStore(db, TTL, 10, 10);
    }

    static String user() {
        return "u-" + UUID.randomUUID();
    }

    static List<String> ids(List<Event> events) {
        return events.stream().map(Event::eventId).toList();
    }

    @Test
    void appendAckAndPendingInChannelSeqOrder() throws Exception {
        String user = user();
        long now = System.currentTimeMillis();
        String ch = "user:" + user;
        List<Event> events = List.of(event(ch, 3, "EV-3", false, now), event(ch, 1, "EV-1", true, now),
                event("alerts:" + user, 9, "EV-A9", false, now), event(ch, 2, "EV-2", false, now));
        List<CompletableFuture<Void>> appends = new ArrayList<>();
        for (Event e : events) {
            appends.add(store.append(user, e));
        }
        CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new)).get();
        assertEquals(0, store.writerStats().degradedAccepts());

        try (PgPendingStore other = otherNode()) {
            List<Event> pending = other.pending(user, now).get();
            assertEquals(List.of("EV-A9", "EV-1", "EV-2", "EV-3"), ids(pending));
            Event one = pending.get(1);
            Event original = events.get(1);
            assertEquals(original.channel(), one.channel());
            assertEquals(original.seq(), one.seq());
            assertEquals(original.epoch(), one.epoch());
            assertEquals(original.type(), one.type());
            assertEquals(original.body(), one.body());
            assertArrayEquals(original.json(), one.json());
            assertTrue(one.ackRequired());
            assertTrue(one.critical());
            assertEquals(original.publishedAtMillis(), one.publishedAtMillis());
        }

        store.acked(user, List.of("EV-1", "EV-unknown"), now + 5);
        assertEquals(List.of("EV-A9", "EV-2", "EV-3"), ids(store.pending(user, now).get()),
                "the buffered ack hides the event at once");
        await().atMost(Duration.ofSeconds(30)).until(() -> testDb.count(
                "SELECT count(*) FROM websocket_pending_events WHERE user_id = ? AND event_id = 'EV-1' "
                        + "AND acked_at IS NOT NULL", user) == 1);
        try (PgPendingStore other = otherNode()) {
            assertEquals(List.of("EV-A9", "EV-2", "EV-3"), ids(other.pending(user, now).get()));
            assertEquals(List.of(), other.pending(user, now + TTL.toMillis()).get(), "expired ones are not pending");
        }
        // Acking is idempotent; the first acked_at stays.
        store.acked(user, List.of("EV-1"), now + 99);
        await().atMost(Duration.ofSeconds(30)).until(() -> store.writer().queued() == 0
                && testDb.count("SELECT count(*) FROM websocket_pending_events WHERE user_id = ? "
                + "AND event_id = 'EV-1' AND acked_at = ?", user, SqlTimes.of(now + 5)) == 1);
    }

    @Test
    void anAckThatOvertakesItsInsertWins() throws Exception {
        String user = user();
        long now = System.currentTimeMillis();
        store.acked(user, List.of("EV-early"), now + 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> testDb.count(
                "SELECT count(*) FROM websocket_pending_events WHERE user_id = ? AND event_id = 'EV-early' "
                        + "AND acked_at IS NOT NULL", user) == 1);

        store.append(user, event("user:" + user, 1, "EV-early", true, now)).get();
        assertEquals(List.of(), store.pending(user, now).get());
        assertNull(testDb.value("SELECT payload FROM websocket_pending_events WHERE user_id = ?", user),
                "the late insert did nothing");
        assertEquals(List.of(), store.expire(now + TTL.toMillis() * 2).stream()
                .filter(x -> x.userId().equals(user)).toList(), "an acked event is never reported as expired");
    }

    @Test
    void payloadBytesArePreservedExactly() throws Exception {
        String user = user();
        long now = System.currentTimeMillis();
        // Publisher's spelling and key order; non-ASCII text; a number with trailing zeros.
        String json = "{\"type\":\"payment.settled\",\"amount\":50000.00,\"fee\":0.10,\"big\":12345678901234567890.5,"
                + "\"memo\":\"Zahlung f\u00fcr \u20ac \u6771\u4eac \\\"quoted\\\"\",\"z\":1,\"a\":{\"y\":[1.0,2e3]},"
                + "\"eventId\":\"EV-pay\",\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"channel\":\"user:x\","
                + "\"seq\":1}";
        Event e = TestEvents.fromJson("user:" + user, 1, "EV-pay", json, false, now);
        store.append(user, e).get();

        assertEquals(json, testDb.value("SELECT payload FROM websocket_pending_events WHERE user_id = ?", user));
        try (PgPendingStore other = otherNode()) {
            Event back = other.pending(user, now).get().get(0);
            assertArrayEquals(json.getBytes(StandardCharsets.UTF_8), back.json());
            assertEquals("50000.00", Json.MAPPER.writeValueAsString(back.body().get("amount")));
            assertEquals("0.10", Json.MAPPER.writeValueAsString(back.body().get("fee")));
            assertEquals(e.body(), back.body());
        }
    }

    @Test
    void expireDeletesExpiredRowsAndReturnsTheCriticalUnackedOnes() throws Exception {
        String user = user();
        long old = System.currentTimeMillis() - TTL.toMillis() - 60_000;
        long now = System.currentTimeMillis();
        String ch = "user:" + user;
        CompletableFuture.allOf(
                store.append(user, event(ch, 1, "EV-crit", true, old)),
                store.append(user, event(ch, 2, "EV-plain", false, old)),
                store.append(user, event(ch, 3, "EV-crit-acked", true, old)),
                store.append(user, event(ch, 4, "EV-crit-fresh", true, now))).get();
        store.acked(user, List.of("EV-crit-acked"), old + 10);
        await().atMost(Duration.ofSeconds(30)).until(() -> testDb.count(
                "SELECT count(*) FROM websocket_pending_events WHERE user_id = ? AND acked_at IS NOT NULL", user) == 1);

        List<PendingStore.Expired> expired = store.expire(now).stream().filter(x -> x.userId().equals(user)).toList();
        assertEquals(List.of("EV-crit"), expired.stream().map(x -> x.event().eventId()).toList());
        Event critical = expired.get(0).event();
        assertTrue(critical.critical());
        assertEquals(ch, critical.channel());
        assertEquals(1, critical.seq());
        assertEquals("50000.00", Json.MAPPER.writeValueAsString(critical.body().get("amount")));
        assertEquals(List.of("EV-crit-fresh"), testDb.column(
                "SELECT event_id FROM websocket_pending_events WHERE user_id = ?", user));
        assertEquals(List.of(), store.expire(now).stream().filter(x -> x.userId().equals(user)).toList(),
                "reported once");
        assertTrue(store.expiredRows() >= 3);
    }

    @Test
    void appendsAreBatched() throws Exception {
        String user = user();
        long now = System.currentTimeMillis();
        long batchesBefore = store.writerStats().batches();
        long rowsBefore = store.writerStats().rowsWritten();
        int n = 5_000;
        List<CompletableFuture<Void>> futures = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            futures.add(store.append(user, event("user:" + user, i, "EV-" + i, false, now)));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get();
        assertEquals(n, testDb.count("SELECT count(*) FROM websocket_pending_events WHERE user_id = ?", user));
        long batches = store.writerStats().batches() - batchesBefore;
        long rows = store.writerStats().rowsWritten() - rowsBefore;
        assertEquals(n, rows);
        assertTrue(batches < rows / 10, batches + " batches for " + rows + " rows");
        assertEquals(0, store.writerStats().degradedAccepts());
        assertEquals(0, store.writerStats().retries());
        List<Event> pending = store.pending(user, now).get();
        assertEquals(n, pending.size());
        assertEquals(1, pending.get(0).seq());
        assertEquals(n, pending.get(n - 1).seq());
    }

    /** {@code n} events of the user's channel, eventIds {@code <idPrefix>1 ... <idPrefix>n}, seq 1 ... n. */
    private static List<Event> userEvents(String user, String idPrefix, int n, long now) {
        List<Event> events = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            events.add(event("user:" + user, i, idPrefix + i, false, now));
        }
        return events;
    }

    /** Appends {@code events}, then acks them all at once (most inserts still queued); returns the appends. */
    private CompletableFuture<Void> appendThenAckAtOnce(String user, List<Event> events, long ackedAt) {
        List<CompletableFuture<Void>> futures = new ArrayList<>(events.size());
        for (Event e : events) {
            futures.add(store.append(user, e));
        }
        store.acked(user, ids(events), ackedAt);
        return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new));
    }

    /** Nothing of the user is pending, on this node nor read from the database by another. */
    private void assertNothingPending(String user, long now) throws Exception {
        assertEquals(List.of(), store.pending(user, now).get());
        try (PgPendingStore other = otherNode()) {
            assertEquals(List.of(), other.pending(user, now).get());
        }
    }

    @Test
    void anAckOfAnEventWhoseInsertIsStillQueuedIsWrittenWithTheInsert() throws Exception {
        String user = user();
        long now = System.currentTimeMillis();
        long rowsBefore = store.writerStats().rowsWritten();
        int n = 3_000;
        // As a client acking what it received: most inserts are still queued behind the writer's batches.
        appendThenAckAtOnce(user, userEvents(user, "EV-q", n, now), now + 7).get();
        await().atMost(Duration.ofSeconds(30)).until(() -> store.writer().queued() == 0
                && testDb.count("SELECT count(*) FROM websocket_pending_events WHERE user_id = ? "
                + "AND acked_at IS NULL", user) == 0);

        assertEquals(n, testDb.count("SELECT count(*) FROM websocket_pending_events WHERE user_id = ?", user));
        assertEquals(n, testDb.count("SELECT count(*) FROM websocket_pending_events WHERE user_id = ? "
                + "AND acked_at = ?", user, SqlTimes.of(now + 7)), "every row carries the ack time");
        long rowOperations = store.writerStats().rowsWritten() - rowsBefore;
        long folded = 2L * n - rowOperations;
        assertTrue(folded > 0, "some acks found their insert queued: " + rowOperations + " row operations");
        assertEquals(folded, testDb.count("SELECT count(*) FROM websocket_pending_events WHERE user_id = ? "
                + "AND payload IS NULL", user), "a folded ack inserts the row acknowledged, without its payload");
        assertNothingPending(user, now);
    }

    @Test
    void aFoldedAckAcknowledgesTheRowAnEarlierInsertOfTheSameEventWrote() throws Exception {
        String user = user();
        long now = System.currentTimeMillis();
        int n = 3_000;
        List<Event> events = userEvents(user, "EV-r", n, now);
        List<CompletableFuture<Void>> first = new ArrayList<>(n);
        for (Event e : events) {
            first.add(store.append(user, e));
        }
        CompletableFuture.allOf(first.toArray(CompletableFuture[]::new)).get();
        // The same events again (a retried publish), acknowledged while most of these inserts are still queued.
        long rowsBefore = store.writerStats().rowsWritten();
        appendThenAckAtOnce(user, events, now + 9).get();
        await().atMost(Duration.ofSeconds(30)).until(() -> store.writer().queued() == 0);

        long folded = 2L * n - (store.writerStats().rowsWritten() - rowsBefore);
        assertTrue(folded > 0, "some acks found a queued insert");
        assertEquals(n, testDb.count("SELECT count(*) FROM websocket_pending_events WHERE user_id = ? "
                + "AND acked_at = ?", user, SqlTimes.of(now + 9)), "every row acknowledged, folded or not");
        assertEquals(n, testDb.count("SELECT count(*) FROM websocket_pending_events WHERE user_id = ? "
                + "AND payload IS NOT NULL", user), "the rows written first keep their payload");
        assertNothingPending(user, now);
    }

    @Test
    void aRejectedOperationFailsAloneAndTheRestOfItsBatchIsWritten() throws Exception {
        String user = user();
        long now = System.currentTimeMillis();
        List<CompletableFuture<Void>> good = new ArrayList<>();
        for (int i = 1; i <= 50; i++) {
            good.add(store.append(user, event("user:" + user, i, "EV-g" + i, false, now)));
        }
        // PostgreSQL text cannot hold NUL: the database rejects this row.
        Event valid = event("user:" + user, 99, "EV-bad", false, now);
        CompletableFuture<Void> bad = store.append(user, TestEvents.fromJson("user:\u0000" + user, 99, "EV-bad",
                new String(valid.json(), StandardCharsets.UTF_8), false, now));
        for (int i = 51; i <= 100; i++) {
            good.add(store.append(user, event("user:" + user, i, "EV-g" + i, false, now)));
        }
        CompletableFuture.allOf(good.toArray(CompletableFuture[]::new)).get();
        ExecutionException error = assertThrows(ExecutionException.class, bad::get);
        assertInstanceOf(EngineUnavailableException.class, error.getCause());
        assertNotNull(error.getCause().getMessage());
        assertEquals(100, testDb.count("SELECT count(*) FROM websocket_pending_events WHERE user_id = ?", user));
        assertEquals(1, store.writerStats().failures());
        assertTrue(store.healthy(), "a rejected row is not an outage");
        assertEquals(100, store.pending(user, now).get().size());
    }
}
