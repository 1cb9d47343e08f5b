package io.eventgate.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Stamps a publisher's event with the gateway's fields and encodes it once.
 *
 * <p>The publisher's fields pass through untouched; the gateway sets {@code eventId} (kept if the publisher gave one),
 * {@code timestamp} (ISO-8601 UTC with milliseconds, kept if given), {@code channel} and {@code seq}.
 */
public final class EventEncoder {
    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final long NODE_BITS;
    private static final AtomicLong COUNTER = new AtomicLong();

    static {
        NODE_BITS = new SecureRandom().nextLong() >>> 24;
    }

    private EventEncoder() {}

    /**
     * Adds the gateway's fields to {@code event} in place.
     *
     * @return the event id (the publisher's, or a new one)
     */
    public static String stamp(ObjectNode event, String channel, long seq, long nowMillis) {
        String eventId = stampExceptSeq(event, channel, nowMillis);
        event.put("seq", seq);
        return eventId;
    }

    /**
     * Adds every gateway field but {@code seq}, which a distributed engine assigns atomically elsewhere and appends
     * as the last field (see {@link #appendSeq}). {@code channel} and {@code seq} always come last, in that order.
     */
    public static String stampExceptSeq(ObjectNode event, String channel, long nowMillis) {
        String eventId = eventId(event);
        if (eventId == null) {
            eventId = newEventId(nowMillis);
            event.put("eventId", eventId);
        }
        if (!event.hasNonNull("timestamp")) {
            event.put("timestamp", Json.timestamp(nowMillis));
        }
        event.remove("seq");
        event.remove("channel");
        event.remove("redelivered"); // the gateway's flag, never the publisher's
        event.put("channel", channel);
        return eventId;
    }

    /** Appends {@code ,"seq":N} as the last field of an encoded JSON object. */
    public static byte[] appendSeq(byte[] jsonObject, long seq) {
        byte[] suffix = (",\"seq\":" + seq + "}").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] out = java.util.Arrays.copyOf(jsonObject, jsonObject.length - 1 + suffix.length);
        System.arraycopy(suffix, 0, out, jsonObject.length - 1, suffix.length);
        return out;
    }

    /** The publisher-given event id, or null. */
    public static String eventId(ObjectNode event) {
        var node = event.get("eventId");
        return node != null && node.isTextual() ? node.textValue() : null;
    }

    /** The event with every field, as UTF-8 JSON. */
    public static byte[] encode(ObjectNode stamped) {
        return ServerMessages.bytes(stamped);
    }

    /**
     * A new, unique, time-ordered id: {@code EV-} then 26 Crockford base-32 characters
     * (48 bits of milliseconds, 40 random bits fixed per process, 40 bits of a counter).
     */
    public static String newEventId(long nowMillis) {
        long count = COUNTER.incrementAndGet();
        char[] out = new char[29];
        out[0] = 'E';
        out[1] = 'V';
        out[2] = '-';
        long hi = nowMillis & 0xFFFF_FFFF_FFFFL;
        for (int i = 12; i >= 3; i--) {
            out[i] = ALPHABET[(int) (hi & 31)];
            hi >>>= 5;
        }
        long node = NODE_BITS;
        for (int i = 20; i >= 13; i--) {
            out[i] = ALPHABET[(int) (node & 31)];
            node >>>= 5;
        }
        for (int i = 28; i >= 21; i--) {
            out[i] = ALPHABET[(int) (count & 31)];
            count >>>= 5;
        }
        return new String(out);
    }
}
