package io.eventgate.server.persistence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.core.session.SessionSnapshot;
import io.eventgate.core.session.SessionStore;
import io.eventgate.core.session.SubscriptionSnapshot;
import io.eventgate.protocol.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions and the connection lifecycle in PostgreSQL ({@code websocket_sessions}, {@code websocket_subscriptions},
 * {@code websocket_connections}).
 *
 * <p>Every write goes through one {@link BatchWriter} (fire and forget: the SPI's writes return nothing). Within a
 * flush, several saves of one session coalesce into the newest, and several {@link #active} updates of one
 * connection into one row update (an activity update also waits in the queue at most once per connection). A save
 * upserts the session row only if it is not older than the stored one, and replaces the subscriptions only when the
 * session row then carries this save's {@code saved_at}, so a delayed older snapshot never overwrites a newer one.
 *
 * <p>{@link #load} answers from the write buffer when the session's newest save is not committed yet (a resume right
 * after a disconnect, or during an outage), else reads on the database's read executor; it fails with
 * {@link io.eventgate.core.engine.EngineUnavailableException} while the database is unhealthy.
 */
public final class PgSessionStore extends PgStore implements SessionStore {
    /** Rows updated or deleted per statement by {@link #sweep}. */
    public static final int SWEEP_CHUNK = 1_000;
    static final int MAX_SWEEP_CHUNKS = 100;

    private static final Logger LOG = LoggerFactory.getLogger(PgSessionStore.class);

    static final String INSERT_CONNECTION = "INSERT INTO websocket_connections (connection_id, session_id, user_id, "
            + "node_id, status, remote_address, user_agent, connected_at, last_activity) "
            + "VALUES (?, ?, ?, ?, 'CONNECTED', ?, ?, ?, ?) ON CONFLICT (connection_id) DO NOTHING";
    static final String UPSERT_SESSION = "INSERT INTO websocket_sessions (session_id, user_id, saved_at) "
            + "VALUES (?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET user_id = EXCLUDED.user_id, "
            + "saved_at = EXCLUDED.saved_at WHERE websocket_sessions.saved_at <= EXCLUDED.saved_at";
    private static final String CURRENT_SAVE = "EXISTS (SELECT 1 FROM websocket_sessions s "
            + "WHERE s.session_id = ? AND s.saved_at = ?)";
    static final String DELETE_SUBSCRIPTIONS = "DELETE FROM websocket_subscriptions WHERE session_id = ? AND "
            + CURRENT_SAVE;
    static final String INSERT_SUBSCRIPTION = "INSERT INTO websocket_subscriptions (session_id, user_id, channel, "
            + "events, excluded_events, filters, seq, epoch, ordinal, updated_at) "
            + "SELECT ?, ?, ?, CAST(? AS jsonb), CAST(? AS jsonb), CAST(? AS jsonb), ?, ?, ?, ? WHERE " + CURRENT_SAVE
            + " ON CONFLICT (session_id, channel) DO UPDATE SET user_id = EXCLUDED.user_id, "
            + "events = EXCLUDED.events, excluded_events = EXCLUDED.excluded_events, filters = EXCLUDED.filters, "
            + "seq = EXCLUDED.seq, epoch = EXCLUDED.epoch, ordinal = EXCLUDED.ordinal, updated_at = EXCLUDED.updated_at";
    static final String UPDATE_ACTIVITY = "UPDATE websocket_connections SET last_activity = GREATEST(last_activity, ?), "
            + "status = CASE WHEN status = 'STALE' THEN 'CONNECTED' ELSE status END "
            + "WHERE connection_id = ? AND status <> 'DISCONNECTED'";
    static final String UPDATE_DISCONNECTED = "UPDATE websocket_connections SET status = 'DISCONNECTED', "
            + "disconnected_at = ?, close_code = ?, last_activity = GREATEST(last_activity, ?) WHERE connection_id = ?";
    static final String SELECT_SESSION = "SELECT w.user_id, w.saved_at, s.channel, s.events, s.excluded_events, "
            + "s.filters, s.seq, s.epoch FROM websocket_sessions w "
            + "LEFT JOIN websocket_subscriptions s ON s.session_id = w.session_id "
            + "WHERE w.session_id = ? AND w.saved_at >= ? ORDER BY s.ordinal, s.channel";
    static final String MARK_STALE = "UPDATE websocket_connections SET status = 'STALE' WHERE connection_id IN ("
            + "SELECT connection_id FROM websocket_connections WHERE status = 'CONNECTED' AND last_activity < ? "
            + "LIMIT ? FOR UPDATE SKIP LOCKED)";
    /** How long lifecycle rows of closed (DISCONNECTED or STALE) connections are kept. */
    static final Duration CONNECTION_RETENTION = Duration.ofDays(7);
    static final String DELETE_OLD_CONNECTIONS = "DELETE FROM websocket_connections WHERE connection_id IN ("
            + "SELECT connection_id FROM websocket_connections WHERE status <> 'CONNECTED' AND last_activity < ?"
            + " LIMIT ? FOR UPDATE SKIP LOCKED)";
    static final String DELETE_SESSIONS = "DELETE FROM websocket_sessions WHERE session_id IN ("
            + "SELECT session_id FROM websocket_sessions WHERE saved_at < ? LIMIT ? FOR UPDATE SKIP LOCKED)";

    /** A write operation. */
    sealed interface Op permits Connected, Disconnected, Activity, Save {}

    record Connected(ConnectionInfo info) implements Op {}

    record Disconnected(String connectionId, long atMillis, int closeCode) implements Op {}

    record Save(SessionSnapshot snapshot) implements Op {}

    /** A connection's newest activity time; queued once, updated in place until the writer claims it. */
    static final class Activity implements Op {
        final String connectionId;
        final AtomicLong atMillis;

        Activity(String connectionId, long atMillis) {
            this.connectionId = connectionId;
            this.atMillis = new AtomicLong(atMillis);
        }
    }

    private final long ttlMillis;
    private final LongSupplier clock;
    private final BatchWriter<Op> writer;
    /** Newest snapshot per session whose save is not committed yet. */
    private final ConcurrentHashMap<String, SessionSnapshot> unsaved = new ConcurrentHashMap<>();
    /** Activity updates waiting in the queue, one per connection. */
    private final ConcurrentHashMap<String, Activity> activity = new ConcurrentHashMap<>();

    /**
     * @param sessionTtl a session is resumable this long after its last save
     * @param bufferSize write buffer capacity (operations)
     * @param batchSize most operations per transaction
     * @param clock wall-clock millis (for the TTL in {@link #load})
     */
    public PgSessionStore(Database db, Duration sessionTtl, int bufferSize, int batchSize, LongSupplier clock) {
        super(db);
        this.ttlMillis = sessionTtl.toMillis();
        this.clock = clock;
        this.writer = new BatchWriter<>("sessions", db, new Sink(), bufferSize, batchSize);
    }

    @Override
    public void save(SessionSnapshot snapshot) {
        unsaved.put(snapshot.sessionId(), snapshot);
        if (!writer.offer(new Save(snapshot))) {
            unsaved.remove(snapshot.sessionId(), snapshot);
        }
    }

    @Override
    public CompletableFuture<Optional<SessionSnapshot>> load(String sessionId) {
        long oldest = clock.getAsLong() - ttlMillis;
        SessionSnapshot buffered = unsaved.get(sessionId);
        if (buffered != null) {
            return CompletableFuture.completedFuture(buffered.savedAtMillis() >= oldest ? Optional.of(buffered)
                    : Optional.empty());
        }
        return db.read(c -> select(c, sessionId, oldest));
    }

    private static Optional<SessionSnapshot> select(Connection c, String sessionId, long oldestMillis)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(SELECT_SESSION)) {
            ps.setString(1, sessionId);
            SqlTimes.set(ps, 2, oldestMillis);
            try (ResultSet rs = ps.executeQuery()) {
                String userId = null;
                long savedAt = 0;
                List<SubscriptionSnapshot> subscriptions = new ArrayList<>();
                while (rs.next()) {
                    userId = rs.getString("user_id");
                    savedAt = SqlTimes.get(rs, "saved_at", 0);
                    String channel = rs.getString("channel");
                    if (channel == null) {
                        continue; // a session without subscriptions
                    }
                    List<String> excluded = strings(rs.getString("excluded_events"));
                    subscriptions.add(new SubscriptionSnapshot(channel, strings(rs.getString("events")),
                            excluded == null ? List.of() : excluded, json(rs.getString("filters")),
                            rs.getLong("seq"), rs.getString("epoch")));
                }
                return userId == null ? Optional.empty()
                        : Optional.of(new SessionSnapshot(sessionId, userId, List.copyOf(subscriptions), savedAt));
            }
        }
    }

    @Override
    public void connected(ConnectionInfo info) {
        writer.offer(new Connected(info));
    }

    @Override
    public void disconnected(String connectionId, long atMillis, int closeCode) {
        writer.offer(new Disconnected(connectionId, atMillis, closeCode));
    }

    /** Coalesced: one queued update per connection carries its newest activity time. */
    @Override
    public void active(String connectionId, long atMillis) {
        Activity[] created = new Activity[1];
        activity.compute(connectionId, (id, a) -> {
            if (a == null) {
                created[0] = new Activity(id, atMillis);
                return created[0];
            }
            a.atMillis.accumulateAndGet(atMillis, Math::max);
            return a;
        });
        if (created[0] != null && !writer.offer(created[0])) {
            activity.remove(connectionId, created[0]);
        }
    }

    /**
     * Housekeeping (runs on the calling thread, never an event loop): marks CONNECTED rows whose
     * {@code last_activity} is older than {@code staleAfter} as STALE (their node stopped updating them), and deletes
     * sessions saved longer ago than the session TTL (their subscriptions cascade). Works in chunks of
     * {@value #SWEEP_CHUNK}; does nothing while the database is unhealthy.
     */
    public SweepResult sweep(long nowMillis, Duration staleAfter) {
        if (!db.healthy()) {
            return new SweepResult(0, 0);
        }
        int stale = 0;
        int deleted = 0;
        try {
            stale = chunked(MARK_STALE, nowMillis - staleAfter.toMillis());
            deleted = chunked(DELETE_SESSIONS, nowMillis - ttlMillis);
            // Lifecycle rows of closed connections are kept for CONNECTION_RETENTION, then deleted.
            chunked(DELETE_OLD_CONNECTIONS, nowMillis - CONNECTION_RETENTION.toMillis());
        } catch (SQLException | RuntimeException e) {
            LOG.warn("session sweep failed: {}", Database.summarize(e));
        }
        return new SweepResult(stale, deleted);
    }

    private int chunked(String sql, long beforeMillis) throws SQLException {
        return inChunks(SWEEP_CHUNK, MAX_SWEEP_CHUNKS, c -> {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                SqlTimes.set(ps, 1, beforeMillis);
                ps.setInt(2, SWEEP_CHUNK);
                return ps.executeUpdate();
            }
        }, rows -> { });
    }

    /** What one {@link #sweep} did. */
    public record SweepResult(int markedStale, int sessionsDeleted) {}

    private final class Sink implements BatchWriter.Sink<Op> {
        @Override
        public int write(Connection c, List<Op> ops) throws SQLException {
            List<Connected> connected = new ArrayList<>();
            Map<String, SessionSnapshot> saves = new LinkedHashMap<>();
            Map<String, Long> active = new LinkedHashMap<>();
            List<Disconnected> disconnected = new ArrayList<>();
            for (Op op : ops) {
                switch (op) {
                    case Connected x -> connected.add(x);
                    case Save x -> saves.merge(x.snapshot().sessionId(), x.snapshot(),
                            (old, neu) -> neu.savedAtMillis() >= old.savedAtMillis() ? neu : old);
                    case Activity x -> {
                        // Claim it: later updates of this connection queue a new one.
                        activity.remove(x.connectionId, x);
                        active.merge(x.connectionId, x.atMillis.get(), Math::max);
                    }
                    case Disconnected x -> disconnected.add(x);
                }
            }
            int rows = 0;
            if (!connected.isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement(INSERT_CONNECTION)) {
                    for (Connected x : connected) {
                        ConnectionInfo i = x.info();
                        ps.setString(1, i.connectionId());
                        ps.setString(2, i.sessionId());
                        ps.setString(3, i.userId());
                        ps.setString(4, i.nodeId());
                        ps.setString(5, i.remoteAddress());
                        ps.setString(6, i.userAgent());
                        SqlTimes.set(ps, 7, i.connectedAtMillis());
                        SqlTimes.set(ps, 8, i.connectedAtMillis());
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                rows += connected.size();
            }
            if (!saves.isEmpty()) {
                rows += writeSaves(c, saves.values());
            }
            if (!active.isEmpty()) {
                List<Map.Entry<String, Long>> sorted = new ArrayList<>(active.entrySet());
                sorted.sort(Map.Entry.comparingByKey());
                try (PreparedStatement ps = c.prepareStatement(UPDATE_ACTIVITY)) {
                    for (Map.Entry<String, Long> e : sorted) {
                        SqlTimes.set(ps, 1, e.getValue());
                        ps.setString(2, e.getKey());
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                rows += sorted.size();
            }
            if (!disconnected.isEmpty()) {
                try (PreparedStatement ps = c.prepareStatement(UPDATE_DISCONNECTED)) {
                    for (Disconnected x : disconnected) {
                        SqlTimes.set(ps, 1, x.atMillis());
                        ps.setInt(2, x.closeCode());
                        SqlTimes.set(ps, 3, x.atMillis());
                        ps.setString(4, x.connectionId());
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                rows += disconnected.size();
            }
            return rows;
        }

        private int writeSaves(Connection c, java.util.Collection<SessionSnapshot> snapshots) throws SQLException {
            List<SessionSnapshot> sorted = new ArrayList<>(snapshots);
            sorted.sort(Comparator.comparing(SessionSnapshot::sessionId));
            int rows = 0;
            try (PreparedStatement ps = c.prepareStatement(UPSERT_SESSION)) {
                for (SessionSnapshot s : sorted) {
                    ps.setString(1, s.sessionId());
                    ps.setString(2, s.userId());
                    SqlTimes.set(ps, 3, s.savedAtMillis());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            rows += sorted.size();
            try (PreparedStatement ps = c.prepareStatement(DELETE_SUBSCRIPTIONS)) {
                for (SessionSnapshot s : sorted) {
                    ps.setString(1, s.sessionId());
                    ps.setString(2, s.sessionId());
                    SqlTimes.set(ps, 3, s.savedAtMillis());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            boolean any = false;
            try (PreparedStatement ps = c.prepareStatement(INSERT_SUBSCRIPTION)) {
                for (SessionSnapshot s : sorted) {
                    int ordinal = 0;
                    for (SubscriptionSnapshot sub : s.subscriptions()) {
                        ps.setString(1, s.sessionId());
                        ps.setString(2, s.userId());
                        ps.setString(3, sub.channel());
                        ps.setString(4, sub.events() == null ? null : text(sub.events()));
                        ps.setString(5, sub.excludedEvents() == null || sub.excludedEvents().isEmpty() ? null
                                : text(sub.excludedEvents()));
                        ps.setString(6, sub.filters() == null || sub.filters().isNull() ? null : text(sub.filters()));
                        ps.setLong(7, sub.seq());
                        if (sub.epoch() == null) {
                            ps.setNull(8, Types.VARCHAR);
                        } else {
                            ps.setString(8, sub.epoch());
                        }
                        ps.setInt(9, ordinal++);
                        SqlTimes.set(ps, 10, s.savedAtMillis());
                        ps.setString(11, s.sessionId());
                        SqlTimes.set(ps, 12, s.savedAtMillis());
                        ps.addBatch();
                        rows++;
                        any = true;
                    }
                }
                if (any) {
                    ps.executeBatch();
                }
            }
            return rows;
        }

        @Override
        public void committed(List<Op> ops) {
            for (Op op : ops) {
                forget(op);
            }
        }

        @Override
        public void dropped(Op op, Throwable reason) {
            forget(op);
        }

        private void forget(Op op) {
            if (op instanceof Save s) {
                unsaved.remove(s.snapshot().sessionId(), s.snapshot());
            } else if (op instanceof Activity a) {
                activity.remove(a.connectionId, a);
            }
        }
    }

    private static String text(Object value) {
        try {
            return Json.MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not serialisable as JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static JsonNode json(String text) throws SQLException {
        if (text == null) {
            return null;
        }
        try {
            return Json.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new SQLException("unreadable JSONB column: " + e.getOriginalMessage(), "22000", e);
        }
    }

    private static List<String> strings(String text) throws SQLException {
        JsonNode node = json(text);
        if (node == null || node.isNull()) {
            return null;
        }
        List<String> list = new ArrayList<>(node.size());
        for (JsonNode n : node) {
            list.add(n.asText());
        }
        return List.copyOf(list);
    }

    @Override
    public BatchWriter<?> writer() {
        return writer;
    }
}
