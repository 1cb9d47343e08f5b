package io.eventgate.loadtest.scenario;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.loadtest.Durations;
import io.eventgate.loadtest.Json;
import io.eventgate.loadtest.Options;
import io.eventgate.loadtest.client.Progress;
import io.eventgate.loadtest.client.ReceiveStats;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * N idle connections answering heartbeats. Memory per connection is the difference between two forced-GC readings,
 * before (after a warm-up batch of connections was opened and closed, so JIT and buffer pools are warm) and after
 * connecting; CPU is measured over a window of pure idling.
 */
public final class Idle {
    private Idle() {}

    public static Outcome run(Options o) throws Exception {
        int n = o.integer("connections", 19_500);
        Duration window = o.duration("duration", Duration.ofSeconds(60));
        Duration settle = o.duration("settle", Duration.ofSeconds(30));
        int warm = o.integer("warmup-connections", 1000);
        try (Run run = Run.open(o, "idle")) {
            run.config.put("duration", Durations.format(window));
            run.config.put("warmupConnections", warm);
            run.startProgress();
            if (warm > 0 && run.serverMeasured()) {
                run.phaseLabel("warm-up");
                run.connect(n, n + warm, List.of());
                run.awaitConnected(Duration.ofSeconds(120));
                run.finishClients();
                Thread.sleep(2000);
            }
            run.phaseLabel("baseline");
            long heap0 = run.serverHeapAfterGc();
            long rss0 = run.serverRssBytes();
            // Half the connections first, measured after the same settle time: the second half's cost is the
            // marginal cost of a connection, free of one-time growth (JIT code, metaspace, pools warmed up).
            int half = n / 2;
            long connectTimeoutSeconds = 120 + (long) (n / o.number("connect-rate", 2000));
            run.phaseLabel("connect");
            run.connect(0, half, List.of());
            Progress halfReady = run.awaitConnected(Duration.ofSeconds(connectTimeoutSeconds));
            Thread.sleep(settle.toMillis());
            run.phaseLabel("measure memory (half)");
            long heapHalf = run.serverHeapAfterGc();
            long rssHalf = run.serverRssBytes();
            run.phaseLabel("connect");
            run.connect(half, n, List.of());
            Progress ready = run.awaitConnected(Duration.ofSeconds(connectTimeoutSeconds));
            Run.say("connected: " + ready.opened() + " of " + n + " (" + ready.failed() + " failed)");
            Thread.sleep(settle.toMillis());
            run.phaseLabel("measure memory");
            long heap1 = run.serverHeapAfterGc();
            long rss1 = run.serverRssBytes();
            run.phaseLabel("idle");
            Run.Sample s0 = run.sample();
            long pings0 = run.progress().pings();
            Thread.sleep(window.toMillis());
            Run.Sample s1 = run.sample();
            Progress end = run.progress();
            long pings = end.pings() - pings0;
            ReceiveStats rs = run.finishClients();

            ObjectNode r = run.result;
            r.set("connections", Report.connections(rs, ready));
            int open = (int) ready.open();
            ObjectNode m = r.putObject("memory");
            if (heap0 >= 0 && heap1 >= 0 && open > 0) {
                m.put("heapBeforeBytes", heap0);
                m.put("heapAfterBytes", heap1);
                m.put("heapBytesPerConnection", Json.round3((heap1 - heap0) / (double) open));
            } else {
                m.put("heapBytesPerConnection", "n/a");
            }
            if (rss0 >= 0 && rss1 >= 0 && open > 0) {
                m.put("rssBeforeBytes", rss0);
                m.put("rssAfterBytes", rss1);
                m.put("rssBytesPerConnection", Json.round3((rss1 - rss0) / (double) open));
            } else {
                m.put("rssBytesPerConnection", "n/a");
            }
            int secondHalf = open - (int) halfReady.open();
            if (secondHalf > 0 && heapHalf >= 0 && heap1 >= 0 && rssHalf >= 0 && rss1 >= 0) {
                m.put("halfConnections", halfReady.open());
                m.put("heapAtHalfBytes", heapHalf);
                m.put("rssAtHalfBytes", rssHalf);
                m.put("marginalHeapBytesPerConnection", Json.round3((heap1 - heapHalf) / (double) secondHalf));
                m.put("marginalRssBytesPerConnection", Json.round3((rss1 - rssHalf) / (double) secondHalf));
            }
            ObjectNode w = run.window(s0, s1, 0);
            w.put("heartbeatsAnswered", pings);
            if (w.get("serverCpuSeconds").isNumber() && open > 0) {
                double cpuMs = w.get("serverCpuSeconds").asDouble() * 1000;
                double perThousand = cpuMs / (open / 1000.0);
                w.put("serverCpuMillisPer1000Connections", Json.round3(perThousand));
                w.put("serverCpuMillisPerSecondPer1000Connections", Json.round3(perThousand
                        / w.get("seconds").asDouble()));
            }
            r.set("window", w);
            List<String> failures = new ArrayList<>();
            Report.check(failures, rs.opened == n, "connections: " + rs.opened + " of " + n + " opened");
            Report.check(failures, rs.closedUnexpectedly == 0, rs.closedUnexpectedly
                    + " connections dropped while idle");
            r.put("passed", failures.isEmpty());
            r.set("failures", Run.strings(failures));
            Path file = run.writeResult();
            Run.say("");
            Run.say("idle against " + run.target.id() + ": " + open + " connections; heap "
                    + m.get("heapBytesPerConnection").asText() + " B/connection, RSS "
                    + m.get("rssBytesPerConnection").asText() + " B/connection (second half alone: heap "
                    + m.path("marginalHeapBytesPerConnection").asText("n/a") + " B, RSS "
                    + m.path("marginalRssBytesPerConnection").asText("n/a") + " B); server CPU "
                    + w.path("serverCpuMillisPerSecondPer1000Connections").asText("n/a")
                    + " ms/s per 1,000 connections over " + w.get("seconds").asText() + " s (" + pings
                    + " heartbeats answered), steal " + w.get("stealPercent").asText() + "%");
            for (String f : failures) {
                Run.say("CHECK FAILED: " + f);
            }
            if (file != null) {
                Run.say("results: " + file);
            }
            return new Outcome(r, failures, file);
        }
    }
}
