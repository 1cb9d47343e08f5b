package io.eventgate.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.loadtest.scenario.Outcome;
import io.eventgate.loadtest.scenario.Smoke;
import io.eventgate.loadtest.server.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The smoke scenario, in-process, against the real gateway jar started as a subprocess with the same java as this
 * test: 2,000 connections, targeted and broadcast events. Asserts counts only (every connection opened, nothing lost,
 * duplicated or reordered), never a time: the harness waits for deliveries by count, with generous timeouts, so a
 * busy machine makes it slower, not red.
 */
class SmokeIT {
    private static final String SECRET = "smoke-it-jwt-secret-0123456789abcdefghij";
    private static final String API_KEY = "smoke-it-api-key-0123456789";

    @Test
    @Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
    void smokeScenarioLosesNothingAgainstARealGateway(@TempDir Path logs) throws Exception {
        ServerProcess gateway = GatewayJar.start(logs, SECRET, API_KEY, 19180, "512m");
        try {
            gateway.awaitReady(Duration.ofSeconds(120));
            Outcome outcome = Smoke.run(Options.parse("smoke", GatewayJar.against(gateway, SECRET, API_KEY,
                    "--connections", "2000",
                    "--connect-rate", "1000",
                    "--connect-timeout", "60s",
                    "--duration", "10s",
                    "--rate", "300",
                    "--broadcasts", "5",
                    "--drain-timeout", "60s")));
            JsonNode r = outcome.result();
            assertEquals(2000, r.at("/connections/opened").asInt(), () -> "connections opened; " + r);
            assertEquals(0, r.at("/connections/failed").asInt(), "connections failed");
            assertEquals(0, r.at("/connections/droppedDuringRun").asInt(), "connections dropped");
            assertEquals(0, r.at("/delivery/publishFailed").asLong(), "publishes failed");
            assertEquals(5, r.at("/delivery/broadcastEvents").asLong(), "broadcast events");
            assertTrue(r.at("/delivery/targetedEvents").asLong() >= 2900, "targeted events");
            assertEquals(r.at("/delivery/targetedEvents").asLong() + 5 * 2000L, r.at("/delivery/expected").asLong(),
                    () -> "expected deliveries: " + r);
            assertEquals(r.at("/delivery/expected").asLong(), r.at("/delivery/received").asLong(), "received");
            assertEquals(0, r.at("/delivery/lost").asLong(), "lost");
            assertEquals(0, r.at("/delivery/duplicates").asLong(), "duplicates");
            assertEquals(0, r.at("/delivery/orderViolations").asLong(), "order violations");
            assertTrue(outcome.passed(), () -> "smoke failed: " + outcome.failures());
        } finally {
            gateway.stop(Duration.ofSeconds(30));
        }
    }
}
