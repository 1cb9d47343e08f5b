package io.eventgate.server.outbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.core.Gateway;
import io.eventgate.core.engine.PublishOptions;
import io.eventgate.protocol.ClientMessageDecoder;
import io.eventgate.protocol.Json;
import io.eventgate.protocol.ProtocolException;
import io.eventgate.server.persistence.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes rows of the {@code gateway_outbox} table that applications insert inside their own transactions.
 *
 * <p>One daemon thread per node: it LISTENs on {@code gateway_outbox} (the insert trigger NOTIFYs on commit) and polls
 * every {@code pollInterval} as a fallback. Each round claims up to {@value #BATCH} unpublished rows with
 * {@code FOR UPDATE SKIP LOCKED} (so several nodes never take the same row), publishes them in id order, and marks
 * them published in the same transaction. A row is published at least once; an event without an {@code eventId} gets
 * {@code OB-<id>}, so a row re-published after a crash between publish and commit carries the same id (clients
 * deduplicate by eventId; the Redis engine drops the duplicate itself). Rows that can never be published (bad
 * channel, event without type) get {@code error} set and are skipped from then on. Blocking JDBC runs only on this
 * thread, never on an event loop.
 */
public final class OutboxPoller implements AutoCloseable {
    static final int BATCH = 100;
    private static final Logger LOG = LoggerFactory.getLogger(OutboxPoller.class);
    private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(10);

    private final Database database;
    private final Gateway gateway;
    private final long pollMillis;
    private final Thread thread;
    private volatile boolean running = true;
    private final LongAdder published = new LongAdder();
    private final LongAdder invalid = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private Connection listenConnection;
    private static final long CLEANUP_INTERVAL_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(10);
    private long lastCleanupNanos = System.nanoTime();

    public OutboxPoller(Database database, Gateway gateway, Duration pollInterval) {
        this.database = database;
        this.gateway = gateway;
        this.pollMillis = Math.max(10, pollInterval.toMillis());
        this.thread = new Thread(this::run, "eventgate-outbox");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        long backoff = 100;
        while (running) {
            try {
                if (!database.migrated()) {
                    database.migrate();
                    waitFor(pollMillis);
                    continue;
                }
                ensureListening();
                int n;
                do {
                    n = round();
                } while (n == BATCH && running);
                if (System.nanoTime() - lastCleanupNanos > CLEANUP_INTERVAL_NANOS) {
                    lastCleanupNanos = System.nanoTime();
                    cleanup();
                }
                backoff = 100;
                waitFor(pollMillis);
            } catch (SQLException | RuntimeException e) {
                failures.increment();
                closeListen();
                if (running) {
                    LOG.debug("outbox round failed: {}", e.toString());
                    sleepQuietly(backoff);
                    backoff = Math.min(5_000, backoff * 2);
                }
            }
        }
        closeListen();
    }

    /** One claimed batch: returns how many rows it took. */
    int round() throws SQLException {
        try (Connection c = database.connection()) {
            c.setAutoCommit(false);
            List<Long> done = new ArrayList<>();
            List<long[]> bad = new ArrayList<>();
            List<String> badReasons = new ArrayList<>();
            int taken = 0;
            try (PreparedStatement select = c.prepareStatement("SELECT id, channel, event::text, ack, critical"
                    + " FROM gateway_outbox WHERE published_at IS NULL AND error IS NULL ORDER BY id LIMIT " + BATCH
                    + " FOR UPDATE SKIP LOCKED");
                 ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    taken++;
                    long id = rs.getLong(1);
                    String channel = rs.getString(2);
                    String eventText = rs.getString(3);
                    Boolean ack = (Boolean) rs.getObject(4);
                    boolean critical = rs.getBoolean(5);
                    try {
                        JsonNode node = Json.MAPPER.readTree(eventText);
                        ObjectNode event = ClientMessageDecoder.requireEvent(node, "event");
                        if (!event.hasNonNull("eventId")) {
                            event.put("eventId", "OB-" + id);
                        }
                        CompletableFuture<?> f = gateway.publish(channel, event, new PublishOptions(ack, critical));
                        f.get(PUBLISH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                        done.add(id);
                    } catch (ProtocolException | com.fasterxml.jackson.core.JacksonException e) {
                        bad.add(new long[] {id});
                        badReasons.add(e.getMessage());
                    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                        // The engine could not sequence it: stop here, keep order, retry the rest later.
                        failures.increment();
                        break;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            if (!done.isEmpty()) {
                try (PreparedStatement mark = c.prepareStatement(
                        "UPDATE gateway_outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY (?)")) {
                    mark.setArray(1, c.createArrayOf("bigint", done.toArray()));
                    mark.executeUpdate();
                }
            }
            for (int i = 0; i < bad.size(); i++) {
                try (PreparedStatement mark = c.prepareStatement(
                        "UPDATE gateway_outbox SET error = ?, attempts = attempts + 1 WHERE id = ?")) {
                    mark.setString(1, badReasons.get(i) == null ? "invalid" : badReasons.get(i));
                    mark.setLong(2, bad.get(i)[0]);
                    mark.executeUpdate();
                }
                LOG.warn("outbox row {} cannot be published: {}", bad.get(i)[0], badReasons.get(i));
            }
            c.commit();
            published.add(done.size());
            invalid.add(bad.size());
            return done.size() + bad.size() == taken ? taken : 0;
        }
    }

    /** Published rows are kept a day for inspection, then deleted; the table stays bounded. */
    private void cleanup() throws SQLException {
        try (Connection c = database.connection(); Statement s = c.createStatement()) {
            s.executeUpdate("DELETE FROM gateway_outbox WHERE published_at < now() - interval '1 day'");
        }
    }

    private void ensureListening() throws SQLException {
        if (listenConnection != null && !listenConnection.isClosed()) {
            return;
        }
        listenConnection = database.connection();
        listenConnection.setAutoCommit(true);
        try (Statement s = listenConnection.createStatement()) {
            s.execute("LISTEN gateway_outbox");
        }
    }

    /** Waits for a NOTIFY or the poll interval, whichever comes first. */
    private void waitFor(long millis) throws SQLException {
        if (listenConnection == null) {
            sleepQuietly(millis);
            return;
        }
        PGConnection pg = listenConnection.unwrap(PGConnection.class);
        pg.getNotifications((int) Math.min(Integer.MAX_VALUE, millis));
    }

    private void closeListen() {
        if (listenConnection != null) {
            try {
                listenConnection.close();
            } catch (SQLException ignored) {
                // the pool discards it
            }
            listenConnection = null;
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public long published() {
        return published.sum();
    }

    public long invalid() {
        return invalid.sum();
    }

    public long failures() {
        return failures.sum();
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
