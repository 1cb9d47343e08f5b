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
}
