package io.eventgate.loadtest.client;

import io.eventgate.loadtest.Hist;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * Statistics of one client event loop, touched only by that loop's thread (no locks, no atomics on the hot path);
 * read by other threads only through a task run on the loop (see {@link LocalFleet#phase}).
 */
final class ThreadStats {
    static final int MAX_PHASES = 64;

    final PhaseStats[] phases = new PhaseStats[MAX_PHASES];
    final Histogram connectTime = Hist.create();
    final java.util.Map<Integer, Spread> spreads = new java.util.HashMap<>();
    final List<Conn> ackDirty = new ArrayList<>();
    final byte[][] scratch = {new byte[4096]};
    /** The SSE decoders' data buffer, shared by the loop's streams. */
    final SseDecoder.Scratch sseScratch = new SseDecoder.Scratch();
    /** SSE close messages by code (a WebSocket's close frame is not counted here). */
    private java.util.Map<Integer, Long> serverCloses;
    long duplicates;
    long redelivered;
    long orderViolations;
    long acksSent;
    /** Event ids acknowledged, "acked" replies' acknowledged/unknown sums, resume outcomes (see {@link #counters}). */
    long ackedIds;
    long ackConfirmed;
    long ackUnknown;
    long resumedTrue;
    long resumedFalse;
    long recoveredTrue;
    long recoveredFalse;

    java.util.Map<String, Long> counters() {
        java.util.Map<String, Long> m = new java.util.TreeMap<>();
        m.put("ackedIds", ackedIds);
        m.put("ackConfirmed", ackConfirmed);
        m.put("ackUnknown", ackUnknown);
        m.put("resumedTrue", resumedTrue);
        m.put("resumedFalse", resumedFalse);
        m.put("recoveredTrue", recoveredTrue);
        m.put("recoveredFalse", recoveredFalse);
        if (serverCloses != null) {
            serverCloses.forEach((code, n) -> m.put(ReceiveStats.SERVER_CLOSE_PREFIX + code, n));
        }
        return m;
    }

    void serverClose(int code) {
        if (serverCloses == null) {
            serverCloses = new java.util.TreeMap<>();
        }
        serverCloses.merge(code, 1L, Long::sum);
    }

    PhaseStats phase(int ph) {
        int i = Math.max(0, Math.min(MAX_PHASES - 1, ph));
        PhaseStats p = phases[i];
        if (p == null) {
            p = phases[i] = new PhaseStats();
        }
        return p;
    }

    Spread spread(int stream) {
        Spread s = spreads.get(stream);
        if (s == null) {
            s = new Spread();
            spreads.put(stream, s);
        }
        return s;
    }

    byte[] scratch(int size) {
        if (scratch[0].length < size) {
            scratch[0] = new byte[Math.max(size, scratch[0].length * 2)];
        }
        return scratch[0];
    }
}
