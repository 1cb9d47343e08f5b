package io.eventgate.loadtest.scenario;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.loadtest.Durations;
import io.eventgate.loadtest.Json;
import io.eventgate.loadtest.Options;
import io.eventgate.loadtest.client.ReceiveStats;
import io.eventgate.loadtest.server.ServerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The targeted load across two nodes joined by Redis ({@code GATEWAY_REDIS_URL}, a fresh
 * {@code GATEWAY_REDIS_PREFIX}, explicit secret/key, one {@code GATEWAY_NODE_ID} per node): every receiver on node 1,
 * every publish to node 2. In the same invocation the same load runs against one node without Redis first, so the
 * latency Redis adds is the difference of the two (p50/p95/p99). Needs {@code --start-gateway}: the scenario starts
 * and stops its nodes itself (the single node first, then the pair); the prefix's Redis keys are deleted at the end.
 */
public final class CrossNode {
    private CrossNode() {}

    public static Outcome run(Options o) throws Exception {
        if (!o.flag("start-gateway")) {
            throw new IllegalArgumentException("cross-node starts its own nodes (one alone, then two with Redis):"
                    + " give --start-gateway");
        }
        int n = o.integer("connections", 2_000);
        double rate = o.number("rate", 2_000);
        Duration duration = o.duration("duration", Duration.ofSeconds(20));
        Duration warmup = Run.warmup(o);
        Duration drain = o.duration("drain-timeout", Duration.ofSeconds(30));
        String redisUrl = o.string("redis-url", "redis://127.0.0.1:6379");
        try (Run run = Run.open(o, "cross-node", r -> Map.of(), false)) {
            String prefix = "loadtest-" + run.runId;
            run.onClose(() -> deleteRedisKeys(redisUrl, prefix));
            run.config.put("rate", rate);
            run.config.put("duration", Durations.format(duration));
            run.config.put("warmup", Durations.format(warmup));
            run.config.put("redisUrl", redisUrl);
            run.config.put("redisPrefix", prefix);
            String heap = o.string("gateway-heap", "2g");
            ((ObjectNode) run.result.get("servers")).put("heap", heap);
            run.startProgress();

            Run.say("-- single node (no Redis): receivers and publishes on the same node");
            Map<String, String> base = run.gatewayEnv();
            List<ServerProcess> single = run.startGateways(1, i -> base, heap, run.gatewayJvmOpts());
            Targeted.Measured alone;
            try {
                String u = single.get(0).baseUrl();
                alone = Targeted.measure(run, n, rate, duration, warmup, drain, List.of(u), List.of(u),
                        run.runId + "s");
            } finally {
                run.stopGateways(single);
            }

            Run.say("-- two nodes with Redis (prefix " + prefix + "): receivers on node 1, publishes to node 2");
            Map<String, String> clusterEnv = new LinkedHashMap<>(base);
            clusterEnv.put("GATEWAY_REDIS_URL", redisUrl);
            clusterEnv.put("GATEWAY_REDIS_PREFIX", prefix);
            clusterEnv.put("GATEWAY_JWT_SECRET", run.jwtSecret);
            clusterEnv.put("GATEWAY_API_KEY", run.apiKey);
            List<ServerProcess> pair = run.startGateways(2, i -> {
                Map<String, String> e = new LinkedHashMap<>(clusterEnv);
                e.put("GATEWAY_NODE_ID", prefix + "-node" + (i + 1));
                return e;
            }, heap, run.gatewayJvmOpts());
            Targeted.Measured cross;
            try {
                cross = Targeted.measure(run, n, rate, duration, warmup, drain, List.of(pair.get(0).baseUrl()),
                        List.of(pair.get(1).baseUrl()), run.runId + "x");
            } finally {
                run.stopGateways(pair);
            }
            ObjectNode env = Run.redactedEnv(clusterEnv);
            env.put("GATEWAY_NODE_ID", prefix + "-node1, " + prefix + "-node2");
            ((ObjectNode) run.result.get("servers")).set("crossNodeEnv", env);

            ObjectNode r = run.result;
            ObjectNode a = r.putObject("singleNode");
            alone.copyInto(a);
            ObjectNode c = r.putObject("crossNode");
            cross.copyInto(c);
            // the top-level sections are those of the cross-node run (as in a targeted results file)
            cross.copyInto(r);
            ObjectNode added = r.putObject("redisAddedLatencyMs");
            for (String p : List.of("p50", "p95", "p99", "max")) {
                double x = c.at("/latencyMs/" + p).asDouble(Double.NaN);
                double y = a.at("/latencyMs/" + p).asDouble(Double.NaN);
                if (!Double.isNaN(x) && !Double.isNaN(y)) {
                    added.put(p, Json.round3(x - y));
                }
            }

            List<String> failures = new ArrayList<>();
            check(failures, "single node", alone, n);
            check(failures, "cross node", cross, n);
            r.put("passed", failures.isEmpty());
            r.set("failures", Run.strings(failures));
            Path file = run.writeResult();
            Run.say("");
            Run.say("cross-node: " + n + " users, " + rate + " events/s offered; latency single node p50 "
                    + Report.ms((ObjectNode) a.get("latencyMs"), "p50") + " p99 "
                    + Report.ms((ObjectNode) a.get("latencyMs"), "p99") + "; cross-node (Redis) p50 "
                    + Report.ms((ObjectNode) c.get("latencyMs"), "p50") + " p99 "
                    + Report.ms((ObjectNode) c.get("latencyMs"), "p99") + "; Redis adds p50 "
                    + Report.ms(added, "p50") + ", p99 " + Report.ms(added, "p99"));
            Run.say("lost: single " + a.at("/delivery/lost").asLong() + ", cross " + c.at("/delivery/lost").asLong()
                    + "; duplicates: single " + a.at("/delivery/duplicates").asLong() + ", cross "
                    + c.at("/delivery/duplicates").asLong());
            for (String f : failures) {
                Run.say("CHECK FAILED: " + f);
            }
            if (file != null) {
                Run.say("results: " + file);
            }
            return new Outcome(r, failures, file);
        }
    }

    private static void check(List<String> failures, String what, Targeted.Measured m, int n) {
        ReceiveStats rs = m.rs();
        ObjectNode d = (ObjectNode) m.sections().get("delivery");
        Report.check(failures, rs.opened == n, what + ": connections " + rs.opened + " of " + n + " opened");
        Report.check(failures, d.get("lost").asLong() == 0, what + ": " + d.get("lost").asLong() + " lost");
        Report.check(failures, rs.duplicates == 0, what + ": " + rs.duplicates + " duplicates");
        Report.check(failures, m.ledger().failedTotal() == 0, what + ": " + m.ledger().failedTotal()
                + " publishes failed " + m.ledger().failureSamples());
    }

    /** Deletes the run's keys (redis-cli, when installed; the prefix is unique to the run). */
    static void deleteRedisKeys(String redisUrl, String prefix) {
        try {
            java.net.URI u = java.net.URI.create(redisUrl);
            String host = u.getHost() == null ? "127.0.0.1" : u.getHost();
            String port = String.valueOf(u.getPort() > 0 ? u.getPort() : 6379);
            Process p = new ProcessBuilder("sh", "-c", "redis-cli -h \"$1\" -p \"$2\" --scan --pattern \"$3*\""
                    + " | xargs -r -n 500 redis-cli -h \"$1\" -p \"$2\" DEL >/dev/null", "sh", host, port, prefix)
                    .redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            } else if (p.exitValue() != 0) {
                System.err.println("loadtest: deleting Redis keys " + prefix + "*: " + out.strip());
            }
        } catch (Exception e) {
            System.err.println("loadtest: could not delete Redis keys " + prefix + "*: " + e.getMessage());
        }
    }
}
