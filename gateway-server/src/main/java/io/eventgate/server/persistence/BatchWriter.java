package io.eventgate.server.persistence;

import io.eventgate.core.engine.EngineUnavailableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that writes a store's operations to PostgreSQL in batches.
 *
 * <p>Callers (Netty event loops) never block: {@link #submit} and {@link #offer} put the operation in a bounded
 * queue of {@code bufferSize} and return. The writer thread takes up to {@code batchSize} operations at a time and
 * hands them to the {@link Sink}, which writes them with JDBC batches ({@code addBatch}/{@code executeBatch}) in
 * one transaction; each operation's future completes after the commit. Operations must be idempotent: a batch whose
 * commit outcome was lost with its connection is written again.
 *
 * <p><b>Outage.</b> When the database cannot be reached (or the connection breaks) the writer marks the database
 * unhealthy, keeps the batch and everything queued (so at most {@code batchSize + bufferSize} operations), and
 * retries with exponential backoff from {@value #MIN_BACKOFF_MS} ms to {@value #MAX_BACKOFF_MS} ms, pinging
 * (and migrating, if that is still pending) until the database answers. The outage is logged once by
 * {@link Database}, not per operation, and counted ({@link #retries()}).
 *
 * <p><b>Degraded accepts.</b> During an outage an accepted operation's future completes at once, successfully,
 * although nothing is committed yet: "accepted" then means "held in the bounded buffer, written when the database
 * is back". The same happens to the futures of operations already waiting when the outage begins. Each such
 * completion is counted in {@link #degradedAccepts()}. Held operations are lost if the process stops before the
 * database is back. When the buffer is full, {@link #submit} returns a future failed with
 * {@link EngineUnavailableException}{@code ("database write buffer full")} (counted in
 * {@link #bufferFullRefusals()}).
 *
 * <p><b>Rejected operations.</b> When the database rejects a batch for another reason (a constraint, an invalid
 * value), the operations are written one by one so that only the offending one fails (its future fails with
 * {@link EngineUnavailableException}, counted in {@link #failures()}) and the others are committed.
 */
public final class BatchWriter<T> implements AutoCloseable {
    static final long MIN_BACKOFF_MS = 100;
    static final long MAX_BACKOFF_MS = 5_000;
    /** When idle, the writer checks the database at least this often (so health recovers without traffic). */
    static final long HEALTH_CHECK_INTERVAL_MS = 5_000;
    /** How long {@link #close()} keeps writing what is left when the database is reachable. */
    static final long CLOSE_FLUSH_MS = 5_000;
    private static final long IDLE_POLL_MS = 200;

    private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);

    /** Writes operations within the writer's transaction. */
    public interface Sink<T> {
        /**
         * Writes {@code ops} on {@code connection} (autocommit off; the writer commits or rolls back) with JDBC
         * batches, and returns the number of rows (statements) written. Called again with the same operations after
         * a failure, so it must be idempotent.
         */
        int write(Connection connection, List<T> ops) throws SQLException;

        /** After the commit of {@code ops} (writer thread). */
        default void committed(List<T> ops) {}

        /** {@code op} will never be written: the database rejected it, or the writer closed (writer thread). */
        default void dropped(T op, Throwable reason) {}
    }

    private static final class Item<T> {
        final T op;
        final CompletableFuture<Void> future;

        Item(T op, CompletableFuture<Void> future) {
            this.op = op;
            this.future = future;
        }
    }

    private final String name;
    private final Database db;
    private final Sink<T> sink;
    private final int batchSize;
    private final int bufferSize;
    private final ArrayBlockingQueue<Item<T>> queue;
    private final Thread thread;
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile boolean outage;
    private volatile boolean full;

    private final LongAdder rowsWritten = new LongAdder();
    private final LongAdder opsWritten = new LongAdder();
    private final LongAdder batches = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder degradedAccepts = new LongAdder();
    private final LongAdder bufferFullRefusals = new LongAdder();
    private final LongAdder outages = new LongAdder();

    /**
     * Starts the writer thread.
     *
     * @param name for the thread's name and logs, e.g. {@code "pending"}
     * @param bufferSize capacity of the queue (operations)
     * @param batchSize most operations per transaction
     */
    public BatchWriter(String name, Database db, Sink<T> sink, int bufferSize, int batchSize) {
        if (bufferSize < 1 || batchSize < 1) {
            throw new IllegalArgumentException("bufferSize and batchSize must be >= 1");
        }
        this.name = name;
        this.db = db;
        this.sink = sink;
        this.batchSize = batchSize;
        this.bufferSize = bufferSize;
        this.queue = new ArrayBlockingQueue<>(bufferSize);
        this.outage = !db.migrated();
        if (outage) {
            outages.increment();
        }
        this.thread = new Thread(this::run, "eventgate-pg-writer-" + name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Queues {@code op}; the future completes after its commit, or at once (degraded) while the database is
     * unreachable, or fails with {@link EngineUnavailableException} when the buffer is full or the database rejects
     * the operation. Never blocks.
     */
    public CompletableFuture<Void> submit(T op) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        Item<T> item = new Item<>(op, future);
        if (!enqueue(item)) {
            return CompletableFuture.failedFuture(new EngineUnavailableException(closing.getCount() == 0
                    ? "database writer closed" : "database write buffer full"));
        }
        if (outage) {
            completeDegraded(item);
        }
        return future;
    }

    /** Queues {@code op} without a future (fire and forget); false (and counted) when the buffer is full. */
    public boolean offer(T op) {
        return enqueue(new Item<>(op, null));
    }

    private boolean enqueue(Item<T> item) {
        if (closing.getCount() == 0) {
            bufferFullRefusals.increment();
            return false;
        }
        if (queue.offer(item)) {
            return true;
        }
        bufferFullRefusals.increment();
        if (!full) {
            full = true;
            LOG.warn("database write buffer '{}' full ({} operations): refusing writes", name, bufferSize);
        }
        return false;
    }

    private void completeDegraded(Item<T> item) {
        if (item.future != null && item.future.complete(null)) {
            degradedAccepts.increment();
        }
    }

    private void run() {
        List<Item<T>> batch = new ArrayList<>(batchSize);
        try {
            loop(batch);
        } catch (Throwable e) {
            LOG.error("database writer '{}' stopped unexpectedly", name, e);
            closing.countDown();
            dropRemaining(batch);
            throw e;
        }
    }

    private void loop(List<Item<T>> batch) {
        long backoff = MIN_BACKOFF_MS;
        long lastCheckNanos = System.nanoTime();
        long closeDeadline = 0;
        while (true) {
            boolean closed = closing.getCount() == 0;
            if (closed && closeDeadline == 0) {
                closeDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_FLUSH_MS);
            }
            if (closed && (outage || System.nanoTime() > closeDeadline || (batch.isEmpty() && queue.isEmpty()))) {
                break;
            }
            if (batch.isEmpty()) {
                Item<T> first = outage || closed ? queue.poll() : poll();
                if (first != null) {
                    batch.add(first);
                    queue.drainTo(batch, batchSize - 1);
                }
            }
            if (full && queue.size() < bufferSize / 2) {
                full = false;
            }
            if (batch.isEmpty()) {
                // Idle: make sure an outage (or a failure seen by a reader) ends, and notice one that begins.
                boolean due = System.nanoTime() - lastCheckNanos > TimeUnit.MILLISECONDS.toNanos(
                        HEALTH_CHECK_INTERVAL_MS);
                if (outage || !db.healthy() || due) {
                    lastCheckNanos = System.nanoTime();
                    if (db.ping()) {
                        endOutage();
                        backoff = MIN_BACKOFF_MS;
                    } else {
                        beginOutage(batch);
                        backoff = pause(backoff);
                    }
                }
                continue;
            }
            lastCheckNanos = System.nanoTime();
            if (!db.migrate()) {
                // Database already recorded (and logged) why.
                retries.increment();
                beginOutage(batch);
                backoff = pause(backoff);
                continue;
            }
            Throwable error = attempt(batch);
            if (error == null) {
                batch.clear();
                endOutage();
                backoff = MIN_BACKOFF_MS;
                continue;
            }
            if (Database.isRetryable(error)) {
                retries.increment();
                if (Database.isConnectivityFailure(error)) {
                    db.failed(error);
                    beginOutage(batch);
                }
                backoff = pause(backoff);
                continue;
            }
            // The database rejected something in the batch: isolate it.
            Throwable broken = isolate(batch);
            if (broken != null) {
                retries.increment();
                db.failed(broken);
                beginOutage(batch);
                backoff = pause(backoff);
            }
        }
        dropRemaining(batch);
    }

    private void dropRemaining(List<Item<T>> batch) {
        int left = batch.size() + queue.size();
        if (left > 0) {
            LOG.warn("database writer '{}' closed with {} operation(s) not written ({})", name, left, db.describe());
            EngineUnavailableException closedError = new EngineUnavailableException("database writer closed");
            List<Item<T>> rest = new ArrayList<>(batch);
            batch.clear();
            queue.drainTo(rest);
            for (Item<T> item : rest) {
                if (item.future != null) {
                    item.future.completeExceptionally(closedError);
                }
                dropQuietly(item.op, closedError);
            }
        }
    }

    private Item<T> poll() {
        try {
            return queue.poll(IDLE_POLL_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            return null;
        }
    }

    /** Waits {@code backoff} ms (or until closed); returns the next backoff. */
    private long pause(long backoff) {
        try {
            closing.await(backoff, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Math.min(MAX_BACKOFF_MS, backoff * 2);
    }

    private void beginOutage(List<Item<T>> batch) {
        if (!outage) {
            outage = true;
            outages.increment();
            LOG.info("database writer '{}': holding writes until the database is back (at most {} operations)", name,
                    bufferSize + batchSize);
        }
        for (Item<T> item : batch) {
            completeDegraded(item);
        }
        for (Item<T> item : queue) {
            completeDegraded(item);
        }
    }

    private void endOutage() {
        if (outage) {
            outage = false;
            LOG.info("database writer '{}': database reachable, writing {} held operation(s)", name, queue.size());
        }
    }

    /** Writes and commits {@code batch}; returns the failure, or null. */
    private Throwable attempt(List<Item<T>> batch) {
        List<T> ops = new ArrayList<>(batch.size());
        for (Item<T> item : batch) {
            ops.add(item.op);
        }
        int rows;
        try (Connection c = db.connection()) {
            c.setAutoCommit(false);
            try {
                rows = sink.write(c, ops);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
        } catch (SQLException | RuntimeException e) {
            return e;
        }
        db.succeeded();
        rowsWritten.add(rows);
        opsWritten.add(ops.size());
        batches.increment();
        try {
            sink.committed(ops);
        } catch (RuntimeException e) {
            LOG.warn("database writer '{}': after-commit hook failed", name, e);
        }
        for (Item<T> item : batch) {
            if (item.future != null) {
                item.future.complete(null);
            }
        }
        return null;
    }

    /**
     * Writes the batch one operation per transaction: rejected operations are dropped, the others committed.
     * Returns a connectivity failure that interrupted it (the batch then holds what is left), or null.
     */
    private Throwable isolate(List<Item<T>> batch) {
        while (!batch.isEmpty()) {
            Item<T> item = batch.get(0);
            Throwable error = attempt(List.of(item));
            if (error != null) {
                if (Database.isRetryable(error)) {
                    return error;
                }
                failures.increment();
                LOG.warn("database writer '{}': the database rejected an operation, dropping it: {}", name,
                        Database.summarize(error));
                EngineUnavailableException rejected = new EngineUnavailableException(
                        "database rejected the write: " + Database.summarize(error), error);
                if (item.future != null) {
                    item.future.completeExceptionally(rejected);
                }
                dropQuietly(item.op, rejected);
            }
            batch.remove(0);
        }
        return null;
    }

    private void dropQuietly(T op, Throwable reason) {
        try {
            sink.dropped(op, reason);
        } catch (RuntimeException e) {
            LOG.warn("database writer '{}': drop hook failed", name, e);
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException | RuntimeException ignored) {
            // the connection is broken or closing; the pool discards it
        }
    }

    /** Rows (statements) committed. */
    public long rowsWritten() {
        return rowsWritten.sum();
    }

    /** Operations committed (one operation may write several rows, several operations may coalesce into one). */
    public long opsWritten() {
        return opsWritten.sum();
    }

    /** Committed transactions. */
    public long batches() {
        return batches.sum();
    }

    /** Failed attempts that were retried (connectivity, deadlock). */
    public long retries() {
        return retries.sum();
    }

    /** Operations the database rejected (dropped, their futures failed). */
    public long failures() {
        return failures.sum();
    }

    /** Futures completed while the operation was only held in the buffer (database unreachable). */
    public long degradedAccepts() {
        return degradedAccepts.sum();
    }

    /** Operations refused because the buffer was full (or the writer closed). */
    public long bufferFullRefusals() {
        return bufferFullRefusals.sum();
    }

    /** Outages this writer went through (including a start with the database down). */
    public long outages() {
        return outages.sum();
    }

    /** Whether the writer is holding operations until the database is back. */
    public boolean inOutage() {
        return outage;
    }

    /** Operations waiting in the queue (not counting the batch being written). */
    public int queued() {
        return queue.size();
    }

    /** Whether a submit would be accepted now (the queue has room). */
    public boolean hasRoom() {
        return queue.remainingCapacity() > 0;
    }

    public String name() {
        return name;
    }

    /** A snapshot of the counters. */
    public Stats stats() {
        return new Stats(rowsWritten(), opsWritten(), batches(), retries(), failures(), degradedAccepts(),
                bufferFullRefusals(), outages(), queued(), inOutage());
    }

    /** Counters of one writer. */
    public record Stats(long rowsWritten, long opsWritten, long batches, long retries, long failures,
                        long degradedAccepts, long bufferFullRefusals, long outages, int queued, boolean outage) {}

    /**
     * Stops accepting operations, writes what is left (for at most {@value #CLOSE_FLUSH_MS} ms, and only while the
     * database is reachable), then stops the thread. Operations not written are dropped and logged.
     */
    @Override
    public void close() {
        closing.countDown();
        try {
            thread.join(CLOSE_FLUSH_MS + Database.CONNECTION_TIMEOUT.toMillis() * 2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
