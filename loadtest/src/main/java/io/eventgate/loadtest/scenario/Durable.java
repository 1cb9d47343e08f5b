package io.eventgate.loadtest.scenario;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.loadtest.Durations;
import io.eventgate.loadtest.Json;
import io.eventgate.loadtest.Options;
import io.eventgate.loadtest.client.ReceiveStats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Acknowledged durable delivery with PostgreSQL: the targeted load (one connection per user, events to single users
 * at a fixed rate) against a gateway with {@code GATEWAY_DB_URL}, every client acknowledging every event of its
 * user channel (batched per 50 ms, each ack message with an {@code id} so the gateway confirms it with
 * {@code acked}). With {@code --start-gateway} the harness creates a fresh database with {@code psql} (dropped at
 * the end, also on failure). Loss must be 0: every event answered 200 must be received and acknowledged;
 * redeliveries ({@code "redelivered":true}) are counted apart from other duplicates.
 */
public final class Durable {
    private Durable() {}

    public static Outcome run(Options o) throws Exception {
        int n = o.integer("connections", 2_000);
        double rate = o.number("rate", 2_000);
        Duration duration = o.duration("duration", Duration.ofSeconds(30));
        Duration warmup = Run.warmup(o);
        Duration drain = o.duration("drain-timeout", Duration.ofSeconds(30));
        if (o.has("ack") && !o.string("ack", "auto").equals("auto") && !o.string("ack", "auto").equals("all")) {
            throw new IllegalArgumentException("durable: clients must acknowledge (--ack auto or all)");
        }
        try (Run run = Run.open(o, "durable", Durable::createDatabase)) {
            run.ackConfirm = true;
            run.config.put("rate", rate);
            run.config.put("duration", Durations.format(duration));
            run.config.put("warmup", Durations.format(warmup));
            run.startProgress();
            Targeted.Measured m = Targeted.measure(run, n, rate, duration, warmup, drain, run.urls, run.urls,
                    run.runId);
            ObjectNode r = run.result;
            m.copyInto(r);
            ReceiveStats rs = m.rs();
            ExpectLedger ledger = m.ledger();
            ObjectNode d = (ObjectNode) r.get("delivery");
            long otherDuplicates = rs.duplicates - rs.redelivered;
            d.put("duplicates", otherDuplicates);
            d.put("redelivered", rs.redelivered);
            d.put("duplicatesIncludingRedeliveries", rs.duplicates);
            ObjectNode a = r.putObject("acks");
            long idsSent = rs.counter("ackedIds");
            long confirmed = rs.counter("ackConfirmed");
            long unknown = rs.counter("ackUnknown");
            long received = rs.received();
            a.put("eventIdsAcknowledged", idsSent);
            a.put("confirmedByGateway", confirmed);
            a.put("unknownToGateway", unknown);
            a.put("ackMessages", rs.acksSent);
            a.put("receivedNotConfirmed", Math.max(0, received - confirmed));
            double seconds = warmup.toMillis() / 1000.0 + m.sendSeconds();
            ObjectNode t = (ObjectNode) r.get("throughput");
            t.put("ackedEventsPerSec", Json.round3(Math.min(confirmed, received) / seconds));
            ObjectNode w = (ObjectNode) r.get("window");

            List<String> failures = new ArrayList<>();
            Report.check(failures, rs.opened == n, "connections: " + rs.opened + " of " + n + " opened");
            Report.check(failures, d.get("lost").asLong() == 0, d.get("lost").asLong() + " events answered 200"
                    + " were not received");
            Report.check(failures, confirmed >= received, (received - confirmed) + " received events were not"
                    + " confirmed acknowledged by the gateway");
            Report.check(failures, otherDuplicates == 0, otherDuplicates + " duplicates (not redeliveries)");
            Report.check(failures, ledger.failedTotal() == 0, ledger.failedTotal() + " publishes failed "
                    + ledger.failureSamples());
            r.put("passed", failures.isEmpty());
            r.set("failures", Run.strings(failures));
            Path file = run.writeResult();
            ObjectNode lat = (ObjectNode) r.get("latencyMs");
            Run.say("");
            Run.say("durable (PostgreSQL): " + rs.opened + "/" + n + " users, offered " + rate + " events/s, published "
                    + t.get("publishedEventsPerSec").asText() + "/s, acked end to end "
                    + t.get("ackedEventsPerSec").asText() + "/s (" + confirmed + " acks confirmed, " + unknown
                    + " unknown)");
            Run.say("latency (corrected) p50 " + Report.ms(lat, "p50") + ", p99 " + Report.ms(lat, "p99") + ", max "
                    + Report.ms(lat, "max") + "; lost " + d.get("lost").asLong() + ", duplicates " + otherDuplicates
                    + ", redelivered " + rs.redelivered + "; server CPU "
                    + w.path("serverCpuMicrosPerDelivery").asText("n/a") + " µs per event, other procs "
                    + w.path("otherProcessesCpuPercentOfOneCore").asText() + "% of a core");
            for (String f : failures) {
                Run.say("CHECK FAILED: " + f);
            }
            if (file != null) {
                Run.say("results: " + file);
            }
            return new Outcome(r, failures, file);
        }
    }

    /** With --start-gateway: a fresh database via psql (dropped when the run ends), as the gateway's DB. */
    static Map<String, String> createDatabase(Run run) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        if (!run.o.flag("start-gateway")) {
            return env; // the given gateway must already run with GATEWAY_DB_URL
        }
        String hostPort = run.o.string("db-host", "127.0.0.1:5432");
        String user = run.o.string("db-user", "postgres");
        String host = hostPort.contains(":") ? hostPort.substring(0, hostPort.indexOf(':')) : hostPort;
        String port = hostPort.contains(":") ? hostPort.substring(hostPort.indexOf(':') + 1) : "5432";
        String db = "eventgate_loadtest_" + run.runId.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]", "");
        psql(host, port, user, "CREATE DATABASE " + db);
        Run.say("created database " + db + " on " + hostPort + " (dropped at the end)");
        run.onClose(() -> {
            try {
                psql(host, port, user, "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
                Run.say("dropped database " + db);
            } catch (Exception e) {
                System.err.println("loadtest: could not drop database " + db + ": " + e.getMessage());
            }
        });
        env.put("GATEWAY_DB_URL", "jdbc:postgresql://" + hostPort + "/" + db);
        env.put("GATEWAY_DB_USER", user);
        ObjectNode dbNode = run.config.putObject("database");
        dbNode.put("url", "jdbc:postgresql://" + hostPort + "/" + db);
        dbNode.put("user", user);
        dbNode.put("createdBy", "psql, dropped at the end");
        return env;
    }

    private static void psql(String host, String port, String user, String sql) throws IOException,
            InterruptedException {
        Process p = new ProcessBuilder("psql", "-h", host, "-p", port, "-U", user, "-d", "postgres", "-X", "-q",
                "-v", "ON_ERROR_STOP=1", "-c", sql).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("psql timed out: " + sql);
        }
        if (p.exitValue() != 0) {
            throw new IOException("psql failed (" + sql + "): " + out.strip() + " (needs psql and a PostgreSQL on "
                    + host + ":" + port + " that " + user + " can use without a prompt, e.g. via PGPASSWORD)");
        }
    }
}
