package io.eventgate.loadtest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/** HdrHistogram helpers. Every histogram of the harness records microseconds. */
public final class Hist {
    /** Highest trackable value: one hour in microseconds; larger values are clamped. */
    public static final long MAX_MICROS = 3_600_000_000L;

    private Hist() {}

    public static Histogram create() {
        return new Histogram(MAX_MICROS, 3);
    }

    public static void recordMicros(Histogram h, long micros) {
        h.recordValue(Math.max(0, Math.min(MAX_MICROS, micros)));
    }

    public static String encode(Histogram h) {
        ByteBuffer buffer = ByteBuffer.allocate(h.getNeededByteBufferCapacity() + 64);
        int n = h.encodeIntoCompressedByteBuffer(buffer);
        return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer.array(), n));
    }

    public static Histogram decode(String base64) {
        try {
            Histogram h = Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)),
                    MAX_MICROS);
            Histogram out = create();
            out.add(h);
            return out;
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("bad histogram", e);
        }
    }

    /** {@code {count, p50, p90, p95, p99, p999, max, mean}} in milliseconds. */
    public static ObjectNode summaryMillis(Histogram h) {
        ObjectNode n = Json.object();
        n.put("count", h.getTotalCount());
        if (h.getTotalCount() == 0) {
            return n;
        }
        n.put("p50", ms(h.getValueAtPercentile(50)));
        n.put("p90", ms(h.getValueAtPercentile(90)));
        n.put("p95", ms(h.getValueAtPercentile(95)));
        n.put("p99", ms(h.getValueAtPercentile(99)));
        n.put("p999", ms(h.getValueAtPercentile(99.9)));
        n.put("max", ms(h.getMaxValue()));
        n.put("mean", Json.round3(h.getMean() / 1000.0));
        return n;
    }

    public static double ms(long micros) {
        return Json.round3(micros / 1000.0);
    }
}
