package io.eventgate.core.limit;

/**
 * A token bucket: {@code burst} tokens at most, refilled at {@code perMinute} tokens a minute.
 * Not thread-safe: each connection's bucket is touched only on its event loop.
 */
public final class TokenBucket {
    private final double capacity;
    private final double refillPerMilli;
    private double tokens;
    private long lastRefillMillis;

    public TokenBucket(int perMinute, int burst, long nowMillis) {
        if (perMinute <= 0 || burst <= 0) {
            throw new IllegalArgumentException("perMinute and burst must be > 0");
        }
        this.capacity = burst;
        this.refillPerMilli = perMinute / 60_000.0;
        this.tokens = burst;
        this.lastRefillMillis = nowMillis;
    }

    /** Takes one token if available. */
    public boolean tryTake(long nowMillis) {
        long elapsed = nowMillis - lastRefillMillis;
        if (elapsed > 0) {
            tokens = Math.min(capacity, tokens + elapsed * refillPerMilli);
            lastRefillMillis = nowMillis;
        }
        if (tokens >= 1.0) {
            tokens -= 1.0;
            return true;
        }
        return false;
    }
}
