package io.eventgate.loadtest.client;

import java.nio.charset.StandardCharsets;

/**
 * Allocation-free field extraction from the harness's own event JSON, which the harness wrote itself (numbers and
 * plain ASCII ids, keys unique in the document). Events are the hot path (up to millions per second in a broadcast);
 * control messages are parsed with Jackson instead.
 */
final class FrameScan {
    static final byte[] SENT_AT = key("sentAtNanos");
    static final byte[] POSTED_AT = key("postedAtNanos");
    static final byte[] STREAM = key("s");
    static final byte[] SEQ_KEY = key("k");
    static final byte[] PHASE = key("ph");
    static final byte[] EVENT_ID = key("eventId");
    static final byte[] REDELIVERED = "\"redelivered\":true".getBytes(StandardCharsets.US_ASCII);
    static final byte[] USER_CHANNEL = "\"channel\":\"user:".getBytes(StandardCharsets.US_ASCII);
    static final byte[] PING = "{\"type\":\"ping\"}".getBytes(StandardCharsets.US_ASCII);

    private FrameScan() {}

    private static byte[] key(String name) {
        return ("\"" + name + "\":").getBytes(StandardCharsets.US_ASCII);
    }

    static int indexOf(byte[] b, int len, byte[] needle) {
        byte first = needle[0];
        int last = len - needle.length;
        outer:
        for (int i = 0; i <= last; i++) {
            if (b[i] != first) {
                continue;
            }
            for (int j = 1; j < needle.length; j++) {
                if (b[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    static boolean equals(byte[] b, int len, byte[] other) {
        if (len != other.length) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if (b[i] != other[i]) {
                return false;
            }
        }
        return true;
    }

    /** The non-negative integer value of {@code key}, or -1 when absent or not a number. */
    static long longField(byte[] b, int len, byte[] key) {
        int i = indexOf(b, len, key);
        if (i < 0) {
            return -1;
        }
        i += key.length;
        while (i < len && b[i] == ' ') {
            i++;
        }
        long v = 0;
        int start = i;
        while (i < len && b[i] >= '0' && b[i] <= '9') {
            v = v * 10 + (b[i] - '0');
            i++;
        }
        return i == start ? -1 : v;
    }

    /** The value of string field {@code key} (no escapes expected), or null. */
    static String stringField(byte[] b, int len, byte[] key) {
        int i = indexOf(b, len, key);
        if (i < 0) {
            return null;
        }
        i += key.length;
        while (i < len && b[i] == ' ') {
            i++;
        }
        if (i >= len || b[i] != '"') {
            return null;
        }
        int start = ++i;
        while (i < len && b[i] != '"') {
            i++;
        }
        return new String(b, start, i - start, StandardCharsets.UTF_8);
    }
}
