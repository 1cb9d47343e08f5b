package io.eventgate.loadtest;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.loadtest.scenario.Outcome;
import io.eventgate.loadtest.scenario.Smoke;
import io.eventgate.loadtest.server.ServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The smoke scenario, in-process, against the real gateway jar started as a subprocess with the same java as this
 * test: 2,000 connections, targeted and broadcast events, over each client transport. Asserts counts only (every
 * connection opened, nothing lost, duplicated or reordered), never a time: the harness waits for deliveries by
 * count, with generous timeouts, so a busy machine makes it slower, not red.
 */
class SmokeIT {
    private static final String SECRET = "smoke-it-jwt-secret-0123456789abcdefghij";
    private static final String API_KEY = "smoke-it-api-key-0123456789";

    @Test
    @Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
    void smokeScenarioLosesNothingAgainstARealGateway(@TempDir Path logs) throws Exception {
        smoke(logs, "ws");
    }

    /**
     * Over SSE the events arrive on one stream per client and the acks leave by POST: the user-channel events
     * (which the smoke scenario acknowledges) must each be acknowledged at the gateway, as over the WebSocket.
     */
    @Test
    @Timeout(value = 5, unit = java.util.concurrent.TimeUnit.MINUTES)
    void overServerSentEventsTheSmokeScenarioLosesNothingAndItsAcksReachTheGateway(@TempDir Path logs)
            throws Exception {
        smoke(logs, "sse");
    }

    private static void smoke(Path logs, String transport) throws Exception {
        ServerProcess gateway = GatewayJar.start(logs, SECRET, API_KEY, 19180, "512m");
        try {
            gateway.awaitReady(Duration.ofSeconds(120));
            Outcome outcome = Smoke.run(Options.parse("smoke", GatewayJar.against(gateway, SECRET, API_KEY,
                    "--transport", transport,
                    "--connections", "2000",
                    "--connect-rate", "1000",
                    "--connect-timeout", "60s",
                    "--duration", "10s",
                    "--rate", "300",
                    "--broadcasts", "5",
                    "--drain-timeout", "60s")));
            JsonNode r = outcome.result();
            assertEquals(transport, r.at("/transport").asText(), "transport");
            assertEquals(2000, r.at("/connections/opened").asInt(), () -> "connections opened; " + r);
            assertEquals(0, r.at("/connections/failed").asInt(), "connections failed");
            assertEquals(0, r.at("/connections/droppedDuringRun").asInt(), "connections dropped");
            assertEquals(0, r.at("/delivery/publishFailed").asLong(), "publishes failed");
            assertEquals(5, r.at("/delivery/broadcastEvents").asLong(), "broadcast events");
            long targeted = r.at("/delivery/targetedEvents").asLong();
            assertTrue(targeted >= 2900, "targeted events");
            assertEquals(targeted + 5 * 2000L, r.at("/delivery/expected").asLong(),
                    () -> "expected deliveries: " + r);
            assertEquals(r.at("/delivery/expected").asLong(), r.at("/delivery/received").asLong(), "received");
            assertEquals(0, r.at("/delivery/lost").asLong(), "lost");
            assertEquals(0, r.at("/delivery/duplicates").asLong(), "duplicates");
            assertEquals(0, r.at("/delivery/orderViolations").asLong(), "order violations");
            assertEquals(0, r.at("/delivery/clientErrors").asLong(), () -> "client errors: " + r.at("/delivery"));
            assertTrue(outcome.passed(), () -> "smoke failed: " + outcome.failures());
            assertEquals(targeted, r.at("/acks/eventIds").asLong(), () -> "every targeted event acked: " + r);
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertEquals(targeted,
                    acknowledgedAt(gateway), "events the gateway counts as acknowledged"));
        } finally {
            gateway.stop(Duration.ofSeconds(30));
        }
    }

    /** The gateway's {@code delivery.acks}: ids acknowledged by the connection that was awaiting them. */
    private static long acknowledgedAt(ServerProcess gateway) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> stats = http.send(HttpRequest.newBuilder(
                    URI.create(gateway.baseUrl() + "/api/v1/ws/stats")).header("X-API-Key", API_KEY).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, stats.statusCode(), stats::body);
            return Json.MAPPER.readTree(stats.body()).at("/delivery/acks").asLong(-1);
        }
    }
}
