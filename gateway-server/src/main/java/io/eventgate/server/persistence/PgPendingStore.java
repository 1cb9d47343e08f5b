package io.eventgate.server.persistence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.core.ack.PendingStore;
import io.eventgate.core.engine.Event;
import io.eventgate.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pending (unacknowledged) owner-channel events in PostgreSQL ({@code websocket_pending_events}).
 *
 * <p>{@link #append} and {@link #acked} go through one {@link BatchWriter}: appends are inserts that leave an
 * existing row as it is; acks are upserts that set {@code acked_at}, so an ack that reaches
 * the database before its event's insert still wins (the late insert does nothing). An ack that arrives while its
 * event's insert is still queued on this node is folded into it: one insert of an acknowledged row without payload
 * instead of an insert and an update (if an earlier batch inserted the same event, the folded insert acknowledges
 * that row). The append future completes
 * after the commit, or at once while the database is unreachable (degraded: held in the bounded buffer, see
 * {@link BatchWriter}); it fails with {@link io.eventgate.core.engine.EngineUnavailableException} when the buffer
 * is full.
 *
 * <p>{@link #pending} reads on the database's read executor and adds what is still in the write buffer (appends not
 * yet committed, minus acks not yet committed), so a resume right after a publish, or during an outage, still sees
 * the event. While the database is unreachable it answers from the buffer alone (counted in
 * {@link #degradedReads()}).
 *
 * <p>{@link #expire} runs on the caller's thread (the housekeeping thread: it makes round trips) and returns nothing
 * while the database is unhealthy.
 */
public final class PgPendingStore extends PgStore implements PendingStore {
    /** At most this many events are returned by {@link #pending} for one user. */
    public static final int MAX_PENDING_READ = 10_000;
    /** Rows deleted per statement by {@link #expire}. */
    public static final int EXPIRE_CHUNK = 1_000;
    /** Statements per {@link #expire} call (the rest waits for the next call). */
    static final int MAX_EXPIRE_CHUNKS = 100;

    private static final Logger LOG = LoggerFactory.getLogger(PgPendingStore.class);

    /**
     * Parameter 7 (payload) is NULL and 11 (acked_at) set when the ack came while the insert was still queued. On a
     * conflict nothing changes, except that such an acknowledged insert acknowledges an unacknowledged row (the same
     * event inserted earlier by another batch), as the ack's own upsert would have.
     */
    static final String INSERT_EVENT = "INSERT INTO websocket_pending_events (user_id, event_id, channel, seq, epoch, "
            + "event_type, payload, critical, published_at, expires_at, acked_at) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, event_id) DO UPDATE "
            + "SET acked_at = EXCLUDED.acked_at "
            + "WHERE websocket_pending_events.acked_at IS NULL AND EXCLUDED.acked_at IS NOT NULL";
    static final String UPSERT_ACK = "INSERT INTO websocket_pending_events (user_id, event_id, acked_at, expires_at) "
            + "VALUES (?, ?, ?, ?) ON CONFLICT (user_id, event_id) DO UPDATE "
            + "SET acked_at = COALESCE(websocket_pending_events.acked_at, EXCLUDED.acked_at)";
    static final String SELECT_PENDING = "SELECT event_id, channel, seq, epoch, event_type, payload, critical, "
            + "published_at FROM websocket_pending_events WHERE user_id = ? AND acked_at IS NULL AND expires_at > ? "
            + "ORDER BY channel, seq LIMIT " + MAX_PENDING_READ;
    static final String DELETE_EXPIRED = "DELETE FROM websocket_pending_events WHERE (user_id, event_id) IN ("
            + "SELECT user_id, event_id FROM websocket_pending_events WHERE expires_at <= ? "
            + "ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED) "
            + "RETURNING user_id, event_id, channel, seq, epoch, event_type, critical, published_at, "
            + "CASE WHEN critical AND acked_at IS NULL THEN payload END AS payload";

    /** A write operation. */
    sealed interface Op permits Append, Ack {
        String userId();

        String eventId();
    }

    /**
     * An event to insert. An ack that arrives while the insert is still queued is folded into it ({@link
     * #ackBeforeWrite}): the writer then inserts the row already acknowledged, without its payload, instead of an
     * insert followed by an update (one row operation per acknowledged event instead of two). Once the writer has
     * taken the insert ({@link #claimForWrite}), a later ack is written as an {@link Ack} of its own.
     */
    static final class Append implements Op {
        private static final int QUEUED = 0;
        private static final int WRITING = 1;
        private static final int ACKED = 2;
        private final String userId;
        private final Event event;
        private final long expiresAtMillis;
        private int state = QUEUED;
        private long ackedAtMillis;

        Append(String userId, Event event, long expiresAtMillis) {
            this.userId = userId;
            this.event = event;
            this.expiresAtMillis = expiresAtMillis;
        }

        @Override
        public String userId() {
            return userId;
        }

        @Override
        public String eventId() {
            return event.eventId();
        }

        Event event() {
            return event;
        }

        long expiresAtMillis() {
            return expiresAtMillis;
        }

        /** True when the ack is now part of this insert (or an earlier ack already was); the first ack time stays. */
        synchronized boolean ackBeforeWrite(long atMillis) {
            if (state == WRITING) {
                return false;
            }
            if (state == QUEUED) {
                state = ACKED;
                ackedAtMillis = atMillis;
            }
            return true;
        }

        synchronized boolean ackedBeforeWrite() {
            return state == ACKED;
        }

        /**
         * Writer thread, each time the insert is written (a retried batch writes it again, the same way): the ack
         * time when it was acknowledged before the writer took it, else null.
         */
        synchronized Long claimForWrite() {
            if (state == QUEUED) {
                state = WRITING;
            }
            return state == ACKED ? ackedAtMillis : null;
        }
    }

    record Ack(String userId, String eventId, long atMillis) implements Op {}

    private static final Comparator<Op> BY_KEY = Comparator.comparing(Op::userId).thenComparing(Op::eventId);

    private final long ttlMillis;
    private final BatchWriter<Op> writer;
    /** Appends not committed yet: userId -> eventId -> insert (maps only touched inside compute). */
    private final ConcurrentHashMap<String, Map<String, Append>> unwrittenAppends = new ConcurrentHashMap<>();
    /** Acks not committed yet: userId -> eventIds. */
    private final ConcurrentHashMap<String, Set<String>> unwrittenAcks = new ConcurrentHashMap<>();
    private final LongAdder degradedReads = new LongAdder();
    private final LongAdder expired = new LongAdder();

    /**
     * @param pendingTtl how long an unacknowledged event is kept (expires_at = published_at + pendingTtl)
     * @param bufferSize write buffer capacity (operations)
     * @param batchSize most operations per transaction
     */
    public PgPendingStore(Database db, Duration pendingTtl, int bufferSize, int batchSize) {
        super(db);
        this.ttlMillis = pendingTtl.toMillis();
        this.writer = new BatchWriter<>("pending", db, new Sink(), bufferSize, batchSize);
    }

    @Override
    public CompletableFuture<Void> append(String userId, Event event) {
        Append op = new Append(userId, event, event.publishedAtMillis() + ttlMillis);
        track(unwrittenAppends, userId, m -> m.put(event.eventId(), op));
        CompletableFuture<Void> future = writer.submit(op);
        if (future.isCompletedExceptionally()) { // refused: buffer full
            untrackAppend(op);
        }
        return future;
    }

    @Override
    public void acked(String userId, List<String> eventIds, long atMillis) {
        for (String id : eventIds) {
            if (ackQueuedAppend(userId, id, atMillis)) {
                continue;
            }
            Ack op = new Ack(userId, id, atMillis);
            trackSet(unwrittenAcks, userId, s -> s.add(id));
            if (!writer.offer(op)) {
                untrackAck(op);
            }
        }
    }

    /** Folds the ack into the event's insert if that is still queued on this node; false if it is not. */
    private boolean ackQueuedAppend(String userId, String eventId, long atMillis) {
        boolean[] folded = {false};
        unwrittenAppends.computeIfPresent(userId, (u, m) -> {
            Append a = m.get(eventId);
            folded[0] = a != null && a.ackBeforeWrite(atMillis);
            return m;
        });
        return folded[0];
    }

    @Override
    public CompletableFuture<List<Event>> pending(String userId, long nowMillis) {
        // Read the buffer before the database: whatever leaves the buffer meanwhile was committed first.
        List<Event> buffered = new ArrayList<>();
        unwrittenAppends.computeIfPresent(userId, (u, m) -> {
            for (Append a : m.values()) {
                if (!a.ackedBeforeWrite()) {
                    buffered.add(a.event());
                }
            }
            return m;
        });
        Set<String> bufferedAcks = new HashSet<>();
        unwrittenAcks.computeIfPresent(userId, (u, s) -> {
            bufferedAcks.addAll(s);
            return s;
        });
        if (!db.healthy()) {
            degradedReads.increment();
            return CompletableFuture.completedFuture(merge(List.of(), buffered, bufferedAcks, nowMillis));
        }
        return db.read(c -> select(c, userId, nowMillis)).handle((stored, error) -> {
            if (error != null) {
                degradedReads.increment();
                LOG.debug("pending read for a user failed, answering from the write buffer: {}",
                        Database.summarize(error));
                return merge(List.of(), buffered, bufferedAcks, nowMillis);
            }
            return merge(stored, buffered, bufferedAcks, nowMillis);
        });
    }

    private List<Event> merge(List<Event> stored, List<Event> buffered, Set<String> acks, long nowMillis) {
        Map<String, Event> byId = new LinkedHashMap<>();
        for (Event e : stored) {
            if (!acks.contains(e.eventId())) {
                byId.put(e.eventId(), e);
            }
        }
        for (Event e : buffered) {
            if (!acks.contains(e.eventId()) && e.publishedAtMillis() + ttlMillis > nowMillis) {
                byId.putIfAbsent(e.eventId(), e);
            }
        }
        List<Event> events = new ArrayList<>(byId.values());
        if (!buffered.isEmpty()) {
            events.sort(Comparator.comparing(Event::channel).thenComparingLong(Event::seq));
        }
        return events;
    }

    private List<Event> select(Connection c, String userId, long nowMillis) throws SQLException {
        List<Event> events = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(SELECT_PENDING)) {
            ps.setString(1, userId);
            SqlTimes.set(ps, 2, nowMillis);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Event e = event(rs, rs.getString("payload"));
                    if (e != null) {
                        events.add(e);
                    }
                }
            }
        }
        return events;
    }

    /** Rebuilds an event from a row and its payload (the exact bytes clients receive); null if unreadable. */
    private static Event event(ResultSet rs, String payload) throws SQLException {
        String eventId = rs.getString("event_id");
        if (payload == null) {
            return null;
        }
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(payload);
        } catch (JsonProcessingException e) {
            LOG.warn("pending event {} has an unreadable payload, skipping it: {}", eventId, e.getOriginalMessage());
            return null;
        }
        if (!(body instanceof ObjectNode object)) {
            LOG.warn("pending event {} payload is not a JSON object, skipping it", eventId);
            return null;
        }
        return new Event(rs.getString("channel"), rs.getLong("seq"), rs.getString("epoch"), eventId,
                rs.getString("event_type"), object, payload.getBytes(StandardCharsets.UTF_8), true,
                rs.getBoolean("critical"), SqlTimes.get(rs, "published_at", 0));
    }

    /**
     * Deletes expired rows (unacknowledged ones past their TTL, and acknowledged ones kept until then) in chunks of
     * {@value #EXPIRE_CHUNK}, and returns the critical unacknowledged events among them. Runs on the calling thread
     * (housekeeping); returns an empty list while the database is unhealthy. Rows are claimed with
     * {@code FOR UPDATE SKIP LOCKED}, so several gateway nodes never report the same event.
     */
    @Override
    public List<Expired> expire(long nowMillis) {
        List<Expired> critical = new ArrayList<>();
        if (!db.healthy()) {
            return critical;
        }
        try {
            inChunks(EXPIRE_CHUNK, MAX_EXPIRE_CHUNKS, c -> expireChunk(c, nowMillis, critical), expired::add);
        } catch (SQLException | RuntimeException e) {
            // Chunks already deleted are committed: return what they found.
            LOG.warn("pending expiry failed: {}", Database.summarize(e));
        }
        critical.sort(Comparator.comparing(Expired::userId).thenComparing(x -> x.event().channel())
                .thenComparingLong(x -> x.event().seq()));
        return critical;
    }

    private static int expireChunk(Connection c, long nowMillis, List<Expired> critical) throws SQLException {
        int deleted = 0;
        try (PreparedStatement ps = c.prepareStatement(DELETE_EXPIRED)) {
            SqlTimes.set(ps, 1, nowMillis);
            ps.setInt(2, EXPIRE_CHUNK);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    deleted++;
                    String payload = rs.getString("payload");
                    if (payload != null) {
                        Event e = event(rs, payload);
                        if (e != null) {
                            critical.add(new Expired(rs.getString("user_id"), e));
                        }
                    }
                }
            }
        }
        return deleted;
    }

    private final class Sink implements BatchWriter.Sink<Op> {
        @Override
        public int write(Connection c, List<Op> ops) throws SQLException {
            // Canonical key order, so concurrent batches (other nodes) lock rows in the same order.
            Map<String, Append> appends = new HashMap<>();
            // Ack times folded into queued inserts, per key: kept when a duplicate insert of the key is the one written.
            Map<String, Long> foldedAcks = new HashMap<>();
            Map<String, Ack> acks = new HashMap<>();
            for (Op op : ops) {
                String key = op.userId() + '\u0000' + op.eventId();
                if (op instanceof Append a) {
                    appends.putIfAbsent(key, a);
                    Long ackedAt = a.claimForWrite();
                    if (ackedAt != null) {
                        foldedAcks.merge(key, ackedAt, Math::min);
                    }
                } else if (op instanceof Ack a) {
                    acks.merge(key, a, (x, y) -> x.atMillis() <= y.atMillis() ? x : y);
                }
            }
            int rows = 0;
            if (!appends.isEmpty()) {
                List<Append> sorted = new ArrayList<>(appends.values());
                sorted.sort(BY_KEY);
                try (PreparedStatement ps = c.prepareStatement(INSERT_EVENT)) {
                    for (Append a : sorted) {
                        Event e = a.event();
                        Long ackedAt = foldedAcks.get(a.userId() + '\u0000' + a.eventId());
                        ps.setString(1, a.userId());
                        ps.setString(2, e.eventId());
                        ps.setString(3, e.channel());
                        ps.setLong(4, e.seq());
                        ps.setString(5, e.epoch());
                        ps.setString(6, e.type());
                        // An acknowledged row is never read back for its payload (like a bare acked row).
                        ps.setString(7, ackedAt != null ? null : new String(e.json(), StandardCharsets.UTF_8));
                        ps.setBoolean(8, e.critical());
                        SqlTimes.set(ps, 9, e.publishedAtMillis());
                        SqlTimes.set(ps, 10, a.expiresAtMillis());
                        SqlTimes.setNullable(ps, 11, ackedAt);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                rows += sorted.size();
            }
            if (!acks.isEmpty()) {
                List<Ack> sorted = new ArrayList<>(acks.values());
                sorted.sort(BY_KEY);
                try (PreparedStatement ps = c.prepareStatement(UPSERT_ACK)) {
                    for (Ack a : sorted) {
                        ps.setString(1, a.userId());
                        ps.setString(2, a.eventId());
                        SqlTimes.set(ps, 3, a.atMillis());
                        // Only used when the ack arrives first: the bare acked row is kept as long as the event
                        // would have been.
                        SqlTimes.set(ps, 4, a.atMillis() + ttlMillis);
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                rows += sorted.size();
            }
            return rows;
        }

        @Override
        public void committed(List<Op> ops) {
            for (Op op : ops) {
                untrack(op);
            }
        }

        @Override
        public void dropped(Op op, Throwable reason) {
            untrack(op);
        }
    }

    private void untrack(Op op) {
        if (op instanceof Append a) {
            untrackAppend(a);
        } else if (op instanceof Ack a) {
            untrackAck(a);
        }
    }

    private void untrackAppend(Append a) {
        unwrittenAppends.computeIfPresent(a.userId(), (u, m) -> {
            m.remove(a.eventId(), a);
            return m.isEmpty() ? null : m;
        });
    }

    private void untrackAck(Ack a) {
        unwrittenAcks.computeIfPresent(a.userId(), (u, s) -> {
            s.remove(a.eventId());
            return s.isEmpty() ? null : s;
        });
    }

    private static <V> void track(ConcurrentHashMap<String, Map<String, V>> map, String userId,
                                  java.util.function.Consumer<Map<String, V>> change) {
        map.compute(userId, (u, m) -> {
            Map<String, V> target = m != null ? m : new HashMap<>();
            change.accept(target);
            return target;
        });
    }

    private static void trackSet(ConcurrentHashMap<String, Set<String>> map, String userId,
                                 java.util.function.Consumer<Set<String>> change) {
        map.compute(userId, (u, s) -> {
            Set<String> target = s != null ? s : new HashSet<>();
            change.accept(target);
            return target;
        });
    }

    /** Pending reads answered from the write buffer alone (database unreachable). */
    public long degradedReads() {
        return degradedReads.sum();
    }

    /** Rows deleted by {@link #expire} (acknowledged or not, critical or not). */
    public long expiredRows() {
        return expired.sum();
    }

    @Override
    public boolean accepting() {
        return writer.hasRoom();
    }

    @Override
    public BatchWriter<?> writer() {
        return writer;
    }
}
