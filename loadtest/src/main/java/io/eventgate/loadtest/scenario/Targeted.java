package io.eventgate.loadtest.scenario;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.loadtest.Durations;
import io.eventgate.loadtest.Hist;
import io.eventgate.loadtest.Json;
import io.eventgate.loadtest.Options;
import io.eventgate.loadtest.client.PhaseStats;
import io.eventgate.loadtest.client.Progress;
import io.eventgate.loadtest.client.ReceiveStats;
import io.eventgate.loadtest.publish.PublishItem;
import io.eventgate.loadtest.publish.Publisher;
import io.eventgate.loadtest.publish.PublisherStats;
import io.eventgate.loadtest.publish.RateDriver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One connection per user; events addressed to single users (round-robin) at a fixed rate, one event per POST or in
 * batches. A warm-up phase (0) precedes the measured phase (1); latency, loss and server CPU are of phase 1.
 */
public final class Targeted {
    private Targeted() {}

    public static Outcome run(Options o) throws Exception {
        int n = o.integer("connections", 10_000);
        double rate = o.number("rate", 10_000);
        Duration duration = o.duration("duration", Duration.ofSeconds(30));
        Duration warmup = Run.warmup(o);
        Duration drain = o.duration("drain-timeout", Duration.ofSeconds(30));
        try (Run run = Run.open(o, "targeted")) {
            run.config.put("rate", rate);
            run.config.put("duration", Durations.format(duration));
            run.config.put("warmup", Durations.format(warmup));
            run.startProgress();
            Measured m = measure(run, n, rate, duration, warmup, drain, run.urls, run.urls, run.runId);
            ObjectNode r = run.result;
            m.copyInto(r);
            ReceiveStats rs = m.rs();
            ExpectLedger ledger = m.ledger();
            ObjectNode d = (ObjectNode) r.get("delivery");
            ObjectNode t = (ObjectNode) r.get("throughput");
            ObjectNode w = (ObjectNode) r.get("window");
            List<String> failures = new ArrayList<>();
            Report.check(failures, rs.opened == n, "connections: " + rs.opened + " of " + n + " opened");
            Report.check(failures, d.get("lost").asLong() == 0, d.get("lost").asLong() + " deliveries lost");
            Report.check(failures, rs.duplicates == 0, rs.duplicates + " duplicates");
            Report.check(failures, rs.orderViolations == 0, rs.orderViolations + " order violations");
            Report.check(failures, ledger.failedTotal() == 0, ledger.failedTotal() + " publishes failed "
                    + ledger.failureSamples());
            r.put("passed", failures.isEmpty());
            r.set("failures", Run.strings(failures));
            Path file = run.writeResult();
            ObjectNode lat = (ObjectNode) r.get("latencyMs");
            Run.say("");
            Run.say("targeted against " + run.target.id() + " (" + run.config.get("publishMode").asText() + "): "
                    + rs.opened + "/" + n + " users, offered " + rate + " events/s, published "
                    + t.get("publishedEventsPerSec").asText() + "/s, delivered " + t.get("deliveredEventsPerSec")
                    .asText() + "/s");
            Run.say("latency (corrected) p50 " + Report.ms(lat, "p50") + ", p95 " + Report.ms(lat, "p95") + ", p99 "
                    + Report.ms(lat, "p99") + ", max " + Report.ms(lat, "max") + "; lost " + d.get("lost").asLong()
                    + ", duplicates " + rs.duplicates + ", order violations " + rs.orderViolations);
            Run.say("server CPU " + w.path("serverCpuMicrosPerDelivery").asText("n/a") + " µs per event ("
                    + w.path("serverCpuPercentOfOneCore").asText("n/a") + "% of a core), client CPU "
                    + w.get("clientCpuPercentOfOneCore").asText() + "% of a core, steal "
                    + w.get("stealPercent").asText() + "%");
            for (String f : failures) {
                Run.say("CHECK FAILED: " + f);
            }
            if (file != null) {
                Run.say("results: " + file);
            }
            return new Outcome(r, failures, file);
        }
    }

    /** What one targeted load measured: result sections (connections, publisher, delivery, latency, ...). */
    record Measured(ObjectNode sections, ReceiveStats rs, ExpectLedger ledger, double sendSeconds) {
        void copyInto(ObjectNode r) {
            sections.fields().forEachRemaining(e -> r.set(e.getKey(), e.getValue()));
        }
    }

    /**
     * Connects {@code n} users to {@code clientUrls} (round-robin), publishes to {@code publishUrls} at {@code rate}
     * (warm-up = phase 0, measured = phase 1), waits for the deliveries (bounded), closes the clients.
     */
    static Measured measure(Run run, int n, double rate, Duration duration, Duration warmup, Duration drain,
                            List<String> clientUrls, List<String> publishUrls, String idPrefix) throws Exception {
        Options o = run.o;
        run.phaseLabel("connect");
        run.connect(0, n, List.of(), clientUrls);
        Progress ready = run.awaitConnected(Duration.ofSeconds(60 + (long) (n / o.number("connect-rate", 2000))));
        Run.say("connected: " + ready.opened() + " of " + n + " (" + ready.failed() + " failed)");
        ExpectLedger ledger = new ExpectLedger(it -> 1);
        Publisher pub = run.publisher(ledger, 32, publishUrls);
        int nodes = publishUrls.size();
        String[] userIds = new String[n];
        for (int u = 0; u < n; u++) {
            userIds[u] = run.users.user(u);
        }
        long warmCount = (long) (rate * warmup.toMillis() / 1000.0);
        long count = (long) (rate * duration.toMillis() / 1000.0);
        long start = System.nanoTime() + 50_000_000L;
        run.phaseLabel("warmup");
        RateDriver.run(pub, rate, warmCount, start, slot(idPrefix, userIds, nodes, 0, 0), () -> false);
        run.phaseLabel("measure");
        Run.Sample s0 = run.sample();
        long measureStart = System.nanoTime();
        RateDriver.run(pub, rate, count, RateDriver.endOf(rate, warmCount, start),
                slot(idPrefix, userIds, nodes, warmCount, 1), () -> false);
        // a server that fell behind still owes the backlog: wait for every answer (bounded), then for deliveries
        boolean idle = pub.awaitIdle(drain);
        if (!idle) {
            Run.say("publisher backlog " + pub.stats().backlog() + " after the schedule; waiting for it (at most 5 min)");
            pub.awaitIdle(Duration.ofMinutes(5));
        }
        double sendSeconds = (System.nanoTime() - measureStart) / 1e9;
        run.phaseLabel("drain");
        run.awaitReceived(ledger::expectedTotal, drain);
        Run.Sample s1 = run.sample();
        PhaseStats measured = run.phase(1);
        Thread.sleep(300); // the last batched acks (50 ms) go out and are answered
        ReceiveStats rs = run.finishClients();
        PublisherStats ps = pub.stats();

        ObjectNode r = Json.object();
        r.set("connections", Report.connections(rs, ready));
        r.set("publisher", Report.publisher(pub, ps));
        ObjectNode d = Report.delivery(ledger.publishedTotal(), ledger.failedTotal(), ledger.expectedTotal(), rs);
        d.put("measuredPublished", ledger.published(1));
        d.put("measuredExpected", ledger.expected(1));
        d.put("measuredReceived", measured.received);
        d.put("measuredLost", Math.max(0, ledger.expected(1) - measured.received));
        r.set("delivery", d);
        r.set("latencyMs", Hist.summaryMillis(measured.latency));
        r.set("rawLatencyMs", Hist.summaryMillis(measured.rawLatency));
        ObjectNode t = r.putObject("throughput");
        t.put("offeredEventsPerSec", rate);
        t.put("publishedEventsPerSec", Json.round3(ledger.published(1) / sendSeconds));
        t.put("deliveredEventsPerSec", Json.round3(measured.received / sendSeconds));
        t.put("publisherKeptUp", idle);
        r.set("window", run.window(s0, s1, measured.received));
        return new Measured(r, rs, ledger, sendSeconds);
    }

    /** Slot {@code i} of a phase is global slot {@code offset + i}: user {@code g % n}, its {@code g / n}-th event. */
    private static RateDriver.Slot slot(String idPrefix, String[] users, int nodes, long offset, int phase) {
        int n = users.length;
        return (i, due, p) -> {
            long g = offset + i;
            int u = (int) (g % n);
            long k = g / n;
            p.submit(new PublishItem(u % nodes, u / nodes, PublishItem.Kind.USER, users[u], 0, k, phase, due,
                    idPrefix + "-u" + u + "-" + k));
        };
    }
}
