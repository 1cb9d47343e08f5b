package io.eventgate.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
    @Test
    void rendersResultsIntoMarkdownAndSvgAndKeepsTheNotes(@TempDir Path dir) throws Exception {
        Path results = Files.createDirectories(dir.resolve("results"));
        ObjectNode r = Json.object();
        r.put("scenario", "targeted");
        r.put("target", "eventgate");
        r.put("timestamp", "2025-01-02T03:04:05Z");
        r.put("command", "./scripts/loadtest.sh targeted --start-gateway");
        r.putObject("git").put("commit", "0123456789abcdef").put("dirty", false);
        r.putObject("machine").put("nproc", 2).put("memTotalMiB", 24000).put("kernel", "6.1").put("java", "25");
        r.putObject("config").put("publishMode", "http").put("rate", 20000.0);
        r.putObject("connections").put("opened", 10000);
        r.putObject("throughput").put("publishedEventsPerSec", 20100.0).put("deliveredEventsPerSec", 20100.0);
        r.putObject("latencyMs").put("p50", 1.5).put("p95", 4.0).put("p99", 12.0).put("max", 40.0);
        r.putObject("delivery").put("lost", 0).put("duplicates", 0).put("orderViolations", 0);
        r.putObject("window").put("serverCpuMicrosPerDelivery", 21.5).put("stealPercent", 0.5);
        Files.writeString(results.resolve("20250102-030405-targeted.json"), Json.pretty(r));
        Path out = dir.resolve("docs/BENCHMARKS.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, "old\n" + "<!-- notes:begin -->\nkeep me\n<!-- notes:end -->\n");
        int code = io.eventgate.loadtest.report.ReportWriter.run(Options.parse("report", new String[] {
                "--results-dir", results.toString(), "--out", out.toString(), "--charts-dir",
                dir.resolve("docs/benchmarks").toString()}));
        assertEquals(0, code);
        String md = Files.readString(out);
        assertTrue(md.contains("keep me"), md);
        assertTrue(md.contains("| targeted throughput | >= 20,000 events/s"), md);
        assertTrue(md.contains("20,100 events/s"), md);
        assertTrue(md.contains("./scripts/loadtest.sh targeted --start-gateway"), md);
        String svg = Files.readString(dir.resolve("docs/benchmarks/targeted-latency.svg"));
        assertTrue(svg.startsWith("<svg") && svg.contains("p99"), svg);
    }

    @Test
    void anSseRunIsASeriesOfItsOwnAndLeavesTheTargetsToTheWebSocketRuns(@TempDir Path dir) throws Exception {
        Path results = Files.createDirectories(dir.resolve("results"));
        String[][] runs = {{"20250102-030405", "ws", "20100.0"}, {"20250102-040405", "sse", "9000.0"}};
        for (String[] run : runs) {
            ObjectNode r = Json.object();
            r.put("scenario", "targeted");
            r.put("target", "eventgate");
            r.put("transport", run[1]);
            r.put("timestamp", "2025-01-02T03:04:05Z");
            r.put("command", "./scripts/loadtest.sh targeted --start-gateway --transport " + run[1]);
            r.putObject("config").put("publishMode", "http").put("rate", 20000.0);
            r.putObject("connections").put("opened", 10000);
            r.putObject("throughput").put("publishedEventsPerSec", Double.parseDouble(run[2]))
                    .put("deliveredEventsPerSec", Double.parseDouble(run[2]));
            r.putObject("latencyMs").put("p50", 1.5).put("p95", 4.0).put("p99", 12.0).put("max", 40.0);
            r.putObject("delivery").put("lost", 0).put("duplicates", 0).put("orderViolations", 0);
            r.putObject("window").put("serverCpuMicrosPerDelivery", 21.5);
            Files.writeString(results.resolve(run[0] + "-targeted.json"), Json.pretty(r));
        }
        String md = render(dir, results);
        assertTrue(md.contains("| targeted throughput | >= 20,000 events/s, one event per POST | 20,100 events/s"), md);
        assertTrue(md.contains("eventgate-sse"), md);
    }

    @Test
    void rendersTheDurableStormCrossNodeAndCapacityScenarios(@TempDir Path dir) throws Exception {
        Path results = Files.createDirectories(dir.resolve("results"));
        String[] scenarios = {"durable", "reconnect-storm", "cross-node", "cluster-capacity"};
        for (String sc : scenarios) {
            ObjectNode r = Json.object();
            r.put("scenario", sc);
            r.put("target", "eventgate");
            r.put("timestamp", "2025-01-02T03:04:05Z");
            r.put("command", "./scripts/loadtest.sh " + sc + " --start-gateway");
            r.putObject("machine").put("nproc", 2);
            r.putObject("config").put("rate", 2000.0);
            r.putObject("connections").put("opened", 2000);
            r.putObject("delivery").put("lost", 0).put("duplicates", 0).put("redelivered", 3);
            r.putObject("window").put("otherProcessesCpuPercentOfOneCore", 80.0).put("loadAverage1m", 5.0);
            r.putObject("throughput").put("ackedEventsPerSec", 1999.0);
            r.putObject("acks").put("receivedNotConfirmed", 0);
            r.putObject("storm").put("secondsUntilAllResumed", 4.25).put("resumedTrue", 2000);
            r.putObject("redisAddedLatencyMs").put("p50", 0.75).put("p99", 3.5);
            r.putObject("singleNode").putObject("latencyMs").put("p99", 10.0);
            r.putObject("crossNode").putObject("latencyMs").put("p99", 13.5);
            r.putObject("capacity").put("target", 1000).put("reached", 1000);
            r.putArray("nodes").addObject().put("url", "http://127.0.0.1:18080").put("connections", 1000);
            r.put("passed", true);
            Files.writeString(results.resolve("20250102-030405-" + sc + ".json"), Json.pretty(r));
        }
        String md = render(dir, results);
        assertTrue(md.contains("## Durable delivery (PostgreSQL, acknowledged)"), md);
        assertTrue(md.contains("1,999 acked events/s"), md);
        assertTrue(md.contains("## Reconnect storm (resume)"), md);
        assertTrue(md.contains("all back after 4.25 s"), md);
        assertTrue(md.contains("## Cross-node delivery (Redis)"), md);
        assertTrue(md.contains("p99 +3.50 ms"), md);
        assertTrue(md.contains("## Cluster capacity"), md);
        assertTrue(md.contains("machine busy during the run"), md);
    }

    /** Runs the report on {@code results}; returns the BENCHMARKS.md it wrote into {@code dir}. */
    private static String render(Path dir, Path results) throws Exception {
        Path out = dir.resolve("BENCHMARKS.md");
        int code = io.eventgate.loadtest.report.ReportWriter.run(Options.parse("report", new String[] {
                "--results-dir", results.toString(), "--out", out.toString(), "--charts-dir",
                dir.resolve("charts").toString()}));
        assertEquals(0, code);
        return Files.readString(out);
    }
}
