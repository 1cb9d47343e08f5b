package io.eventgate.server.persistence;

import java.sql.SQLException;
import java.util.Objects;
import java.util.function.IntConsumer;

/**
 * What the PostgreSQL stores share: their {@link Database} (its health is theirs), the one {@link BatchWriter} every
 * write goes through (its counters, and stopping it on {@link #close}), and chunked housekeeping statements.
 */
abstract class PgStore {
    final Database db;

    PgStore(Database db) {
        this.db = Objects.requireNonNull(db, "db");
    }

    /** The writer (its counters: rows written, batches, retries, degraded accepts, buffer-full refusals). */
    public abstract BatchWriter<?> writer();

    public BatchWriter.Stats writerStats() {
        return writer().stats();
    }

    public boolean healthy() {
        return db.healthy();
    }

    public String describe() {
        return db.describe();
    }

    /** Writes what is buffered (while the database is reachable, for a few seconds at most) and stops the writer. */
    public void close() {
        writer().close();
    }

    /**
     * Runs {@code chunk} (one statement, on the calling thread with a pooled connection) again and again until it
     * touches fewer than {@code chunkSize} rows or has run {@code maxChunks} times; {@code done} is told the rows of
     * each chunk as it completes, so chunks already done are counted even when a later one fails.
     *
     * @return the rows touched by all chunks
     */
    final int inChunks(int chunkSize, int maxChunks, Database.SqlWork<Integer> chunk, IntConsumer done)
            throws SQLException {
        int total = 0;
        for (int i = 0; i < maxChunks; i++) {
            int rows = db.withConnection(chunk);
            done.accept(rows);
            total += rows;
            if (rows < chunkSize) {
                break;
            }
        }
        return total;
    }
}
