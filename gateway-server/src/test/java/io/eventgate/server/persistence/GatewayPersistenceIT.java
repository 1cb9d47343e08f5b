package io.eventgate.server.persistence;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.protocol.Json;
import io.eventgate.server.testing.GatewayProcess;
import io.eventgate.server.testing.TestGateway;
import io.eventgate.server.testing.WsClient;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A gateway process with PostgreSQL, killed with kill -9 and restarted: the resuming client gets every event that
 * was answered 200 and not acknowledged, and its subscriptions come back.
 */
class GatewayPersistenceIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static JsonNode publish(GatewayProcess gw, String channel, String event) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(gw.httpUri("/api/v1/publish"))
                .header("X-API-Key", TestGateway.API_KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"" + channel + "\",\"event\":" + event + "}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return Json.MAPPER.readTree(r.body());
    }

    @Test
    void killNineLosesNoAcknowledgedDeliveryAndRestoresSubscriptions() throws Exception {
        TestGateway.Tokens tokens = new TestGateway.Tokens();
        try (TestDatabase db = TestDatabase.create()) {
            Map<String, String> env = Map.of("GATEWAY_DB_URL", db.url(), "GATEWAY_DB_USER", "postgres",
                    "GATEWAY_ACK_TIMEOUT", "30s");
            String sessionId;
            List<String> published = new ArrayList<>();
            Set<String> acked = new HashSet<>();
            try (GatewayProcess first = GatewayProcess.start(GatewayProcess.freePort(), env)) {
                WsClient client = WsClient.connect(first.wsUri("/api/v1/ws"), tokens.token("k9"));
                sessionId = client.awaitType("connected").path("sessionId").asText();
                client.send("{\"type\":\"subscribe\",\"id\":\"s1\",\"channels\":[\"market:k9\"],"
                        + "\"filters\":{\"where\":[{\"path\":\"keep\",\"op\":\"eq\",\"value\":true}]}}");
                client.awaitType("subscribed");
                for (int i = 0; i < 40; i++) {
                    published.add(publish(first, "user:k9", "{\"type\":\"transaction\",\"n\":" + i + "}")
                            .path("eventId").asText());
                }
                // The client acknowledges the first 15 it receives.
                List<String> ids = new ArrayList<>();
                while (ids.size() < 15) {
                    JsonNode e = client.await(n -> n.has("eventId") && n.has("seq"));
                    ids.add(e.path("eventId").asText());
                }
                client.send("{\"type\":\"ack\",\"id\":\"a1\",\"eventIds\":" + Json.MAPPER.writeValueAsString(ids) + "}");
                assertEquals(15, client.awaitType("acked").path("acknowledged").asInt());
                acked.addAll(ids);
                await().atMost(Duration.ofSeconds(20)).until(() -> db.count(
                        "select count(*) from websocket_pending_events where acked_at is not null") == 15
                        && db.count("select count(*) from websocket_subscriptions where session_id = ?"
                        + " and channel = 'market:k9'", sessionId) == 1);
                first.kill();
                client.awaitClose();
            }
            try (GatewayProcess second = GatewayProcess.start(GatewayProcess.freePort(), env)) {
                WsClient client = WsClient.connect(second.wsUri("/api/v1/ws?resume=" + sessionId), tokens.token("k9"));
                JsonNode connected = client.awaitType("connected");
                assertTrue(connected.path("resumed").asBoolean(), connected.toString());
                assertFalse(connected.path("recovered").asBoolean(),
                        "in-memory history did not survive the kill: recovery must not claim completeness");
                Set<String> expected = new HashSet<>(published);
                expected.removeAll(acked);
                Set<String> redelivered = new HashSet<>();
                while (!redelivered.containsAll(expected)) {
                    JsonNode e = client.await(n -> n.has("eventId") && n.has("seq"));
                    assertTrue(e.path("redelivered").asBoolean(), e.toString());
                    assertFalse(acked.contains(e.path("eventId").asText()), "an acknowledged event came back: " + e);
                    redelivered.add(e.path("eventId").asText());
                }
                assertEquals(expected, redelivered);
                // The filtered channel subscription survived the restart.
                publish(second, "market:k9", "{\"type\":\"trade\",\"keep\":false,\"n\":\"dropped\"}");
                publish(second, "market:k9", "{\"type\":\"trade\",\"keep\":true,\"n\":\"marker\"}");
                JsonNode trade = client.await(n -> "trade".equals(n.path("type").asText()));
                assertEquals("marker", trade.path("n").asText());
                client.close();
            }
        }
    }
}
