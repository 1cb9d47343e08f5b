package io.eventgate.loadtest.scenario;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.loadtest.Durations;
import io.eventgate.loadtest.Hist;
import io.eventgate.loadtest.Json;
import io.eventgate.loadtest.Options;
import io.eventgate.loadtest.client.PhaseStats;
import io.eventgate.loadtest.client.Progress;
import io.eventgate.loadtest.client.ReceiveStats;
import io.eventgate.loadtest.client.Spread;
import io.eventgate.loadtest.publish.PublishItem;
import io.eventgate.loadtest.publish.Publisher;
import io.eventgate.loadtest.publish.PublisherStats;
import io.eventgate.loadtest.publish.RateDriver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * N subscribers of one channel; the publish rate climbs through {@code --steps} (each {@code --step-duration},
 * drained before the next) and the ramp stops after the first step whose p99 exceeds {@code --max-p99} or that
 * lost deliveries. Reported: per step deliveries/s, latency, first-to-last subscriber spread and server CPU per
 * delivery; and the best step that stayed within the p99 bound.
 */
public final class Broadcast {
    /** Phase of the warm-up events (not a step). */
    static final int WARMUP = 63;

    private Broadcast() {}

    public static Outcome run(Options o) throws Exception {
        int n = o.integer("connections", 10_000);
        List<Double> steps = new ArrayList<>();
        for (String s : o.list("steps", "5,10,20,40,80,160,320")) {
            steps.add(Double.parseDouble(s));
        }
        Duration stepDuration = o.duration("step-duration", Duration.ofSeconds(10));
        Duration maxP99 = o.duration("max-p99", Duration.ofMillis(100));
        Duration drain = o.duration("drain-timeout", Duration.ofSeconds(10));
        String channel = o.string("channel", "market:bench");
        try (Run run = Run.open(o, "broadcast")) {
            run.config.put("channel", channel);
            run.config.put("stepDuration", Durations.format(stepDuration));
            run.config.put("maxP99", Durations.format(maxP99));
            ArrayNode stepsConfig = run.config.putArray("steps");
            steps.forEach(stepsConfig::add);
            run.startProgress();
            run.phaseLabel("connect");
            run.connect(0, n, List.of(channel));
            Progress ready = run.awaitConnected(Duration.ofSeconds(60 + (long) (n / o.number("connect-rate", 2000))));
            Run.say("connected: " + ready.opened() + " of " + n + " (" + ready.failed() + " failed)");
            int[] subscribers = ready.openPerUrl();
            long totalSubscribers = 0;
            for (int s : subscribers) {
                totalSubscribers += s;
            }
            ExpectLedger ledger = new ExpectLedger(it -> subscribers[it.node()]);
            Publisher pub = run.publisher(ledger, 1);
            int nodes = run.urls.size();
            long[] nextK = {0};
            Duration warmup = Run.warmup(o);
            run.config.put("warmup", Durations.format(warmup));
            if (!warmup.isZero() && !steps.isEmpty()) {
                // JIT and buffer pools warm up at the first step's rate; phase WARMUP is not reported as a step
                run.phaseLabel("warm-up");
                long count = Math.max(1, (long) (steps.get(0) * warmup.toMillis() / 1000.0));
                RateDriver.run(pub, steps.get(0), count, System.nanoTime() + 20_000_000L, (i, due, p) -> {
                    long k = nextK[0]++;
                    for (int node = 0; node < nodes; node++) {
                        p.submit(new PublishItem(node, 0, PublishItem.Kind.CHANNEL, channel, 1, k, WARMUP, due,
                                run.runId + "-b-" + k));
                    }
                }, () -> false);
                pub.awaitIdle(drain);
                run.awaitReceived(ledger::expectedTotal, drain);
            }
            ArrayNode stepResults = run.result.putArray("steps");
            double bestDeliveries = -1;
            int bestStep = -1;
            long droppedBefore = 0;
            long droppedInWarmup = run.progress().closedUnexpectedly();
            droppedBefore = droppedInWarmup;
            for (int j = 0; j < steps.size() && j < 60; j++) {
                double rate = steps.get(j);
                int phase = j;
                long count = Math.max(1, (long) (rate * stepDuration.toMillis() / 1000.0));
                run.phaseLabel("step " + (j + 1) + "/" + steps.size() + " " + rate + " ev/s");
                Run.Sample s0 = run.sample();
                long start = System.nanoTime();
                RateDriver.run(pub, rate, count, start + 20_000_000L, (i, due, p) -> {
                    long k = nextK[0]++;
                    for (int node = 0; node < nodes; node++) {
                        p.submit(new PublishItem(node, 0, PublishItem.Kind.CHANNEL, channel, 1, k, phase, due,
                                run.runId + "-b-" + k));
                    }
                }, () -> false);
                if (!pub.awaitIdle(drain)) {
                    pub.awaitIdle(Duration.ofMinutes(5));
                }
                run.awaitReceived(ledger::expectedTotal, drain);
                Run.Sample s1 = run.sample();
                PhaseStats ps = run.phase(phase);
                Progress p = run.progress();
                long expected = ledger.expected(phase);
                long lost = Math.max(0, expected - ps.received);
                double seconds = stepDuration.toMillis() / 1000.0;
                ObjectNode step = stepResults.addObject();
                step.put("step", j + 1);
                step.put("eventsPerSec", rate);
                step.put("events", count);
                step.put("published", ledger.published(phase));
                step.put("publishFailed", ledger.failed(phase));
                step.put("subscribers", totalSubscribers);
                step.put("expected", expected);
                step.put("received", ps.received);
                step.put("lost", lost);
                step.put("offeredDeliveriesPerSec", Json.round3(rate * totalSubscribers));
                double deliveries = ps.received / seconds;
                step.put("deliveriesPerSec", Json.round3(deliveries));
                step.set("latencyMs", Hist.summaryMillis(ps.latency));
                step.set("rawLatencyMs", Hist.summaryMillis(ps.rawLatency));
                ObjectNode w = run.window(s0, s1, ps.received);
                step.set("window", w);
                long dropped = p.closedUnexpectedly() - droppedBefore;
                droppedBefore = p.closedUnexpectedly();
                step.put("connectionsDropped", dropped);
                long p99 = ps.latency.getTotalCount() == 0 ? Long.MAX_VALUE : ps.latency.getValueAtPercentile(99);
                boolean ok = p99 <= maxP99.toNanos() / 1000 && lost == 0 && dropped == 0
                        && ledger.failed(phase) == 0;
                step.put("withinBound", ok);
                Run.say(String.format("step %d: %.0f events/s -> %.0f deliveries/s, p50 %s, p99 %s, max %s, lost %d,"
                                + " server CPU %s µs/delivery%s", j + 1, rate, deliveries,
                        Report.ms((ObjectNode) step.get("latencyMs"), "p50"),
                        Report.ms((ObjectNode) step.get("latencyMs"), "p99"),
                        Report.ms((ObjectNode) step.get("latencyMs"), "max"), lost,
                        w.path("serverCpuMicrosPerDelivery").asText("n/a"), ok ? "" : "  <- over the bound"));
                if (ok && deliveries > bestDeliveries) {
                    bestDeliveries = deliveries;
                    bestStep = j;
                }
                if (!ok) {
                    break;
                }
            }
            var spreads = run.spreads();
            ReceiveStats rs = run.finishClients();
            PublisherStats pstats = pub.stats();
            Spread spread = spreads.getOrDefault(1, new Spread());
            for (int j = 0; j < stepResults.size(); j++) {
                Histogram h = Hist.create();
                long incomplete = 0;
                for (int k = 0; k < spread.size(); k++) {
                    if (spread.count(k) == 0 || spread.phase(k) != j) {
                        continue;
                    }
                    if (spread.count(k) < totalSubscribers) {
                        incomplete++;
                        continue;
                    }
                    Hist.recordMicros(h, spread.spreadMicros(k));
                }
                ObjectNode step = (ObjectNode) stepResults.get(j);
                step.set("spreadMs", Hist.summaryMillis(h));
                step.put("eventsNotReceivedByAll", incomplete);
            }
            ObjectNode r = run.result;
            r.set("connections", Report.connections(rs, ready));
            r.set("publisher", Report.publisher(pub, pstats));
            r.set("delivery", Report.delivery(ledger.publishedTotal(), ledger.failedTotal(), ledger.expectedTotal(),
                    rs));
            ObjectNode best = r.putObject("best");
            if (bestStep >= 0) {
                ObjectNode s = (ObjectNode) stepResults.get(bestStep);
                best.put("step", bestStep + 1);
                best.put("eventsPerSec", s.get("eventsPerSec").asDouble());
                best.put("deliveriesPerSec", s.get("deliveriesPerSec").asDouble());
                best.set("latencyMs", s.get("latencyMs"));
                best.set("spreadMs", s.get("spreadMs"));
                best.set("serverCpuMicrosPerDelivery", s.get("window").get("serverCpuMicrosPerDelivery"));
            }
            List<String> failures = new ArrayList<>();
            Report.check(failures, rs.opened == n, "connections: " + rs.opened + " of " + n + " opened");
            Report.check(failures, bestStep >= 0, "no step stayed within p99 <= " + Durations.format(maxP99));
            Report.check(failures, rs.duplicates == 0, rs.duplicates + " duplicates");
            Report.check(failures, rs.orderViolations == 0, rs.orderViolations + " order violations");
            r.put("passed", failures.isEmpty());
            r.set("failures", Run.strings(failures));
            Path file = run.writeResult();
            Run.say("");
            if (bestStep >= 0) {
                Run.say("broadcast against " + run.target.id() + ": best " + best.get("deliveriesPerSec").asText()
                        + " deliveries/s to " + totalSubscribers + " subscribers within p99 <= "
                        + Durations.format(maxP99) + " (step " + (bestStep + 1) + ", spread p50 "
                        + Report.ms((ObjectNode) best.get("spreadMs"), "p50") + ", server CPU "
                        + best.path("serverCpuMicrosPerDelivery").asText("n/a") + " µs/delivery)");
            }
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
