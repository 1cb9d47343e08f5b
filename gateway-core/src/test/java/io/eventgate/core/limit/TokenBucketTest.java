package io.eventgate.core.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TokenBucketTest {
    private static final long T0 = 1_700_000_000_000L;

    private static int takeAll(TokenBucket bucket, long now) {
        int taken = 0;
        while (bucket.tryTake(now)) {
            taken++;
            if (taken > 1_000_000) {
                throw new AssertionError("bucket never runs dry");
            }
        }
        return taken;
    }

    @Test
    void aFullBucketAllowsTheBurstThenRefuses() {
        TokenBucket bucket = new TokenBucket(60, 5, T0);
        for (int i = 0; i < 5; i++) {
            assertTrue(bucket.tryTake(T0), "take " + (i + 1));
        }
        assertFalse(bucket.tryTake(T0));
        assertFalse(bucket.tryTake(T0));
    }

    @Test
    void tokensRefillAtThePerMinuteRate() {
        TokenBucket bucket = new TokenBucket(60, 5, T0);   // one token a second
        assertEquals(5, takeAll(bucket, T0));
        assertFalse(bucket.tryTake(T0 + 999));
        assertTrue(bucket.tryTake(T0 + 1_000));
        assertFalse(bucket.tryTake(T0 + 1_000));
        assertEquals(3, takeAll(bucket, T0 + 4_000));
    }

    @Test
    void partialRefillsAccumulateAcrossCalls() {
        TokenBucket bucket = new TokenBucket(60, 1, T0);
        assertTrue(bucket.tryTake(T0));
        assertFalse(bucket.tryTake(T0 + 500));
        assertTrue(bucket.tryTake(T0 + 1_000), "the half token seen at +500ms is not lost");
    }

    @Test
    void aLongIdleNeverFillsAboveCapacity() {
        TokenBucket bucket = new TokenBucket(6_000, 5, T0);
        assertEquals(5, takeAll(bucket, T0));
        assertEquals(5, takeAll(bucket, T0 + 3_600_000));
    }

    @Test
    void aNewBucketHoldsExactlyTheBurstEvenAfterIdle() {
        TokenBucket bucket = new TokenBucket(100, 20, T0);
        assertEquals(20, takeAll(bucket, T0 + 86_400_000));
    }

    @Test
    void sustainedRateMatchesPerMinute() {
        TokenBucket bucket = new TokenBucket(100, 20, T0);
        assertEquals(20, takeAll(bucket, T0));
        int taken = 0;
        for (long t = T0; t <= T0 + 60_000; t += 100) {
            taken += takeAll(bucket, t);
        }
        assertEquals(100, taken, "100 per minute after the burst");
    }

    @Test
    void aClockGoingBackwardsGrantsNothing() {
        TokenBucket bucket = new TokenBucket(60, 2, T0);
        assertEquals(2, takeAll(bucket, T0));
        assertFalse(bucket.tryTake(T0 - 10_000));
        assertFalse(bucket.tryTake(T0 + 999));
        assertTrue(bucket.tryTake(T0 + 1_000));
    }

    @Test
    void nonPositiveSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 5, T0));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(60, 0, T0));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(-1, 5, T0));
    }
}
