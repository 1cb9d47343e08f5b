package io.eventgate.core.hub;

import io.eventgate.core.auth.VerifiedToken;
import io.eventgate.core.engine.Event;
import io.eventgate.core.limit.TokenBucket;
import java.util.Collection;
import java.util.HashMap;
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
    private final String sessionId;
    private final VerifiedToken token;
    private final Transport transport;
    private final long connectedAtMillis;
    private final Map<String, Subscription> subscriptions = new HashMap<>(4);
    private final TokenBucket rateLimit;
    private long lastActivityMillis;
    private long nextPingMillis;
    private int consecutiveRefusals;
    private volatile boolean closed;

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
     * Lane thread. Whether {@code event}, dispatched under a (possibly stale) snapshot, should be written now:
     * the connection is open and its current subscription to the channel accepts it.
     */
    public boolean admits(Event event) {
        if (closed) {
            return false;
        }
        Subscription current = subscriptions.get(event.channel());
        return current != null && current.accepts(event);
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
