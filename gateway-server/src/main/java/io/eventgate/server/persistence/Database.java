package io.eventgate.server.persistence;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.eventgate.core.engine.EngineUnavailableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL connection pool, the schema migration and the database's health.
 *
 * <p>The pool starts even when the database is down ({@code initializationFailTimeout=-1}) and waits at most
 * {@link #CONNECTION_TIMEOUT} for a connection, so the gateway starts and keeps serving while PostgreSQL is
 * unreachable. The Flyway migration runs once at construction when the database is reachable; otherwise the
 * stores' writer threads retry it ({@link #migrate()}) until it succeeds, and {@link #healthy()} is false
 * meanwhile.
 *
 * <p>{@link #healthy()} reports whether the schema is migrated and the last round trip (by any writer, reader or
 * health check) succeeded. The transition to unhealthy is logged once per outage, and so is the recovery.
 *
 * <p>Reads run on a small executor of their own ({@link #read}), never on the caller's thread.
 */
public final class Database implements AutoCloseable {
    /** How long a caller waits for a pooled connection (and the driver for a TCP connect). */
    public static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(2);
    /** The pool never has fewer connections than this (Flyway needs two while it migrates). */
    public static final int MIN_POOL_SIZE = 2;
    /** Threads of the read executor. */
    static final int READ_THREADS = 2;
    /** Reads waiting for a thread; past this, reads fail at once with {@link EngineUnavailableException}. */
    static final int READ_QUEUE = 1024;

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);
    private static final AtomicInteger POOLS = new AtomicInteger();
    private static final int MAX_ERROR_LENGTH = 160;

    private final HikariDataSource pool;
    private final Flyway flyway;
    private final ThreadPoolExecutor reads;
    private final Object migrationLock = new Object();
    private volatile boolean migrated;
    private volatile boolean lastRoundTripOk;
    private volatile String lastError = "not connected yet";
    private volatile long unhealthySinceNanos = System.nanoTime();
    private boolean outageLogged; // guarded by this

    /**
     * Creates the pool and migrates the schema if the database is reachable now (waiting at most about
     * {@link #CONNECTION_TIMEOUT} when it is not).
     *
     * @param jdbcUrl e.g. {@code jdbc:postgresql://127.0.0.1:5432/eventgate}
     * @param poolSize maximum pooled connections (the writer threads, the read executor and housekeeping share it);
     *     at least {@value #MIN_POOL_SIZE} are used, since the migration needs two
     */
    public Database(String jdbcUrl, String user, String password, int poolSize) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        if (poolSize < 1) {
            throw new IllegalArgumentException("poolSize must be >= 1");
        }
        HikariConfig config = new HikariConfig();
        config.setPoolName("eventgate-pg-" + POOLS.incrementAndGet());
        config.setDriverClassName("org.postgresql.Driver");
        config.setJdbcUrl(jdbcUrl);
        config.setUsername(user);
        config.setPassword(password);
        // Flyway holds two connections while it migrates.
        config.setMaximumPoolSize(Math.max(MIN_POOL_SIZE, poolSize));
        config.setMinimumIdle(Math.min(2, poolSize));
        config.setConnectionTimeout(CONNECTION_TIMEOUT.toMillis());
        config.setValidationTimeout(Math.min(1000, CONNECTION_TIMEOUT.toMillis() - 250));
        config.setInitializationFailTimeout(-1);
        // The driver's own limits: fail a TCP connect after CONNECTION_TIMEOUT, a hung statement after 30 s.
        config.addDataSourceProperty("connectTimeout", String.valueOf(CONNECTION_TIMEOUT.toSeconds()));
        config.addDataSourceProperty("socketTimeout", "30");
        config.addDataSourceProperty("tcpKeepAlive", "true");
        // Batched INSERTs become multi-row INSERTs: one statement per batch instead of one per row.
        config.addDataSourceProperty("reWriteBatchedInserts", "true");
        config.addDataSourceProperty("ApplicationName", "eventgate");
        // Keep row values (event payloads, user ids) out of exception messages and so out of the logs.
        config.addDataSourceProperty("logServerErrorDetail", "false");
        this.pool = new HikariDataSource(config);
        this.flyway = Flyway.configure(Database.class.getClassLoader())
                .dataSource(pool)
                .locations("classpath:db/migration")
                .connectRetries(0)
                .load();
        this.reads = new ThreadPoolExecutor(READ_THREADS, READ_THREADS, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(READ_QUEUE), daemonThreads("eventgate-pg-read-"));
        migrate();
    }

    /**
     * Applies pending migrations unless already done; returns whether the schema is up to date. Never throws:
     * a failure is recorded (unhealthy) and retried by the next call.
     */
    public boolean migrate() {
        if (migrated) {
            return true;
        }
        synchronized (migrationLock) {
            if (migrated) {
                return true;
            }
            try {
                var result = flyway.migrate();
                migrated = true;
                if (result.migrationsExecuted > 0) {
                    LOG.info("postgresql schema migrated to version {} ({} migration(s))", result.targetSchemaVersion,
                            result.migrationsExecuted);
                }
                succeeded();
                return true;
            } catch (RuntimeException e) {
                failed(e);
                return false;
            }
        }
    }

    /** Whether the migration has run in this process. */
    public boolean migrated() {
        return migrated;
    }

    /** One round trip ({@code SELECT 1}, after the migration if it is still pending); records the outcome. */
    public boolean ping() {
        if (!migrate()) {
            return false;
        }
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("SELECT 1");
            succeeded();
            return true;
        } catch (SQLException | RuntimeException e) {
            failed(e);
            return false;
        }
    }

    /** Whether the schema is migrated and the last round trip succeeded. */
    public boolean healthy() {
        return migrated && lastRoundTripOk;
    }

    /** {@code "postgresql: ok"}, or {@code "postgresql: <error class>: <short message>"}. */
    public String describe() {
        if (healthy()) {
            return "postgresql: ok";
        }
        String error = lastError;
        return "postgresql: " + (error != null ? error : "schema not migrated");
    }

    /** The pool (autocommit on by default; callers that change it get it reset by the pool). */
    public DataSource dataSource() {
        return pool;
    }

    /** A pooled connection; waits at most {@link #CONNECTION_TIMEOUT}. */
    public Connection connection() throws SQLException {
        return pool.getConnection();
    }

    /**
     * Runs {@code work} on the read executor with a pooled connection and records the outcome. Fails at once with
     * {@link EngineUnavailableException} while the database is unhealthy or the read queue is full.
     */
    public <T> CompletableFuture<T> read(SqlWork<T> work) {
        if (!healthy()) {
            return CompletableFuture.failedFuture(new EngineUnavailableException("database unavailable ("
                    + describe() + ")"));
        }
        CompletableFuture<T> future = new CompletableFuture<>();
        try {
            reads.execute(() -> {
                try {
                    future.complete(withConnection(work));
                } catch (Throwable e) {
                    future.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            future.completeExceptionally(new EngineUnavailableException("database read queue full"));
        }
        return future;
    }

    /**
     * Runs {@code work} on the calling thread with a pooled connection (autocommit on) and records the outcome:
     * for housekeeping threads only, never an event loop.
     */
    public <T> T withConnection(SqlWork<T> work) throws SQLException {
        try (Connection c = pool.getConnection()) {
            T result = work.apply(c);
            succeeded();
            return result;
        } catch (SQLException | RuntimeException e) {
            if (isConnectivityFailure(e)) {
                failed(e);
            }
            throw e;
        }
    }

    /** Records a successful round trip. */
    void succeeded() {
        if (lastRoundTripOk) {
            return;
        }
        synchronized (this) {
            if (lastRoundTripOk) {
                return;
            }
            lastRoundTripOk = true;
            if (outageLogged) {
                outageLogged = false;
                LOG.info("postgresql reachable again after {} ms",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - unhealthySinceNanos));
            }
        }
    }

    /** Records a failed round trip; the first failure of an outage is logged. */
    void failed(Throwable error) {
        String summary = summarize(error);
        synchronized (this) {
            lastError = summary;
            if (lastRoundTripOk || !outageLogged) {
                if (lastRoundTripOk) {
                    unhealthySinceNanos = System.nanoTime();
                }
                lastRoundTripOk = false;
                outageLogged = true;
                LOG.warn("postgresql unavailable: {} (writes are held in bounded buffers and retried)", summary);
            }
        }
    }

    /**
     * Whether {@code error} means the database could not be reached or the connection broke (retry later), as
     * opposed to the database rejecting a statement.
     */
    static boolean isConnectivityFailure(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException
                    || t instanceof SQLRecoverableException || t instanceof java.io.IOException) {
                return true;
            }
            if (t instanceof SQLException e && e.getSQLState() != null) {
                String state = e.getSQLState();
                // 08 connection exception, 53 insufficient resources, 57P admin shutdown / cannot connect now,
                // 58 system error (I/O)
                if (state.startsWith("08") || state.startsWith("53") || state.startsWith("57P")
                        || state.startsWith("58")) {
                    return true;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** Whether retrying the same statements later may succeed (connectivity, deadlock, serialization). */
    static boolean isRetryable(Throwable error) {
        if (isConnectivityFailure(error)) {
            return true;
        }
        for (Throwable t = error; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof SQLException e && e.getSQLState() != null && e.getSQLState().startsWith("40")) {
                return true;
            }
            if (t instanceof java.sql.SQLTransientException) {
                return true;
            }
        }
        return false;
    }

    /** {@code "<class>: <first line of message>"} of the most specific SQL error in the chain, shortened. */
    static String summarize(Throwable error) {
        Throwable pick = error;
        for (Throwable t = error; t != null && t.getCause() != t; t = t.getCause()) {
            if (t instanceof SQLException) {
                pick = t;
            }
        }
        String message = pick.getMessage();
        if (message == null) {
            message = "";
        }
        int newline = message.indexOf('\n');
        if (newline >= 0) {
            message = message.substring(0, newline);
        }
        message = message.strip();
        if (message.length() > MAX_ERROR_LENGTH) {
            message = message.substring(0, MAX_ERROR_LENGTH - 3) + "...";
        }
        String name = pick.getClass().getSimpleName();
        return message.isEmpty() ? name : name + ": " + message;
    }

    static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Stops the read executor and closes the pool; close the stores (their writers) first. */
    @Override
    public void close() {
        reads.shutdown();
        try {
            if (!reads.awaitTermination(CONNECTION_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS)) {
                reads.shutdownNow();
            }
        } catch (InterruptedException e) {
            reads.shutdownNow();
            Thread.currentThread().interrupt();
        }
        pool.close();
    }

    /** Work with a connection. */
    @FunctionalInterface
    public interface SqlWork<T> {
        T apply(Connection connection) throws SQLException;
    }
}
