package io.eventgate.loadtest.scenario;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.loadtest.Durations;
import io.eventgate.loadtest.Hist;
import io.eventgate.loadtest.Options;
import io.eventgate.loadtest.Transport;
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
 * ~2,000 connections, a few thousand events addressed to single users and a few broadcasts to a channel every
 * connection subscribed to; passes only with every connection opened, every publish accepted, and no loss, no
 * duplicate and no order violation. Waits for deliveries by count, never by a fixed time.
 */
public final class Smoke {
    private Smoke() {}

    public static Outcome run(Options o) throws Exception {
        int n = o.integer("connections", 2000);
        Duration duration = o.duration("duration", Duration.ofSeconds(15));
        double rate = o.number("rate", 200);
        int broadcasts = o.integer("broadcasts", 5);
        String channel = o.string("channel", "market:smoke");
        Duration drain = o.duration("drain-timeout", Duration.ofSeconds(30));
        try (Run run = Run.open(o, "smoke")) {
            run.config.put("duration", Durations.format(duration));
            run.config.put("rate", rate);
            run.config.put("broadcasts", broadcasts);
            run.config.put("channel", channel);
            run.startProgress();
            run.phaseLabel("connect");
            run.connect(0, n, List.of(channel));
            Progress ready = run.awaitConnected(Duration.ofSeconds(60 + (long) (n / o.number("connect-rate", 2000))));
            Run.say("connected: " + ready.opened() + " of " + n + " (" + ready.failed() + " failed)");
            int[] subscribers = ready.openPerUrl();
            ExpectLedger ledger = new ExpectLedger(it -> it.kind() == PublishItem.Kind.USER ? 1
                    : subscribers[it.node()]);
            Publisher pub = run.publisher(ledger, 8);
            int nodes = run.urls.size();
            long total = (long) Math.ceil(rate * duration.toMillis() / 1000.0);
            long every = Math.max(1, total / Math.max(1, broadcasts));
            long[] userK = new long[n];
            long[] counters = new long[2]; // [0] broadcasts sent, [1] targeted sent
            RateDriver.Slot slot = (i, due, p) -> {
                if (broadcasts > 0 && i % every == every / 2 && counters[0] < broadcasts) {
                    long k = counters[0]++;
                    for (int node = 0; node < nodes; node++) {
                        p.submit(new PublishItem(node, 0, PublishItem.Kind.CHANNEL, channel, 1, k, 0, due,
                                run.runId + "-b-" + k));
                    }
                } else {
                    int u = (int) (counters[1]++ % n);
                    long k = userK[u]++;
                    p.submit(new PublishItem(u % nodes, u / nodes, PublishItem.Kind.USER, run.users.user(u), 0, k, 0,
                            due, run.runId + "-u" + u + "-" + k));
                }
            };
            run.phaseLabel("publish");
            Run.Sample s0 = run.sample();
            RateDriver.run(pub, rate, total, System.nanoTime(), slot, () -> false);
            if (!pub.awaitIdle(drain)) {
                pub.awaitIdle(Duration.ofMinutes(5));
            }
            run.phaseLabel("drain");
            run.awaitReceived(ledger::expectedTotal, drain);
            Thread.sleep(500); // late duplicates would show up here
            Run.Sample s1 = run.sample();
            ReceiveStats rs = run.finishClients();
            PublisherStats ps = pub.stats();

            ObjectNode r = run.result;
            r.set("connections", Report.connections(rs, ready));
            r.set("publisher", Report.publisher(pub, ps));
            ObjectNode d = Report.delivery(ledger.publishedTotal(), ledger.failedTotal(), ledger.expectedTotal(), rs);
            d.put("targetedEvents", counters[1]);
            d.put("broadcastEvents", counters[0]);
            r.set("delivery", d);
            r.set("acks", Report.acks(rs));
            r.set("latencyMs", Hist.summaryMillis(rs.phase(0).latency));
            r.set("rawLatencyMs", Hist.summaryMillis(rs.phase(0).rawLatency));
            r.set("window", run.window(s0, s1, rs.received()));

            List<String> failures = new ArrayList<>();
            Report.check(failures, rs.opened == n && rs.failed == 0,
                    "connections: " + rs.opened + " of " + n + " opened, " + rs.failed + " failed");
            Report.check(failures, rs.closedUnexpectedly == 0, rs.closedUnexpectedly + " connections dropped");
            Report.check(failures, ledger.failedTotal() == 0, ledger.failedTotal() + " publishes failed "
                    + ledger.failureSamples());
            Report.check(failures, d.get("lost").asLong() == 0, d.get("lost").asLong() + " deliveries lost");
            Report.check(failures, d.get("unexpected").asLong() == 0, d.get("unexpected").asLong()
                    + " deliveries nobody expected");
            Report.check(failures, rs.duplicates == 0, rs.duplicates + " duplicates");
            Report.check(failures, rs.orderViolations == 0, rs.orderViolations + " order violations");
            Report.check(failures, rs.errors == 0, rs.errors + " client errors " + rs.errorSamples);
            r.put("passed", failures.isEmpty());
            r.set("failures", Run.strings(failures));
            Path file = run.writeResult();
            Run.say("");
            Run.say("smoke " + (failures.isEmpty() ? "PASSED" : "FAILED") + " against " + run.target.id()
                    + (run.transport == Transport.SSE ? " over SSE" : "") + ": "
                    + rs.opened + "/" + n + " connections, " + counters[1] + " targeted + " + counters[0]
                    + " broadcast events, expected " + ledger.expectedTotal() + " deliveries, received "
                    + rs.received() + ", lost " + d.get("lost").asLong() + ", duplicates " + rs.duplicates
                    + ", order violations " + rs.orderViolations);
            Run.say("latency (corrected) p50 " + Report.ms((ObjectNode) r.get("latencyMs"), "p50") + ", p99 "
                    + Report.ms((ObjectNode) r.get("latencyMs"), "p99") + ", max "
                    + Report.ms((ObjectNode) r.get("latencyMs"), "max"));
            for (String f : failures) {
                Run.say("FAILED: " + f);
            }
            if (file != null) {
                Run.say("results: " + file);
            }
            return new Outcome(r, failures, file);
        }
    }
}
