package io.eventgate.loadtest.client;

/**
 * One event stream as seen by one connection: which sequence keys {@code k} arrived (a bit set, so duplicates are
 * found without keeping event ids) and the highest one so far (a lower {@code k} arriving later is an order
 * violation). Single-threaded (the connection's event loop).
 */
final class StreamTracker {
    private long[] bits = new long[2];
    private long maxK = -1;

    /** @return false when {@code k} was already seen (a duplicate) */
    boolean mark(long k) {
        int word = (int) (k >>> 6);
        if (word >= bits.length) {
            bits = java.util.Arrays.copyOf(bits, Math.max(word + 1, bits.length * 2));
        }
        long mask = 1L << (k & 63);
        if ((bits[word] & mask) != 0) {
            return false;
        }
        bits[word] |= mask;
        return true;
    }

    /** @return true when {@code k} is lower than one received before (call after {@link #mark} said new) */
    boolean outOfOrder(long k) {
        if (k < maxK) {
            return true;
        }
        maxK = k;
        return false;
    }
}
