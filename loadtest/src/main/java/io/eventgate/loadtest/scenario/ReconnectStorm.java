package io.eventgate.loadtest.scenario;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.loadtest.Durations;
import io.eventgate.loadtest.Hist;
import io.eventgate.loadtest.Json;
import io.eventgate.loadtest.Options;
import io.eventgate.loadtest.ProcStats;
import io.eventgate.loadtest.Transport;
import io.eventgate.loadtest.client.LocalFleet;
import io.eventgate.loadtest.client.PhaseStats;
import io.eventgate.loadtest.client.Progress;
import io.eventgate.loadtest.client.ReceiveStats;
import io.eventgate.loadtest.publish.PublishItem;
import io.eventgate.loadtest.publish.Publisher;
import io.eventgate.loadtest.publish.RateDriver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * N connections, each on its user channel with acknowledgements, while a publisher sends targeted events at a fixed
 * rate: all connections are aborted at once client-side (SO_LINGER 0: RST, no close handshake), then all reconnect
 * with {@code ?resume=<their sessionId>} (over SSE: {@code Last-Event-ID}). Reports the time from the abort until
 * every connection got its {@code connected} again, resumed/recovered counts, and loss and duplicates after
 * de-duplication by event (each connection's received set survives the reconnect). Phases: 0 before the drop, 1
 * from the drop until all are back, 2 after. In-process clients only (at most the open-files limit).
 *
 * <p>Before the measured drop, {@code --warmup-storms} unmeasured drops and resumes of all connections (default 1)
 * let the server's JIT compile the resume path, as on a node that has been running; their frames count in phase 0 and
 * in the loss and duplicate checks, their resume outcomes are subtracted from the measured storm's.
 */
public final class ReconnectStorm {
    private ReconnectStorm() {}

    /** A resume counter of the measured storm: its total minus what the warm-up storms counted. */
    private static long measured(ReceiveStats rs, java.util.Map<String, Long> before, String name) {
        return rs.counter(name) - before.getOrDefault(name, 0L);
    }

    public static Outcome run(Options o) throws Exception {
        int n = o.integer("connections", 10_000);
        double rate = o.number("rate", 1_000);
        Duration before = o.duration("warmup", Duration.ofSeconds(5));
        Duration after = o.duration("duration", Duration.ofSeconds(5));
        Duration drain = o.duration("drain-timeout", Duration.ofSeconds(30));
        double reconnectRate = o.number("reconnect-rate", 0);
        int warmupStorms = o.integer("warmup-storms", 1);
        int limit = ProcStats.openFilesLimit();
        if (o.integer("workers", 1) != 1 || n + 400 > limit) {
            throw new IllegalArgumentException("reconnect-storm runs its clients in this process: at most "
                    + (limit - 400) + " connections with an open-files limit of " + limit);
        }
        try (Run run = Run.open(o, "reconnect-storm")) {
            run.config.put("rate", rate);
            run.config.put("publishBeforeDrop", Durations.format(before));
            run.config.put("publishAfterResume", Durations.format(after));
            if (reconnectRate <= 0) {
                run.config.put("reconnectRate", "unlimited (connect-concurrency)");
            } else {
                run.config.put("reconnectRate", reconnectRate);
            }
            run.config.put("reconnectConcurrency", o.integer("connect-concurrency", 256));
            run.config.put("warmupStorms", warmupStorms);
            run.startProgress();
            run.phaseLabel("connect");
            run.connect(0, n, List.of());
            Progress ready = run.awaitConnected(Duration.ofSeconds(60 + (long) (n / o.number("connect-rate", 2000))));
            LocalFleet fleet = run.localFleet();
            Run.say("connected: " + ready.opened() + " of " + n + " (" + ready.failed() + " failed), "
                    + fleet.sessionsKnown() + " session ids");
            ExpectLedger ledger = new ExpectLedger(it -> 1);
            Publisher pub = run.publisher(ledger, 32);
            String[] users = new String[n];
            for (int u = 0; u < n; u++) {
                users[u] = run.users.user(u);
            }
            AtomicInteger phase = new AtomicInteger(0);
            long[] perUser = new long[n];
            int nodes = run.urls.size();
            RateDriver.Slot slot = (i, due, p) -> {
                int u = (int) (i % n);
                long k = perUser[u]++;
                p.submit(new PublishItem(u % nodes, u / nodes, PublishItem.Kind.USER, users[u], 0, k, phase.get(),
                        due, run.runId + "-u" + u + "-" + k));
            };
            Duration reconnectTimeout = Duration.ofSeconds(60 + (long) (n / 500.0));
            long maxSlots = (long) (rate * (before.toMillis() + after.toMillis() + reconnectTimeout.toMillis()
                    + 30_000) / 1000.0);
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            long start = System.nanoTime() + 50_000_000L;
            Thread driver = new Thread(() -> RateDriver.run(pub, rate, maxSlots, start, slot, stop::get),
                    "publish-driver");
            driver.setDaemon(true);
            driver.start();
            run.phaseLabel("publish");
            Thread.sleep(before.toMillis());
            for (int w = 1; w <= warmupStorms; w++) {
                run.phaseLabel("warm-up storm " + w);
                fleet.abortAll(Duration.ofSeconds(30));
                fleet.reconnectAll(reconnectRate, true);
                Progress warm = run.awaitConnected(reconnectTimeout);
                Run.say("warm-up storm " + w + ": " + warm.opened() + " of " + n + " back"
                        + (warm.settled() ? "" : " (timed out)"));
                run.phaseLabel("publish");
                Thread.sleep(2_000); // acks and replays of the warm-up resume settle before the measured drop
            }
            java.util.Map<String, Long> countersBefore = fleet.counters();

            run.phaseLabel("storm");
            phase.set(1);
            Run.Sample s0 = run.sample();
            long t0 = System.nanoTime();
            int aborted = fleet.abortAll(Duration.ofSeconds(30));
            long abortedNanos = System.nanoTime() - t0;
            Run.say("aborted " + aborted + " connections in " + Durations.format(Duration.ofNanos(abortedNanos))
                    + "; reconnecting with " + (run.transport == Transport.SSE ? "Last-Event-ID" : "?resume="));
            fleet.reconnectAll(reconnectRate, true);
            Progress back = run.awaitConnected(reconnectTimeout);
            long last = fleet.lastReadyNanos();
            double allBackSeconds = last > 0 ? (last - t0) / 1e9 : Double.NaN;
            Run.say("reconnected: " + back.opened() + " of " + n + " (" + back.failed() + " failed) "
                    + (back.settled() ? "" : "(timed out) ") + "in " + Json.round3(allBackSeconds) + " s");
            phase.set(2);
            run.phaseLabel("publish");
            Thread.sleep(after.toMillis());
            stop.set(true);
            driver.join(10_000);
            boolean idle = pub.awaitIdle(drain);
            run.phaseLabel("drain");
            run.awaitReceived(ledger::expectedTotal, drain);
            Run.Sample s1 = run.sample();
            Thread.sleep(300);
            PhaseStats[] phases = {run.phase(0), run.phase(1), run.phase(2)};
            ReceiveStats rs = run.finishClients();

            ObjectNode r = run.result;
            r.set("connections", Report.connections(rs, ready));
            r.set("publisher", Report.publisher(pub, pub.stats()));
            ObjectNode d = Report.delivery(ledger.publishedTotal(), ledger.failedTotal(), ledger.expectedTotal(), rs);
            // after de-dup by event every recipient saw each event once: duplicates = frames the de-dup dropped, split
            // into redeliveries ("redelivered":true, pending re-sends) and the rest (history replays of a resume, which
            // the protocol allows: a resume replays from the first unacknowledged event, PROTOCOL.md 9.3)
            long otherDuplicates = rs.duplicates - rs.redelivered;
            d.put("duplicates", rs.duplicates);
            d.put("redelivered", rs.redelivered);
            d.put("duplicatesNotRedelivered", otherDuplicates);
            d.put("duplicatesAfterDedup", 0);
            d.put("publisherKeptUp", idle);
            r.set("delivery", d);
            ObjectNode st = r.putObject("storm");
            st.put("aborted", aborted);
            st.put("abortMillis", Json.round3(abortedNanos / 1e6));
            st.put("reconnected", back.opened());
            st.put("reconnectFailed", back.failed());
            if (back.settled() && back.failed() == 0 && !Double.isNaN(allBackSeconds)) {
                st.put("secondsUntilAllResumed", Json.round3(allBackSeconds));
            } else {
                st.put("secondsUntilAllResumed", "n/a (not all reconnected)");
            }
            if (!Double.isNaN(allBackSeconds)) {
                st.put("secondsUntilLastReconnect", Json.round3(allBackSeconds));
            }
            st.put("resumedTrue", measured(rs, countersBefore, "resumedTrue"));
            st.put("resumedFalse", measured(rs, countersBefore, "resumedFalse"));
            st.put("recoveredTrue", measured(rs, countersBefore, "recoveredTrue"));
            st.put("recoveredFalse", measured(rs, countersBefore, "recoveredFalse"));
            st.put("acksConfirmed", rs.counter("ackConfirmed"));
            ObjectNode lat = r.putObject("latencyMsByPhase");
            String[] names = {"beforeDrop", "duringStorm", "afterResume"};
            for (int i = 0; i < 3; i++) {
                ObjectNode pn = Hist.summaryMillis(phases[i].latency);
                pn.put("published", ledger.published(i));
                pn.put("received", phases[i].received);
                lat.set(names[i], pn);
            }
            r.set("window", run.window(s0, s1, rs.received()));

            List<String> failures = new ArrayList<>();
            Report.check(failures, rs.opened == n || back.opened() == n, "reconnected " + back.opened() + " of " + n);
            Report.check(failures, measured(rs, countersBefore, "resumedTrue") == n, measured(rs, countersBefore, "resumedTrue") + " of " + n
                    + " connections resumed (resumed:true)");
            Report.check(failures, d.get("lost").asLong() == 0, d.get("lost").asLong() + " events lost");
            Report.check(failures, ledger.failedTotal() == 0, ledger.failedTotal() + " publishes failed "
                    + ledger.failureSamples());
            r.put("passed", failures.isEmpty());
            r.set("failures", Run.strings(failures));
            Path file = run.writeResult();
            Run.say("");
            Run.say("reconnect-storm: " + aborted + " connections aborted; all back (resumed) after "
                    + st.get("secondsUntilAllResumed").asText() + " s; resumed:true " + measured(rs, countersBefore, "resumedTrue")
                    + ", resumed:false " + measured(rs, countersBefore, "resumedFalse") + ", recovered:true "
                    + measured(rs, countersBefore, "recoveredTrue") + ", recovered:false " + measured(rs, countersBefore, "recoveredFalse"));
            Run.say("events: published " + ledger.publishedTotal() + ", received (distinct) " + rs.received()
                    + ", lost " + d.get("lost").asLong() + "; duplicate frames dropped by de-dup " + rs.duplicates
                    + " (redelivered " + rs.redelivered + ", replayed/other " + otherDuplicates + "); storm-phase p99 " + Report.ms((ObjectNode) lat.get("duringStorm"), "p99"));
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
