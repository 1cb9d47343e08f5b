package io.eventgate.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventgate.server.testing.GatewayProcess;
import io.eventgate.server.testing.TestGateway;
import io.eventgate.server.testing.SseClient;
import io.eventgate.server.testing.WsClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The real jar in its own process: SIGTERM drains gracefully, logs never carry tokens, dev mode prints a token. */
class ProcessLifecycleIT {

    @Test
    void sigtermClosesEveryConnectionWith1001AndExitsWithinTimeout() throws Exception {
        try (GatewayProcess gateway = GatewayProcess.start(GatewayProcess.freePort(),
                Map.of("GATEWAY_SHUTDOWN_TIMEOUT", "5s"))) {
            TestGateway.Tokens tokens = new TestGateway.Tokens();
            WsClient a = WsClient.connect(gateway.wsUri("/api/v1/ws?token=" + tokens.token("sig-a")), null);
            WsClient b = WsClient.connect(gateway.wsUri("/api/v1/ws"), tokens.token("sig-b"));
            a.awaitType("connected");
            b.awaitType("connected");
            int exit = gateway.terminate(Duration.ofSeconds(30));
            assertEquals(1001, a.awaitClose());
            assertEquals(1001, b.awaitClose());
            assertTrue(exit >= 0, "process did not exit after SIGTERM");
            String log = gateway.log();
            assertTrue(log.contains("disconnect connectionId="), log);
            assertTrue(log.contains("closeCode=1001"), log);
            assertFalse(log.contains(tokens.token("sig-a").substring(0, 40)), "a token leaked into the log");
        }
    }

    @Test
    void developmentModePrintsAWorkingTokenAndApiKey() throws Exception {
        int port = GatewayProcess.freePort();
        try (GatewayProcess gateway = GatewayProcess.start(port, Map.of("GATEWAY_JWT_SECRET", "",
                "GATEWAY_API_KEY", ""))) {
            String log = gateway.log();
            assertTrue(log.contains("DEVELOPMENT MODE"), log);
            String token = line(log, "Token      : ").split("\\s+")[0];
            String apiKey = line(log, "API key    : ").trim();
            WsClient client = WsClient.connect(gateway.wsUri("/api/v1/ws"), token);
            assertEquals("demo", client.awaitType("connected").path("userId").asText());
            String sseLine = line(log, "   or as Server-Sent Events: curl -N ");
            java.net.URI sseUri = java.net.URI.create(sseLine.substring(1, sseLine.lastIndexOf('\'')));
            SseClient stream = SseClient.open(sseUri.getPort(), sseUri.getRawPath() + "?" + sseUri.getRawQuery());
            assertEquals("demo", stream.awaitType("connected").path("userId").asText());
            var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                    .newBuilder(gateway.httpUri("/api/v1/publish")).header("X-API-Key", apiKey)
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                            "{\"user\":\"demo\",\"event\":{\"type\":\"hello\"}}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            assertEquals("hello", client.awaitType("hello").path("type").asText());
            assertEquals("hello", stream.await(WsClient::isEvent).path("type").asText());
            client.close();
            stream.close();
        }
    }

    @Test
    void developmentNodesSharingRedisShareTheirCredentials() throws Exception {
        Map<String, String> env = Map.of("GATEWAY_JWT_SECRET", "", "GATEWAY_API_KEY", "",
                "GATEWAY_REDIS_URL", "redis://127.0.0.1:6379",
                "GATEWAY_REDIS_PREFIX", "it-dev-" + java.util.UUID.randomUUID().toString().substring(0, 8));
        try (GatewayProcess a = GatewayProcess.start(GatewayProcess.freePort(), env);
             GatewayProcess b = GatewayProcess.start(GatewayProcess.freePort(), env)) {
            String tokenFromA = line(a.log(), "Token      : ").split("\\s+")[0];
            assertEquals(line(a.log(), "API key    : "), line(b.log(), "API key    : "));
            WsClient onB = WsClient.connect(b.wsUri("/api/v1/ws"), tokenFromA);
            assertEquals("demo", onB.awaitType("connected").path("userId").asText());
            var response = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                    .newBuilder(a.httpUri("/api/v1/publish")).header("X-API-Key", line(a.log(), "API key    : ").trim())
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(
                            "{\"user\":\"demo\",\"event\":{\"type\":\"across\"}}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            assertEquals("across", onB.awaitType("across").path("type").asText());
            onB.close();
        }
    }

    private static String line(String log, String prefix) {
        for (String l : log.split("\n")) {
            if (l.startsWith(prefix)) {
                return l.substring(prefix.length());
            }
        }
        throw new AssertionError("no line starting with '" + prefix + "' in:\n" + log);
    }
}
