package io.eventgate.loadtest.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.ByteProcessor;
import java.util.Arrays;

/**
 * The data of the events of a {@code text/event-stream} body, decoded as the body arrives: TCP cuts it anywhere,
 * inside a line or between the CR and LF of one line end. Lines end in LF, CRLF or CR; {@code data:} lines of one
 * event are joined with LF and the blank line after them hands the event to the {@link Sink}. Comments and the
 * {@code id}, {@code retry} and {@code event} fields carry nothing the harness measures, so they are skipped (the
 * gateway's stream has one kind of event, and the harness resumes with the {@code sessionId} it already keeps).
 *
 * <p>The harness takes up to ~100k events per second on one or two loops, so the common case copies each data byte
 * once, from the chunk straight into a data buffer that every stream of the event loop shares ({@link Scratch}),
 * and allocates nothing. A stream holds bytes of its own only while a line or an event spans two reads; idle
 * streams (thousands per loop) keep none. Not thread-safe: one decoder per stream, used on its loop.
 */
final class SseDecoder {
    /** Receives each event's data; {@code b} is only valid during the call (it is reused for the next event). */
    @FunctionalInterface
    interface Sink {
        void data(byte[] b, int len);
    }

    /** The data buffer shared by the decoders of one event loop: one decode runs at a time there. */
    static final class Scratch {
        byte[] data = new byte[4096];
    }

    private final Sink sink;
    private final Scratch scratch;
    private final int maxEventBytes;
    /** The data buffer of the running decode call: the loop's scratch, or {@link #own} when an event spans reads. */
    private byte[] work;
    /** The data of an event that a read ended in, else null. */
    private byte[] own;
    private int dataLen;
    private boolean hasData;
    /** The start of a line that a read ended in, else null. */
    private byte[] partial;
    private int partialLen;
    /** The last line ended in CR: an LF that starts the next read still belongs to that line end. */
    private boolean skipLf;

    SseDecoder(Sink sink, Scratch scratch, int maxEventBytes) {
        this.sink = sink;
        this.scratch = scratch;
        this.maxEventBytes = maxEventBytes;
    }

    /** Consumes every readable byte of {@code in}, handing each event completed by them to the sink. */
    void decode(ByteBuf in) {
        int i = in.readerIndex();
        int end = in.writerIndex();
        work = own != null ? own : scratch.data;
        try {
            while (i < end) {
                if (skipLf) {
                    skipLf = false;
                    if (in.getByte(i) == '\n') {
                        i++;
                        continue;
                    }
                }
                int eol = in.forEachByte(i, end - i, ByteProcessor.FIND_CRLF);
                if (eol < 0) {
                    keepPartial(in, i, end - i);
                    break;
                }
                skipLf = in.getByte(eol) == '\r';
                if (partial == null) {
                    line(in, i, eol - i);
                } else {
                    keepPartial(in, i, eol - i);
                    ByteBuf carried = Unpooled.wrappedBuffer(partial, 0, partialLen);
                    partial = null;
                    partialLen = 0;
                    line(carried, 0, carried.readableBytes());
                }
                i = eol + 1;
            }
        } finally {
            in.readerIndex(end);
            if (!hasData) {
                own = null;
            } else if (work == scratch.data) {
                own = Arrays.copyOf(work, Math.min(maxEventBytes, Math.max(256, dataLen * 2)));
            } else {
                own = work;
            }
            work = null;
        }
    }

    private void line(ByteBuf src, int from, int len) {
        if (len == 0) {
            dispatch();
            return;
        }
        // only "data" matters; "data" without a colon is a data line with an empty value
        if (len < 4 || src.getByte(from) != 'd' || src.getByte(from + 1) != 'a' || src.getByte(from + 2) != 't'
                || src.getByte(from + 3) != 'a' || (len > 4 && src.getByte(from + 4) != ':')) {
            return;
        }
        int v = Math.min(from + 5, from + len);
        int end = from + len;
        if (v < end && src.getByte(v) == ' ') {
            v++;
        }
        int n = end - v;
        ensure(n + (hasData ? 1 : 0));
        if (hasData) {
            work[dataLen++] = '\n';
        }
        src.getBytes(v, work, dataLen, n);
        dataLen += n;
        hasData = true;
    }

    private void dispatch() {
        if (!hasData) {
            return;
        }
        int n = dataLen;
        hasData = false;
        dataLen = 0;
        sink.data(work, n);
    }

    private void ensure(int extra) {
        int need = dataLen + extra;
        if (need > maxEventBytes) {
            throw new TooLongFrameException("SSE event larger than " + maxEventBytes + " bytes");
        }
        if (need > work.length) {
            byte[] bigger = Arrays.copyOf(work, Math.min(maxEventBytes, Math.max(need, work.length * 2)));
            if (work == scratch.data) {
                scratch.data = bigger;
            }
            work = bigger;
        }
    }

    private void keepPartial(ByteBuf in, int from, int n) {
        int need = partialLen + n;
        if (need > maxEventBytes) {
            throw new TooLongFrameException("SSE line longer than " + maxEventBytes + " bytes");
        }
        if (partial == null) {
            partial = new byte[Math.min(maxEventBytes, Math.max(128, n * 2))];
        } else if (need > partial.length) {
            partial = Arrays.copyOf(partial, Math.min(maxEventBytes, Math.max(need, partial.length * 2)));
        }
        in.getBytes(from, partial, partialLen, n);
        partialLen = need;
    }
}
