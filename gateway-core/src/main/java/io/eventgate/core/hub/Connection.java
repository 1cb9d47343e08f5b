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
    /** The token's expiry (with leeway) in epoch millis, or Long.MAX_VALUE; read by every heartbeat sweep. */
    private final long expiresAtMillis;
    /**
     * Per channel: its subscription and/or its position, in one small array scanned linearly (connections hold a few
     * channels; two hash maps cost about 200 bytes per idle connection). Lane thread only.
     */
    private Slot[] slots = NO_SLOTS;
    private final TokenBucket rateLimit;
    private long lastActivityMillis;
    private long nextPingMillis;
    private int consecutiveRefusals;
    private volatile boolean closed;
    /** Lazily created: most connections never hold an unacknowledged event. */
    private AckTracker acks;
    /** channel -> live events held back while that channel recovers from history; null when none recovers. */
    private Map<String, List<Event>> recovering;
    private boolean recoveryOverflow;
    /** Set when a resume of the same session took over: this connection's close must not save the session. */
    private boolean superseded;

    /** A mutable stream position; lane thread only. */
    public static class Position {
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

    private static final Slot[] NO_SLOTS = new Slot[0];

    /** One channel of this connection: its subscription (or null) and, when {@code positioned}, its position. */
    private static final class Slot extends Position {
        final String channel;
        Subscription subscription;
        /** The last seq seen (delivered or filtered out) and its epoch are set; for resume. */
        boolean positioned;

        Slot(String channel) {
            super(0, null);
            this.channel = channel;
        }
    }

    private Slot slot(String channel) {
        for (Slot s : slots) {
            if (s.channel == channel || s.channel.equals(channel)) {
                return s;
            }
        }
        return null;
    }

    private Slot slotFor(String channel) {
        Slot s = slot(channel);
        if (s == null) {
            s = new Slot(channel);
            Slot[] grown = java.util.Arrays.copyOf(slots, slots.length + 1);
            grown[slots.length] = s;
            slots = grown;
        }
        return s;
    }

    /** Drops the slot once it holds neither a subscription nor a position. */
    private void dropIfEmpty(Slot s) {
        if (s.subscription != null || s.positioned) {
            return;
        }
        int n = slots.length;
        for (int i = 0; i < n; i++) {
            if (slots[i] == s) {
                Slot[] shrunk = n == 1 ? NO_SLOTS : new Slot[n - 1];
                System.arraycopy(slots, 0, shrunk, 0, i);
                System.arraycopy(slots, i + 1, shrunk, i, n - i - 1);
                slots = shrunk;
                return;
            }
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
        this.expiresAtMillis = token == null || token.expiresAt() == null ? Long.MAX_VALUE
                : token.expiresAt().toEpochMilli();
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
        Slot slot = slot(event.channel());
        Subscription current = slot == null ? null : slot.subscription;
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
        Slot p = slotFor(channel);
        if (!p.positioned || !epoch.equals(p.epoch) || seq > p.seq) {
            p.positioned = true;
            p.seq = seq;
            p.epoch = epoch;
        }
    }

    /** Sets the starting position of a channel unless an event already set one. */
    public void initPosition(String channel, long seq, String epoch) {
        Slot p = slotFor(channel);
        if (!p.positioned) {
            p.positioned = true;
            p.seq = seq;
            p.epoch = epoch;
        }
    }

    public Position position(String channel) {
        Slot p = slot(channel);
        return p != null && p.positioned ? p : null;
    }

    public void dropPosition(String channel) {
        Slot p = slot(channel);
        if (p != null && p.positioned) {
            p.positioned = false;
            p.epoch = null;
            dropIfEmpty(p);
        }
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

    /** When the token stops being accepted (epoch millis), or Long.MAX_VALUE if it does not expire. */
    public long expiresAtMillis() {
        return expiresAtMillis;
    }

    public Subscription subscription(String channel) {
        Slot s = slot(channel);
        return s == null ? null : s.subscription;
    }

    public void putSubscription(Subscription s) {
        slotFor(s.channel()).subscription = s;
    }

    public Subscription removeSubscription(String channel) {
        Slot s = slot(channel);
        if (s == null || s.subscription == null) {
            return null;
        }
        Subscription removed = s.subscription;
        s.subscription = null;
        dropIfEmpty(s);
        return removed;
    }

    /** The current subscriptions (a copy: callers may subscribe and unsubscribe while going through it). */
    public Collection<Subscription> subscriptions() {
        List<Subscription> list = new ArrayList<>(slots.length);
        for (Slot s : slots) {
            if (s.subscription != null) {
                list.add(s.subscription);
            }
        }
        return list;
    }

    public int subscriptionCount() {
        int n = 0;
        for (Slot s : slots) {
            if (s.subscription != null) {
                n++;
            }
        }
        return n;
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
