package io.eventgate.server.persistence;

import static io.eventgate.server.persistence.TestEvents.event;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventgate.core.engine.EngineUnavailableException;
import io.eventgate.core.engine.Event;
import io.eventgate.core.session.SessionSnapshot;
import io.eventgate.core.session.SubscriptionSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Outages of a private PostgreSQL instance (never the shared one): buffering, degraded accepts, recovery. */
class PgOutageIT {
    static final Duration TTL = Duration.ofMinutes(10);
    static final Duration WAIT = Duration.ofSeconds(60);
    static PrivatePostgres pg;

    @BeforeAll
    static void startPostgres() throws Exception {
        pg = PrivatePostgres.start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    @AfterEach
    void leaveItRunning() throws Exception {
        pg.startServerIfStopped();
    }

    @Test
    void writesAreHeldDuringAnOutageAndWrittenAfterIt() throws Exception {
        try (TestDatabase testDb = TestDatabase.create(pg.port)) {
            Database db = testDb.open(4);
            PgPendingStore pending = new PgPendingStore(db, TTL, 50, 10);
            PgSessionStore sessions = new PgSessionStore(db, TTL, 50, 10, System::currentTimeMillis);
            try {
                String user = "u-outage";
                String ch = "user:" + user;
                long now = System.currentTimeMillis();
                pending.append(user, event(ch, 1, "EV-before", false, now)).join();
                assertTrue(db.healthy());
                assertEquals(0, pending.writerStats().degradedAccepts());

                pg.stopServer();

                // Accepted while the database is down: the futures complete (degraded), nothing is lost.
                List<CompletableFuture<Void>> during = new ArrayList<>();
                for (int i = 2; i <= 6; i++) {
                    during.add(pending.append(user, event(ch, i, "EV-during-" + i, i == 2, now)));
                }
                CompletableFuture.allOf(during.toArray(CompletableFuture[]::new)).get();
                await().atMost(WAIT).until(() -> !db.healthy());
                assertFalse(pending.healthy());
                assertTrue(pending.describe().startsWith("postgresql: ") && !pending.describe().endsWith(": ok"),
                        pending.describe());
                assertEquals(5, pending.writerStats().degradedAccepts());
                await().atMost(WAIT).until(() -> pending.writerStats().retries() > 0);
                assertTrue(pending.writer().inOutage());

                // A resume during the outage still gets what the buffer holds.
                List<String> ids = pending.pending(user, now).get().stream().map(Event::eventId).toList();
                assertEquals(List.of("EV-during-2", "EV-during-3", "EV-during-4", "EV-during-5", "EV-during-6"), ids);
                assertTrue(pending.degradedReads() > 0);

                // Sessions: saved into the buffer, loadable from it.
                SessionSnapshot snapshot = new SessionSnapshot("S-outage", user,
                        List.of(new SubscriptionSnapshot(ch, null, List.of(), null, 6, "ep1")),
                        System.currentTimeMillis());
                sessions.save(snapshot);
                assertEquals(Optional.of(snapshot), sessions.load("S-outage").get());
                // Not buffered and not readable: the load fails (the resume then starts fresh).
                CompletionException unknown = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
                        () -> sessions.load("S-elsewhere").join());
                assertInstanceOf(EngineUnavailableException.class, unknown.getCause());

                // Fill the buffer: the excess is refused.
                int accepted = 0;
                int refused = 0;
                for (int i = 100; i < 200; i++) {
                    CompletableFuture<Void> f = pending.append(user, event(ch, i, "EV-fill-" + i, false, now));
                    if (f.isCompletedExceptionally()) {
                        CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(
                                CompletionException.class, f::join);
                        assertInstanceOf(EngineUnavailableException.class, e.getCause());
                        assertEquals("database write buffer full", e.getCause().getMessage());
                        refused++;
                    } else {
                        assertTrue(f.isDone(), "accepted during an outage = completed at once");
                        accepted++;
                    }
                }
                assertTrue(refused > 0 && accepted > 0, accepted + " accepted, " + refused + " refused");
                assertEquals(refused, pending.writerStats().bufferFullRefusals());
                assertEquals(5 + accepted, pending.writerStats().degradedAccepts());
                assertTrue(pending.writerStats().queued() <= 50);

                pg.startServer();

                int expected = 1 + 5 + accepted;
                await().atMost(WAIT).until(db::healthy);
                await().atMost(WAIT).until(() -> testDb.count(
                        "SELECT count(*) FROM websocket_pending_events WHERE user_id = ?", user) == expected);
                await().atMost(WAIT).until(() -> testDb.count(
                        "SELECT count(*) FROM websocket_subscriptions WHERE session_id = 'S-outage'") == 1);
                assertTrue(pending.healthy());
                assertEquals("postgresql: ok", sessions.describe());
                assertFalse(pending.writer().inOutage());
                assertEquals(1L, testDb.count("SELECT count(*) FROM websocket_pending_events WHERE user_id = ? "
                        + "AND event_id = 'EV-during-2' AND critical", user));
                assertEquals(expected, pending.pending(user, now).get().size());
            } finally {
                sessions.close();
                pending.close();
                db.close();
            }
        }
    }

    @Test
    void startsWithTheDatabaseDownAndMigratesWhenItComesUp() throws Exception {
        try (TestDatabase testDb = TestDatabase.create(pg.port)) {
            pg.stopServer();
            Database db = testDb.open(4);
            PgPendingStore pending = new PgPendingStore(db, TTL, 100, 10);
            try {
                assertFalse(db.migrated());
                assertFalse(pending.healthy());
                long now = System.currentTimeMillis();
                pending.append("u-late", event("user:u-late", 1, "EV-late", false, now)).get();
                assertEquals(1, pending.writerStats().degradedAccepts());

                pg.startServer();

                await().atMost(WAIT).until(db::healthy);
                assertTrue(db.migrated());
                await().atMost(WAIT).until(() -> testDb.count(
                        "SELECT count(*) FROM websocket_pending_events WHERE user_id = 'u-late'") == 1);
                assertEquals("postgresql: ok", db.describe());
            } finally {
                pending.close();
                db.close();
            }
        }
    }
}
