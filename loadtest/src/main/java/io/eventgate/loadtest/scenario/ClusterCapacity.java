package io.eventgate.loadtest.scenario;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.loadtest.Durations;
import io.eventgate.loadtest.Json;
import io.eventgate.loadtest.Options;
import io.eventgate.loadtest.ProcStats;
import io.eventgate.loadtest.client.Progress;
import io.eventgate.loadtest.client.ReceiveStats;
import io.eventgate.loadtest.server.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * K gateway nodes joined by Redis, and client worker processes (each below 19,000 sockets, binding source
 * addresses 127.0.0.1, 127.0.0.2, ... so no (source, destination) pair runs out of ports) opening N connections with
 * heartbeats: connections reached, connect time, and per node the heap (after a forced GC) and RSS per connection.
 * With {@code --start-gateway} the nodes (default: one per 17,000 connections, -Xmx700m, compact object headers) are
 * started and stopped by the scenario; the Redis prefix is fresh and its keys are deleted at the end.
 */
public final class ClusterCapacity {
    private ClusterCapacity() {}

    public static Outcome run(Options o) throws Exception {
        int n = o.integer("connections", 100_000);
        int k = o.integer("nodes", Math.max(1, (n + 16_999) / 17_000));
        Duration hold = o.duration("duration", Duration.ofSeconds(35));
        Duration settle = o.duration("settle", Duration.ofSeconds(5));
        String redisUrl = o.string("redis-url", "redis://127.0.0.1:6379");
        boolean start = o.flag("start-gateway");
        try (Run run = Run.open(o, "cluster-capacity", r -> Map.of(), false)) {
            String prefix = "loadtest-" + run.runId;
            int perWorker = 18_000;
            run.defaultPerWorker = perWorker;
            List<String> sources = new ArrayList<>();
            for (int i = 0; i < Math.max(1, (n + 19_999) / 20_000); i++) {
                sources.add("127.0.0." + (i + 1));
            }
            run.defaultSources = sources;
            run.config.put("nodes", start ? k : run.urls.size());
            run.config.put("holdWindow", Durations.format(hold));
            List<ServerProcess> nodes = List.of();
            String heap = o.string("gateway-heap", "700m");
            if (start) {
                run.onClose(() -> CrossNode.deleteRedisKeys(redisUrl, prefix));
                Map<String, String> env = new LinkedHashMap<>(run.gatewayEnv());
                env.put("GATEWAY_REDIS_URL", redisUrl);
                env.put("GATEWAY_REDIS_PREFIX", prefix);
                env.put("GATEWAY_JWT_SECRET", run.jwtSecret);
                env.put("GATEWAY_API_KEY", run.apiKey);
                run.config.put("redisUrl", redisUrl);
                run.config.put("redisPrefix", prefix);
                ObjectNode s = (ObjectNode) run.result.get("servers");
                s.put("nodes", k);
                s.put("heap", heap);
                s.set("env", Run.redactedEnv(env));
                nodes = run.startGateways(k, i -> {
                    Map<String, String> e = new LinkedHashMap<>(env);
                    e.put("GATEWAY_NODE_ID", prefix + "-node" + (i + 1));
                    return e;
                }, heap, run.gatewayJvmOpts());
                for (ServerProcess p : nodes) {
                    run.urls.add(p.baseUrl());
                }
                s.set("urls", Run.strings(run.urls));
                ArrayNode pids = s.putArray("pids");
                nodes.forEach(p -> pids.add(p.pid()));
            } else if (run.urls.isEmpty()) {
                run.urls.addAll(o.list("url", "http://127.0.0.1:8080"));
            }
            run.startProgress();
            run.phaseLabel("baseline");
            long[] heap0 = new long[nodes.size()];
            long[] rss0 = new long[nodes.size()];
            for (int i = 0; i < nodes.size(); i++) {
                heap0[i] = nodes.get(i).heapUsedAfterGc();
                rss0[i] = ProcStats.rssBytes(nodes.get(i).pid());
            }
            run.phaseLabel("connect");
            long t0 = System.nanoTime();
            run.connect(0, n, List.of());
            Progress ready = run.awaitConnected(Duration.ofSeconds(120 + (long) (n / o.number("connect-rate", 2000))));
            double connectSeconds = (System.nanoTime() - t0) / 1e9;
            Run.say("connected: " + ready.opened() + " of " + n + " (" + ready.failed() + " failed) in "
                    + Json.round3(connectSeconds) + " s");
            Thread.sleep(settle.toMillis());
            run.phaseLabel("measure memory");
            Progress now = run.progress();
            int[] perNode = now.openPerUrl();
            ArrayNode nodeArr = Json.MAPPER.createArrayNode();
            long heapSum = 0;
            long rssSum = 0;
            boolean memOk = !nodes.isEmpty();
            for (int i = 0; i < nodes.size(); i++) {
                ServerProcess p = nodes.get(i);
                long h = p.heapUsedAfterGc();
                long rs = ProcStats.rssBytes(p.pid());
                int c = i < perNode.length ? perNode[i] : 0;
                ObjectNode x = nodeArr.addObject();
                x.put("url", p.baseUrl());
                x.put("pid", p.pid());
                x.put("connections", c);
                x.put("heapBeforeBytes", heap0[i]);
                x.put("heapAfterBytes", h);
                x.put("rssBeforeBytes", rss0[i]);
                x.put("rssAfterBytes", rs);
                if (c > 0 && h >= 0 && heap0[i] >= 0) {
                    x.put("heapBytesPerConnection", Json.round3((h - heap0[i]) / (double) c));
                    heapSum += h - heap0[i];
                } else {
                    memOk = false;
                }
                if (c > 0 && rs >= 0 && rss0[i] >= 0) {
                    x.put("rssBytesPerConnection", Json.round3((rs - rss0[i]) / (double) c));
                    x.put("rssTotalBytesPerConnection", Json.round3(rs / (double) c));
                    rssSum += rs - rss0[i];
                } else {
                    memOk = false;
                }
            }
            run.phaseLabel("hold");
            Run.Sample s0 = run.sample();
            long pings0 = run.progress().pings();
            Thread.sleep(hold.toMillis());
            Run.Sample s1 = run.sample();
            Progress end = run.progress();
            ReceiveStats rs = run.finishClients();

            ObjectNode r = run.result;
            r.set("connections", Report.connections(rs, ready));
            ObjectNode cap = r.putObject("capacity");
            cap.put("target", n);
            cap.put("reached", ready.opened());
            cap.put("openAtEnd", end.open());
            cap.put("secondsToConnectAll", Json.round3(connectSeconds));
            cap.put("workers", run.config.path("workers").asInt(1));
            cap.set("sourceAddresses", Run.strings(sources));
            r.set("nodes", nodeArr);
            int open = (int) now.open();
            ObjectNode m = r.putObject("memory");
            if (memOk && open > 0) {
                m.put("heapBytesPerConnection", Json.round3(heapSum / (double) open));
                m.put("rssBytesPerConnection", Json.round3(rssSum / (double) open));
            } else {
                m.put("heapBytesPerConnection", "n/a");
                m.put("rssBytesPerConnection", "n/a");
            }
            ObjectNode w = run.window(s0, s1, 0);
            w.put("heartbeatsAnswered", end.pings() - pings0);
            r.set("window", w);
            List<String> failures = new ArrayList<>();
            Report.check(failures, rs.opened == n, "connections: " + rs.opened + " of " + n + " opened");
            Report.check(failures, rs.closedUnexpectedly == 0, rs.closedUnexpectedly + " connections dropped");
            r.put("passed", failures.isEmpty());
            r.set("failures", Run.strings(failures));
            Path file = run.writeResult();
            Run.say("");
            Run.say("cluster-capacity: " + ready.opened() + " of " + n + " connections on " + run.urls.size()
                    + " node(s) in " + Json.round3(connectSeconds) + " s (connect p99 "
                    + Report.ms((ObjectNode) r.at("/connections/connectTimeMs"), "p99") + "); heap "
                    + m.get("heapBytesPerConnection").asText() + " B/conn, RSS " + m.get("rssBytesPerConnection")
                    .asText() + " B/conn; " + w.get("heartbeatsAnswered").asLong() + " heartbeats answered in "
                    + Durations.format(hold) + ", " + rs.closedUnexpectedly + " dropped");
            for (var x : nodeArr) {
                Run.say("  " + x.path("url").asText() + ": " + x.path("connections").asInt() + " connections, heap "
                        + x.path("heapBytesPerConnection").asText("n/a") + " B/conn, RSS "
                        + x.path("rssBytesPerConnection").asText("n/a") + " B/conn");
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
