package io.eventgate.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.loadtest.scenario.Outcome;
import io.eventgate.loadtest.scenario.Targeted;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The targeted scenario publishing through the gateway's Redis ingress (the shared Redis on 127.0.0.1:6379, a fresh
 * prefix): a real gateway jar started by the harness with that Redis, events XADDed to its ingress stream or
 * PUBLISHed on its ingress channel, or half of them XADDed and half POSTed (mixed). Asserts counts only: every event accepted by Redis reaches its user once, in
 * order, and the run's Redis keys are gone afterwards.
 */
class RedisPublishIT {

    @ParameterizedTest
    @ValueSource(strings = {"redis-xadd", "redis-publish", "mixed"})
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void eventsPublishedThroughTheRedisIngressArriveOnceAndInOrder(String mode) throws Exception {
        Path jar = GatewayJar.path();
        String java = GatewayJar.java();
        Outcome outcome = Targeted.run(Options.parse("targeted", new String[] {
                "--start-gateway",
                "--gateway-jar", jar.toString(),
                "--java", java,
                "--gateway-heap", "512m",
                "--publish-mode", mode,
                "--redis-url", "redis://127.0.0.1:6379",
                "--connections", "300",
                "--rate", "300",
                "--warmup", "2s",
                "--duration", "5s",
                "--drain-timeout", "60s",
                "--progress-interval", "5s",
                "--no-results"}));
        JsonNode r = outcome.result();
        assertEquals(mode, r.at("/config/publishMode").asText(), () -> "mode; " + r);
        assertEquals(300, r.at("/connections/opened").asInt(), () -> "connections opened; " + r);
        long published = r.at("/delivery/published").asLong();
        assertTrue(published >= 1800, () -> "events published through Redis: " + r.at("/delivery"));
        assertEquals(0, r.at("/delivery/publishFailed").asLong(), () -> "publishes failed: " + r.at("/delivery"));
        assertEquals(0, r.at("/delivery/lost").asLong(), () -> "lost: " + r.at("/delivery"));
        assertEquals(0, r.at("/delivery/duplicates").asLong(), "duplicates");
        assertEquals(0, r.at("/delivery/orderViolations").asLong(), "order violations");
        assertTrue(outcome.passed(), () -> "targeted failed: " + outcome.failures());
        if (mode.equals("mixed")) {
            // Both ways at once: about half the events by POST, the others by XADD, and none lost on either.
            long viaHttp = r.at("/publisher/paths/http/published").asLong();
            long viaRedis = r.at("/publisher/paths/redis-xadd/published").asLong();
            assertEquals(published, viaHttp + viaRedis, () -> "paths: " + r.at("/publisher"));
            assertTrue(viaHttp > published / 3 && viaRedis > published / 3, () -> "paths: " + r.at("/publisher"));
        }
        String prefix = r.at("/config/redisPrefix").asText();
        assertTrue(prefix.startsWith("loadtest-"), prefix);
        Process scan = new ProcessBuilder("redis-cli", "-h", "127.0.0.1", "-p", "6379", "--scan", "--pattern",
                prefix + "*").redirectErrorStream(true).start();
        String keys = new String(scan.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(scan.waitFor(30, TimeUnit.SECONDS));
        assertEquals("", keys, "the run's Redis keys are deleted at its end");
    }
}
