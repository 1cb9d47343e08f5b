package io.eventgate.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.loadtest.scenario.Outcome;
import io.eventgate.loadtest.scenario.ReconnectStorm;
import io.eventgate.loadtest.server.ServerProcess;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reconnect-storm scenario at a small scale against the real gateway jar, with one warm-up storm before the
 * measured one: every connection resumes twice, and the measured storm's resume counts are its own (the warm-up's
 * are not added), nothing is lost. Counts only, never a time.
 */
class ReconnectStormIT {
    private static final String SECRET = "storm-it-jwt-secret-0123456789abcdefghij";
    private static final String API_KEY = "storm-it-api-key-0123456789";
    private static final int CONNECTIONS = 300;

    @Test
    @Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
    void aWarmedUpStormResumesEveryConnectionAndLosesNothing(@TempDir Path logs) throws Exception {
        ServerProcess gateway = GatewayJar.start(logs, SECRET, API_KEY, 19280, "256m");
        try {
            gateway.awaitReady(Duration.ofSeconds(120));
            Outcome outcome = ReconnectStorm.run(Options.parse("reconnect-storm",
                    GatewayJar.against(gateway, SECRET, API_KEY,
                    "--connections", String.valueOf(CONNECTIONS),
                    "--rate", "200",
                    "--warmup", "2s",
                    "--duration", "2s",
                    "--warmup-storms", "1",
                    "--drain-timeout", "60s")));
            JsonNode r = outcome.result();
            assertEquals(1, r.at("/config/warmupStorms").asInt(), () -> "config: " + r.get("config"));
            assertEquals(CONNECTIONS, r.at("/storm/reconnected").asInt(), () -> "storm: " + r.get("storm"));
            assertEquals(CONNECTIONS, r.at("/storm/resumedTrue").asLong(),
                    () -> "the measured storm counts its own resumes only: " + r.get("storm"));
            assertEquals(0, r.at("/storm/resumedFalse").asLong(), () -> "storm: " + r.get("storm"));
            assertTrue(r.at("/storm/secondsUntilAllResumed").isNumber(), () -> "storm: " + r.get("storm"));
            assertEquals(0, r.at("/delivery/lost").asLong(), () -> "delivery: " + r.get("delivery"));
            assertTrue(r.at("/delivery/received").asLong() > 0, () -> "delivery: " + r.get("delivery"));
            assertTrue(outcome.passed(), () -> "reconnect-storm failed: " + outcome.failures());
        } finally {
            gateway.stop(Duration.ofSeconds(30));
        }
    }
}
