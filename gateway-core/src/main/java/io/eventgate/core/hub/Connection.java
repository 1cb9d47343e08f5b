package io.eventgate.core.hub;

import io.eventgate.core.auth.VerifiedToken;
import io.eventgate.core.engine.Event;
import io.eventgate.core.limit.TokenBucket;
import io.eventgate.core.ack.AckTracker;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One client connection's state in core: identity, subscriptions, heartbeat and rate-limit bookkeeping.
 *
 * <p>Threading: every method except the getters of final fields runs on the connection's lane thread
 * ({@link Transport#lane()}); that is what lets this class go without locks.
 */
public final class Connection {
    private final String id;
    private final String userId;
    private volatile String sessionId;
    private final VerifiedToken token;
    private final Transport transport;
    private final long connectedAtMillis;
    private final Map<String, Subscription> subscriptions = new HashMap<>(4);
    private final TokenBucket rateLimit;
    private long lastActivityMillis;
    private long nextPingMillis;
    private int consecutiveRefusals;
    private volatile boolean closed;
    /** channel -> last seq seen (delivered or filtered out) and its epoch; for resume. */
    private final Map<String, Position> positions = new HashMap<>(4);
    /** Lazily created: most connections never hold an unacknowledged event. */
    private AckTracker acks;
    /** channel -> live events held back while that channel recovers from history; null when none recovers. */
    private Map<String, List<Event>> recovering;
    private boolean recoveryOverflow;
    /** Set when a resume of the same session took over: this connection's close must not save the session. */
    private boolean superseded;

    /** A mutable stream position; lane thread only. */
    public static final class Position {
        long seq;
        String epoch;

        Position(long seq, String epoch) {
            this.seq = seq;
            this.epoch = epoch;
        }

        public long seq() {
            return seq;
        }

        public String epoch() {
            return epoch;
        }
    }

    public Connection(String id, String userId, String sessionId, VerifiedToken token, Transport transport,
                      TokenBucket rateLimit, long nowMillis, long heartbeatMillis) {
        this.id = id;
        this.userId = userId;
        this.sessionId = sessionId;
        this.token = token;
        this.transport = transport;
        this.rateLimit = rateLimit;
        this.connectedAtMillis = nowMillis;
        this.lastActivityMillis = nowMillis;
        this.nextPingMillis = nowMillis + heartbeatMillis;
    }

    /**
     * Lane thread. Whether {@code event}, dispatched under a (possibly stale) snapshot, passes this connection's
     * current subscription. Records the channel position either way; while the channel recovers, the event is held
     * back (see {@link #recovering}) and false is returned.
     */
    public boolean admits(Event event) {
        if (closed || !transport.isOpen()) {
            return false; // not written, so the position must not move past it
        }
        Subscription current = subscriptions.get(event.channel());
        if (current == null) {
            return false;
        }
        if (recovering != null) {
            List<Event> held = recovering.get(event.channel());
            if (held != null) {
                if (held.size() < io.eventgate.core.GatewaySettings.MAX_RECOVERY_BUFFER) {
                    held.add(event);
                } else {
                    recoveryOverflow = true;
                }
                return false;
            }
        }
        advance(event.channel(), event.seq(), event.epoch());
        return current.accepts(event);
    }

    /** Records that the connection has seen {@code seq} of {@code channel}; never moves backwards in one epoch. */
    public void advance(String channel, long seq, String epoch) {
        Position p = positions.get(channel);
        if (p == null) {
            positions.put(channel, new Position(seq, epoch));
        } else if (!epoch.equals(p.epoch) || seq > p.seq) {
            p.seq = seq;
            p.epoch = epoch;
        }
    }

    /** Sets the starting position of a channel unless an event already set one. */
    public void initPosition(String channel, long seq, String epoch) {
        positions.putIfAbsent(channel, new Position(seq, epoch));
    }

    public Position position(String channel) {
        return positions.get(channel);
    }

    public void dropPosition(String channel) {
        positions.remove(channel);
    }

    /** Starts holding back live events of {@code channel} until {@link #endRecovery}. */
    public void beginRecovery(String channel) {
        if (recovering == null) {
            recovering = new HashMap<>();
        }
        recovering.putIfAbsent(channel, new ArrayList<>());
    }

    /** Stops holding back {@code channel}; returns the held events (in arrival order, i.e. seq order). */
    public List<Event> endRecovery(String channel) {
        if (recovering == null) {
            return List.of();
        }
        List<Event> held = recovering.remove(channel);
        if (recovering.isEmpty()) {
            recovering = null;
        }
        return held == null ? List.of() : held;
    }

    public boolean isRecovering(String channel) {
        return recovering != null && recovering.containsKey(channel);
    }

    /** True once a recovery buffer overflowed: the connection must be closed so the client resumes again. */
    public boolean recoveryOverflowed() {
        return recoveryOverflow;
    }

    /** The ACK tracker, created on first use. */
    public AckTracker acks() {
        if (acks == null) {
            acks = new AckTracker();
        }
        return acks;
    }

    public boolean hasPendingAcks() {
        return acks != null && !acks.isEmpty();
    }

    public boolean superseded() {
        return superseded;
    }

    public void supersede() {
        superseded = true;
    }

    public void sessionId(String id) {
        this.sessionId = id;
    }

    public String id() {
        return id;
    }

    public String userId() {
        return userId;
    }

    public String sessionId() {
        return sessionId;
    }

    public VerifiedToken token() {
        return token;
    }

    public Transport transport() {
        return transport;
    }

    public long connectedAtMillis() {
        return connectedAtMillis;
    }

    public Subscription subscription(String channel) {
        return subscriptions.get(channel);
    }

    public void putSubscription(Subscription s) {
        subscriptions.put(s.channel(), s);
    }

    public Subscription removeSubscription(String channel) {
        return subscriptions.remove(channel);
    }

    public Collection<Subscription> subscriptions() {
        return subscriptions.values();
    }

    public int subscriptionCount() {
        return subscriptions.size();
    }

    public void touch(long nowMillis) {
        lastActivityMillis = nowMillis;
    }

    public long lastActivityMillis() {
        return lastActivityMillis;
    }

    public long nextPingMillis() {
        return nextPingMillis;
    }

    public void nextPingMillis(long value) {
        nextPingMillis = value;
    }

    /** Takes a rate-limit token; counts consecutive refusals. Returns the refusal count, 0 when allowed. */
    public int takeToken(long nowMillis) {
        if (rateLimit.tryTake(nowMillis)) {
            consecutiveRefusals = 0;
            return 0;
        }
        return ++consecutiveRefusals;
    }

    public boolean isClosed() {
        return closed;
    }

    public void markClosed() {
        closed = true;
    }

    @Override
    public String toString() {
        return "Connection[" + id + ", user=" + userId + "]";
    }
}
