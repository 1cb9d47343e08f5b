package io.eventgate.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.server.testing.TestGateway;
import io.eventgate.server.testing.WsClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Resume with ?resume=sessionId, per-channel recovery with since, ACK and redelivery, history endpoint. */
class RecoveryIT {
    static TestGateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateway.start(Map.of("GATEWAY_ACK_TIMEOUT", "1s", "GATEWAY_PENDING_TTL", "30s"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static boolean isEvent(JsonNode n) {
        return n.has("seq") && n.has("eventId");
    }

    @Test
    void resumeReplaysMissedEventsInSeqOrderBeforeLiveOnes() {
        WsClient first = gateway.connect("resume-1");
        first.send("{\"type\":\"subscribe\",\"id\":\"s\",\"channels\":[\"market:r1\"]}");
        first.await(n -> "subscribed".equals(n.path("type").asText()));
        String sessionId = first.received().get(0).path("sessionId").asText();
        gateway.publish("market:r1", "{\"type\":\"trade\",\"n\":1}");
        assertEquals(1, first.await(RecoveryIT::isEvent).path("n").asInt());
        first.close();
        org.awaitility.Awaitility.await().until(() -> gateway.server().gateway().hub().subscriberCount("market:r1") == 0);

        for (int i = 2; i <= 5; i++) {
            gateway.publish("market:r1", "{\"type\":\"trade\",\"n\":" + i + "}");
        }
        WsClient second = WsClient.connect(gateway.wsUri("/api/v1/ws?resume=" + sessionId), gateway.token("resume-1"));
        JsonNode connected = second.awaitType("connected");
        assertTrue(connected.path("resumed").asBoolean(), connected.toString());
        assertTrue(connected.path("recovered").asBoolean(), connected.toString());
        assertEquals(sessionId, connected.path("sessionId").asText());
        gateway.publish("market:r1", "{\"type\":\"trade\",\"n\":6}");
        List<Integer> seen = new ArrayList<>();
        while (seen.size() < 5) {
            seen.add(second.await(RecoveryIT::isEvent).path("n").asInt());
        }
        assertEquals(List.of(2, 3, 4, 5, 6), seen);
        second.close();
    }

    @Test
    void resumeWithUnknownSessionReportsNotRecovered() {
        WsClient client = WsClient.connect(gateway.wsUri("/api/v1/ws?resume=S-doesnotexist"), gateway.token("resume-2"));
        JsonNode connected = client.awaitType("connected");
        assertFalse(connected.path("resumed").asBoolean());
        assertFalse(connected.path("recovered").asBoolean());
        client.close();
    }

    @Test
    void subscribeWithSincePositionReplaysFromThere() {
        JsonNode p1 = gateway.publish("market:r3", "{\"type\":\"trade\",\"n\":1}");
        gateway.publish("market:r3", "{\"type\":\"trade\",\"n\":2}");
        gateway.publish("market:r3", "{\"type\":\"trade\",\"n\":3}");
        WsClient client = gateway.connect("resume-3");
        client.send("{\"type\":\"subscribe\",\"id\":\"s\",\"channels\":[\"market:r3\"],\"since\":{\"market:r3\":{\"seq\":"
                + p1.path("seq").asLong() + ",\"epoch\":\"" + p1.path("epoch").asText() + "\"}}}");
        JsonNode reply = client.awaitType("subscribed");
        JsonNode state = null;
        for (JsonNode s : reply.path("subscriptions")) {
            if (s.path("channel").asText().equals("market:r3")) {
                state = s;
            }
        }
        assertTrue(state.path("recovered").asBoolean(), reply.toString());
        assertEquals(2, client.await(RecoveryIT::isEvent).path("n").asInt());
        assertEquals(3, client.await(RecoveryIT::isEvent).path("n").asInt());
        client.close();
    }

    @Test
    void subscribeWithStaleEpochReportsNotRecoveredAndReplaysNothing() {
        gateway.publish("market:r4", "{\"type\":\"trade\",\"n\":1}");
        WsClient client = gateway.connect("resume-4");
        client.send("{\"type\":\"subscribe\",\"id\":\"s\",\"channels\":[\"market:r4\"],\"since\":{\"market:r4\":"
                + "{\"seq\":0,\"epoch\":\"old-epoch\"}}}");
        JsonNode reply = client.awaitType("subscribed");
        assertFalse(reply.path("subscriptions").findValue("recovered").asBoolean(), reply.toString());
        gateway.publish("market:r4", "{\"type\":\"trade\",\"n\":2}");
        assertEquals(2, client.await(RecoveryIT::isEvent).path("n").asInt());
        client.close();
    }

    @Test
    void unackedUserEventIsRedeliveredWithSameEventIdUntilAcked() {
        WsClient client = gateway.connect("ack-1");
        JsonNode published = gateway.publish("user:ack-1", "{\"type\":\"transaction\",\"amount\":5}");
        JsonNode first = client.await(RecoveryIT::isEvent);
        assertFalse(first.has("redelivered"));
        JsonNode again = client.await(n -> isEvent(n) && n.path("redelivered").asBoolean());
        assertEquals(published.path("eventId").asText(), again.path("eventId").asText());
        client.send("{\"type\":\"ack\",\"id\":\"a1\",\"eventId\":\"" + published.path("eventId").asText() + "\"}");
        JsonNode acked = client.awaitType("acked");
        assertEquals(1, acked.path("acknowledged").asInt());
        client.close();
    }

    @Test
    void resumeRedeliversUnackedEventsEvenWhenPublishedWhileAway() {
        WsClient first = gateway.connect("ack-2");
        String sessionId = first.received().get(0).path("sessionId").asText();
        JsonNode e1 = gateway.publish("user:ack-2", "{\"type\":\"transaction\",\"n\":1}");
        first.await(RecoveryIT::isEvent);
        first.close();
        org.awaitility.Awaitility.await().until(() -> !gateway.server().gateway().hub().hasConnections("ack-2"));
        JsonNode e2 = gateway.publish("user:ack-2", "{\"type\":\"transaction\",\"n\":2}");
        WsClient second = WsClient.connect(gateway.wsUri("/api/v1/ws?resume=" + sessionId), gateway.token("ack-2"));
        assertTrue(second.awaitType("connected").path("recovered").asBoolean());
        List<String> ids = new ArrayList<>();
        while (ids.size() < 2) {
            JsonNode n = second.await(RecoveryIT::isEvent);
            if (!ids.contains(n.path("eventId").asText())) {
                ids.add(n.path("eventId").asText());
            }
        }
        assertEquals(List.of(e1.path("eventId").asText(), e2.path("eventId").asText()), ids);
        second.close();
    }

    @Test
    void clientThatStopsAckingIsClosedAsSlowConsumerAtThePendingCap() {
        try (TestGateway small = TestGateway.start(Map.of("GATEWAY_MAX_PENDING_PER_CONNECTION", "5"))) {
            WsClient client = small.connect("slow-acker");
            for (int i = 0; i < 6; i++) {
                small.publish("user:slow-acker", "{\"type\":\"transaction\",\"n\":" + i + "}");
            }
            assertEquals(4101, client.awaitClose());
            assertEquals(1, small.get("/api/v1/ws/stats").json().path("closes").path("slowConsumer").asInt());
        }
    }

    @Test
    void criticalEventForUserWithoutConnectionGoesToTheSignedFallbackWebhook() throws Exception {
        var received = new java.util.concurrent.LinkedBlockingQueue<String[]>();
        var server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/fallback", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            received.add(new String[] {new String(body, java.nio.charset.StandardCharsets.UTF_8),
                    exchange.getRequestHeaders().getFirst("X-Gateway-Timestamp"),
                    exchange.getRequestHeaders().getFirst("X-Gateway-Signature")});
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        String secret = "fallback-secret-0123456789";
        try (TestGateway withFallback = TestGateway.start(Map.of("GATEWAY_FALLBACK_WEBHOOK_URL",
                "http://127.0.0.1:" + server.getAddress().getPort() + "/fallback",
                "GATEWAY_FALLBACK_WEBHOOK_SECRET", secret))) {
            JsonNode published = withFallback.post("/api/v1/publish", "{\"user\":\"offline-7\",\"critical\":true,"
                    + "\"event\":{\"type\":\"fraud\",\"alert\":{\"amount\":50000.00}}}").json();
            String[] request = received.poll(10, java.util.concurrent.TimeUnit.SECONDS);
            org.junit.jupiter.api.Assertions.assertNotNull(request, "no webhook call");
            JsonNode body = io.eventgate.protocol.Json.MAPPER.readTree(request[0]);
            assertEquals("offline-7", body.path("userId").asText());
            assertEquals("NO_CONNECTION", body.path("reason").asText());
            assertEquals(published.path("eventId").asText(), body.path("eventId").asText());
            assertTrue(request[0].contains("\"amount\":50000.00"), request[0]);
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    "HmacSHA256"));
            byte[] expected = mac.doFinal((request[1] + "." + request[0]).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertEquals("sha256=" + java.util.HexFormat.of().formatHex(expected), request[2]);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void historyEndpointPagesWithApiKeyAndUserToken() {
        for (int i = 1; i <= 5; i++) {
            gateway.publish("market:h1", "{\"type\":\"trade\",\"n\":" + i + "}");
        }
        JsonNode page = gateway.get("/api/v1/history/market:h1?since=1&limit=2").json();
        assertEquals(2, page.path("events").size());
        assertEquals(2, page.path("events").get(0).path("n").asInt());
        assertTrue(page.path("complete").asBoolean());
        assertTrue(page.path("more").asBoolean());
        var withToken = gateway.send(java.net.http.HttpRequest.newBuilder(gateway.httpUri("/api/v1/history/market:h1"))
                .header("Authorization", "Bearer " + gateway.token("h-user")).GET());
        assertEquals(200, withToken.status());
        assertEquals(5, withToken.json().path("events").size());
        var forbidden = gateway.send(java.net.http.HttpRequest.newBuilder(gateway.httpUri("/api/v1/history/user:someone"))
                .header("Authorization", "Bearer " + gateway.token("h-user")).GET());
        assertEquals(403, forbidden.status());
    }
}
