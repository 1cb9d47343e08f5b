package io.eventgate.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.server.testing.SseClient;
import io.eventgate.server.testing.StalledClient;
import io.eventgate.server.testing.TestGateway;
import io.eventgate.server.testing.TestGateway.Response;
import io.eventgate.server.testing.WsClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Server-Sent Events transport over real sockets (PROTOCOL.md 15). */
class SseIT {
    static TestGateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateway.start(Map.of("GATEWAY_ACK_TIMEOUT", "1s", "GATEWAY_HEARTBEAT_INTERVAL", "1s",
                "GATEWAY_IDLE_TIMEOUT", "2s", "GATEWAY_ALLOWED_ORIGINS", "https://app.example.com",
                "GATEWAY_NAMESPACE_ORDERS_VISIBILITY", "private"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void streamStartsWithRetryAndTheSessionIdAsEventIdThenCarriesEventsAsDataLines() {
        SseClient client = SseClient.open(gateway.port(), "/api/v1/sse?token=" + gateway.token("sse-1"));
        assertEquals(200, client.status());
        assertEquals("text/event-stream; charset=utf-8", client.header("Content-Type"));
        assertEquals("no-store", client.header("Cache-Control"));
        assertEquals("close", client.header("Connection"));
        assertNull(client.header("Content-Length"));
        assertNull(client.header("Transfer-Encoding"));
        SseClient.Message first = client.next();
        JsonNode connected = first.json();
        assertEquals(1000, first.retry());
        assertEquals("connected", connected.path("type").asText());
        assertEquals("sse-1", connected.path("userId").asText());
        String sessionId = connected.path("sessionId").asText();
        assertEquals(sessionId, first.lastEventId());
        assertTrue(client.raw().startsWith("retry: 1000\nid: " + sessionId + "\ndata: {\"type\":\"connected\""),
                client.raw());

        gateway.publish("user:sse-1", "{\"type\":\"payment.completed\",\"amount\":50000.00}");
        SseClient.Message event = client.next();
        JsonNode json = event.json();
        assertEquals("payment.completed", json.path("type").asText());
        assertEquals("50000.00", json.path("amount").toString(), "numbers pass through as published");
        assertEquals("user:sse-1", json.path("channel").asText());
        assertEquals(1, json.path("seq").asLong());
        assertEquals(sessionId, event.lastEventId(), "the id stays the session id for every later event");
        assertTrue(client.raw().endsWith("data: " + event.data() + "\n\n"), client.raw());
        client.close();
    }

    @Test
    void webSocketAndSseSubscribersOfOneChannelGetTheSameJson() {
        SseClient sse = gateway.sse("sse-2", "&channels=market:sse-2");
        sse.awaitType("subscribed");
        WsClient ws = gateway.connect("sse-2b");
        ws.send("{\"type\":\"subscribe\",\"id\":\"s\",\"channels\":[\"market:sse-2\"]}");
        ws.awaitType("subscribed");
        for (int i = 1; i <= 50; i++) {
            gateway.publish("market:sse-2", "{\"type\":\"trade\",\"n\":" + i + "}");
        }
        for (int i = 1; i <= 50; i++) {
            String overSse = sse.next().data();
            JsonNode frame = ws.awaitEvent();
            assertEquals(ws.raw(frame), overSse);
            assertEquals(i, frame.path("n").asInt(), "in order, none lost");
        }
        sse.close();
        ws.close();
    }

    @Test
    void channelsParameterSubscribesAfterConnectedAndRepliesWithPositions() {
        gateway.publish("market:sse-3", "{\"type\":\"trade\",\"n\":0}");
        SseClient client = SseClient.open(gateway.port(), "/api/v1/sse?token=" + gateway.token("sse-3")
                + "&channels=market:sse-3,public:sse-3&channels=market:sse-3b");
        assertEquals("connected", client.next().json().path("type").asText());
        JsonNode subscribed = client.next().json();
        assertEquals("subscribed", subscribed.path("type").asText());
        assertEquals("sse", subscribed.path("ref").asText());
        List<String> channels = new ArrayList<>();
        subscribed.path("subscriptions").forEach(s -> channels.add(s.path("channel").asText()));
        assertEquals(List.of("market:sse-3", "market:sse-3b", "public:sse-3", "user:sse-3"), channels);
        assertEquals(1, subscribed.path("subscriptions").get(0).path("seq").asLong());
        gateway.publish("public:sse-3", "{\"type\":\"news\"}");
        assertEquals("public:sse-3", client.await(WsClient::isEvent).path("channel").asText());
        client.close();
    }

    @Test
    void refusedStreamsGetJsonErrorsNamingTheProblem() {
        assertRefused("/api/v1/sse", Map.of(), 401, "UNAUTHORIZED", "token is missing");
        String token = gateway.token("sse-4");
        assertRefused("/api/v1/sse?token=" + token + "&channels=market:ok,nocolon", Map.of(), 400, "INVALID_FIELD",
                "channels[1]: channel must look like namespace:name");
        assertRefused("/api/v1/sse?token=" + token + "&channels=orders:acct-9", Map.of(), 403, "FORBIDDEN",
                "not allowed to subscribe to orders:acct-9");
        assertRefused("/api/v1/sse?token=" + token, Map.of("Origin", "https://evil.example.com"), 403, "FORBIDDEN",
                "origin not allowed");
        assertRefused("/api/v1/sse?token=" + token, Map.of("Last-Event-ID", "S-" + "x".repeat(70)), 400,
                "INVALID_FIELD", "resume: not a session id");
        StringBuilder many = new StringBuilder();
        for (int i = 0; i <= 100; i++) {
            many.append(i == 0 ? "" : ",").append("market:m").append(i);
        }
        assertRefused("/api/v1/sse?token=" + token + "&channels=" + many, Map.of(), 400, "INVALID_FIELD",
                "channels: at most 100 channels");
        Response post = gateway.send(gateway.request("/api/v1/sse?token=" + token)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")));
        assertEquals(405, post.status());
        assertEquals(List.of("GET"), post.headers().get("allow"));
        assertEquals("the SSE endpoint takes GET", post.json().path("message").asText());
        // A granted private channel is fine.
        SseClient granted = gateway.sse("sse-4", "&channels=orders:acct-9", "orders:acct-*");
        assertEquals("orders:acct-9", granted.awaitType("subscribed").path("subscriptions").get(0).path("channel")
                .asText());
        granted.close();
    }

    private static void assertRefused(String pathAndQuery, Map<String, String> headers, int status, String code,
                                      String message) {
        SseClient client = SseClient.open(gateway.port(), pathAndQuery, headers);
        assertEquals(status, client.status(), pathAndQuery);
        assertEquals("application/json", client.header("Content-Type"));
        assertEquals(code, client.errorBody().path("error").asText());
        assertEquals(message, client.errorBody().path("message").asText());
    }

    @Test
    void postedSubscribeWithAFilterIsAnsweredOnTheStreamAndFilters() {
        SseClient client = gateway.sse("sse-5", "");
        String connectionId = connectionId(client);
        Response r = gateway.postToStream(connectionId, gateway.token("sse-5"),
                "{\"type\":\"subscribe\",\"id\":\"f1\",\"channels\":[\"market:sse-5\"],"
                        + "\"filters\":{\"where\":[{\"path\":\"price\",\"op\":\"gte\",\"value\":100}]}}");
        assertEquals(202, r.status(), r.body());
        assertEquals(connectionId, r.json().path("connectionId").asText());
        JsonNode subscribed = client.awaitType("subscribed");
        assertEquals("f1", subscribed.path("ref").asText());
        gateway.publish("market:sse-5", "{\"type\":\"trade\",\"price\":99}");
        gateway.publish("market:sse-5", "{\"type\":\"trade\",\"price\":150}");
        assertEquals(150, client.await(WsClient::isEvent).path("price").asInt());

        // A refusal found while handling the message arrives on the stream, with its ref.
        assertEquals(202, gateway.postToStream(connectionId, gateway.token("sse-5"),
                "{\"type\":\"subscribe\",\"id\":\"f2\",\"channels\":[\"orders:x\"]}").status());
        JsonNode error = client.awaitType("error");
        assertEquals("FORBIDDEN", error.path("code").asText());
        assertEquals("f2", error.path("ref").asText());
        assertEquals(202, gateway.postToStream(connectionId, gateway.token("sse-5"),
                "{\"type\":\"ping\",\"id\":\"p\"}").status());
        assertEquals("p", client.awaitType("pong").path("ref").asText());
        client.close();
    }

    @Test
    void badPostsGetHttpErrorsAndChangeNothing() {
        SseClient client = gateway.sse("sse-6", "");
        String connectionId = connectionId(client);
        String token = gateway.token("sse-6");
        Response malformed = gateway.postToStream(connectionId, token, "{\"type\":");
        assertEquals(400, malformed.status());
        assertEquals("MALFORMED_JSON", malformed.json().path("error").asText());
        Response badField = gateway.postToStream(connectionId, token, "{\"type\":\"subscribe\",\"channels\":[\"x\"]}");
        assertEquals(400, badField.status());
        assertEquals("INVALID_FIELD", badField.json().path("error").asText());
        assertEquals("channels[0]: channel must look like namespace:name", badField.json().path("message").asText());
        Response unknownType = gateway.postToStream(connectionId, token, "{\"type\":\"publish\"}");
        assertEquals("UNKNOWN_TYPE", unknownType.json().path("error").asText());
        Response otherUser = gateway.postToStream(connectionId, gateway.token("sse-6-other"), "{\"type\":\"ping\"}");
        assertEquals(404, otherUser.status());
        assertEquals("no SSE connection " + connectionId + " of this user on this node",
                otherUser.json().path("message").asText());
        assertEquals(404, gateway.postToStream("C-doesnotexist0000", token, "{\"type\":\"ping\"}").status());
        Response noToken = gateway.send(gateway.request("/api/v1/sse/" + connectionId)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"type\":\"ping\"}")));
        assertEquals(401, noToken.status());
        Response get = gateway.send(gateway.request("/api/v1/sse/" + connectionId).GET());
        assertEquals(405, get.status());
        assertEquals(List.of("POST"), get.headers().get("allow"));
        Response tooLarge = gateway.postToStream(connectionId, token,
                "{\"type\":\"ping\",\"pad\":\"" + "x".repeat(70_000) + "\"}");
        assertEquals(413, tooLarge.status());
        assertEquals("PAYLOAD_TOO_LARGE", tooLarge.json().path("error").asText());

        // A WebSocket connection of the same user is not a stream.
        WsClient ws = gateway.connect("sse-6");
        String wsId = ws.received().get(0).path("connectionId").asText();
        assertEquals(404, gateway.postToStream(wsId, token, "{\"type\":\"ping\"}").status());
        ws.close();

        // None of that reached the stream: the next message is the reply to a good POST.
        assertEquals(202, gateway.postToStream(connectionId, token, "{\"type\":\"ping\",\"id\":\"ok\"}").status());
        JsonNode next = client.await(n -> !"ping".equals(n.path("type").asText()));
        assertEquals("pong", next.path("type").asText());
        assertEquals("ok", next.path("ref").asText());
        client.close();
    }

    @Test
    void eventsAreRedeliveredUntilAckedByPost() {
        SseClient client = gateway.sse("sse-7", "");
        String connectionId = connectionId(client);
        gateway.publish("user:sse-7", "{\"type\":\"payment\",\"n\":1}");
        JsonNode event = client.await(WsClient::isEvent);
        assertFalse(event.has("redelivered"));
        JsonNode again = client.await(WsClient::isEvent);
        assertTrue(again.path("redelivered").asBoolean(), "not acked within GATEWAY_ACK_TIMEOUT: redelivered");
        assertEquals(event.path("eventId").asText(), again.path("eventId").asText());

        Response r = gateway.postToStream(connectionId, gateway.token("sse-7"),
                "{\"type\":\"ack\",\"id\":\"a1\",\"eventId\":\"" + event.path("eventId").asText() + "\"}");
        assertEquals(202, r.status());
        JsonNode acked = client.awaitType("acked");
        assertEquals("a1", acked.path("ref").asText());
        assertEquals(1, acked.path("acknowledged").asInt());
        Awaitility.await().until(() -> gateway.server().gateway().pendingStore()
                .pending("sse-7", System.currentTimeMillis()).join().isEmpty());
        client.close();
    }

    @Test
    void reconnectWithLastEventIdResumesAndReplaysWhatWasMissed() {
        SseClient first = gateway.sse("sse-8", "&channels=market:sse-8");
        first.awaitType("subscribed");
        String sessionId = first.next().lastEventId();
        gateway.publish("market:sse-8", "{\"type\":\"trade\",\"n\":1}");
        assertEquals(1, first.await(WsClient::isEvent).path("n").asInt());
        first.close();
        Awaitility.await().until(() -> gateway.server().gateway().hub().subscriberCount("market:sse-8") == 0);
        for (int i = 2; i <= 4; i++) {
            gateway.publish("market:sse-8", "{\"type\":\"trade\",\"n\":" + i + "}");
        }
        SseClient second = SseClient.open(gateway.port(), "/api/v1/sse?token=" + gateway.token("sse-8")
                + "&channels=market:sse-8", Map.of("Last-Event-ID", sessionId));
        JsonNode connected = second.next().json();
        assertEquals("connected", connected.path("type").asText());
        assertTrue(connected.path("resumed").asBoolean(), connected.toString());
        assertTrue(connected.path("recovered").asBoolean(), connected.toString());
        assertEquals(sessionId, connected.path("sessionId").asText());
        List<Integer> replayed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            replayed.add(second.next().json().path("n").asInt());
        }
        assertEquals(List.of(2, 3, 4), replayed, "the missed events, in order, before anything else");
        assertEquals("sse", second.next().json().path("ref").asText(), "then the ?channels= subscribe");
        gateway.publish("market:sse-8", "{\"type\":\"trade\",\"n\":5}");
        assertEquals(5, second.await(WsClient::isEvent).path("n").asInt());
        second.close();
    }

    @Test
    void serverClosesEndTheStreamWithACloseMessage() {
        SseClient client = gateway.sse("sse-9", "");
        Response r = gateway.delete("/api/v1/users/sse-9/connections");
        assertEquals(200, r.status(), r.body());
        SseClient.Message close = client.next();
        assertEquals("close", close.json().path("type").asText());
        assertEquals(4000, close.json().path("code").asInt());
        assertEquals("disconnected by the application", close.json().path("reason").asText());
        assertEquals(5000, close.retry());
        client.awaitEnd();
        assertTrue(client.raw().endsWith("retry: 5000\ndata: " + close.data() + "\n\n"), client.raw());
    }

    @Test
    void gracefulShutdownEndsStreamsWith1001AndAskForAnImmediateReconnect() {
        TestGateway node = TestGateway.start();
        SseClient client = node.sse("sse-13", "");
        node.close();
        client.await(n -> "close".equals(n.path("type").asText()));
        SseClient.Message close = client.last();
        assertEquals(1001, close.json().path("code").asInt());
        assertEquals("server shutting down, reconnect", close.json().path("reason").asText());
        assertEquals(0, close.retry());
        client.awaitEnd();
    }

    @Test
    void aStreamWhoseClientStopsReadingIsClosedAsASlowConsumer() throws Exception {
        long before = gateway.stats().path("closes").path("slowConsumer").asLong();
        try (StalledClient client = new StalledClient(gateway.port(), "GET /api/v1/sse?token=" + gateway.token("sse-14")
                + "&channels=market:sse-14 HTTP/1.1\r\nHost: x\r\n")) {
            Awaitility.await().until(() -> gateway.server().gateway().hub().subscriberCount("market:sse-14") == 1);
            StalledClient.floodUntilClosed(gateway, "sse-14", "market:sse-14");
        }
        assertEquals(before + 1, gateway.stats().path("closes").path("slowConsumer").asLong());
    }

    @Test
    void streamsGetPingsAndOutliveTheIdleTimeout() {
        SseClient client = gateway.sse("sse-10", "");
        long start = System.nanoTime();
        int pings = 0;
        // GATEWAY_IDLE_TIMEOUT is 2 s and the client sends nothing; a WebSocket would be closed 4100 by now.
        while (System.nanoTime() - start < 3_500_000_000L) {
            JsonNode m = client.next().json();
            assertEquals("ping", m.path("type").asText(), m.toString());
            pings++;
        }
        assertTrue(pings >= 2, "pings: " + pings);
        assertFalse(client.ended());
        client.close();
    }

    @Test
    void theClientClosingTheStreamClosesTheConnection() {
        long streams = gateway.stats().path("sseConnections").asLong();
        SseClient client = gateway.sse("sse-11", "&channels=market:sse-11");
        client.awaitType("subscribed");
        assertEquals(1, gateway.server().gateway().hub().connectionsOf("sse-11").size());
        assertEquals(streams + 1, gateway.stats().path("sseConnections").asLong(), "counted as a stream");
        client.close();
        Awaitility.await().until(() -> gateway.server().gateway().hub().connectionsOf("sse-11").isEmpty());
        assertEquals(0, gateway.server().gateway().hub().subscriberCount("market:sse-11"));
        assertEquals(streams, gateway.stats().path("sseConnections").asLong());
    }

    @Test
    void pagesOfAnAllowedOriginGetCorsHeadersOnTheStreamAndItsPosts() {
        String origin = "https://app.example.com";
        SseClient client = SseClient.open(gateway.port(), "/api/v1/sse?token=" + gateway.token("sse-12"),
                Map.of("Origin", origin));
        assertEquals(200, client.status());
        assertEquals(origin, client.header("Access-Control-Allow-Origin"));
        assertEquals("origin", client.header("Vary").toLowerCase(java.util.Locale.ROOT));
        String connectionId = client.await(n -> "connected".equals(n.path("type").asText()))
                .path("connectionId").asText();

        Response preflight = gateway.send(gateway.request("/api/v1/sse/" + connectionId).header("Origin", origin)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization,content-type")
                .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()));
        assertEquals(204, preflight.status());
        assertEquals(List.of(origin), preflight.headers().get("access-control-allow-origin"));
        assertEquals(List.of("POST"), preflight.headers().get("access-control-allow-methods"));
        assertEquals(List.of("Authorization, Content-Type"), preflight.headers().get("access-control-allow-headers"));

        Response post = gateway.send(gateway.request("/api/v1/sse/" + connectionId).header("Origin", origin)
                .header("Authorization", "Bearer " + gateway.token("sse-12"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"type\":\"ping\",\"id\":\"c\"}")));
        assertEquals(202, post.status());
        assertEquals(List.of(origin), post.headers().get("access-control-allow-origin"));
        assertEquals("c", client.awaitType("pong").path("ref").asText());

        Response refused = gateway.send(gateway.request("/api/v1/sse/" + connectionId)
                .header("Origin", "https://evil.example.com")
                .header("Authorization", "Bearer " + gateway.token("sse-12"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"type\":\"ping\",\"id\":\"e\"}")));
        assertEquals(403, refused.status());
        assertEquals("origin not allowed", refused.json().path("message").asText());
        assertNull(refused.headers().get("access-control-allow-origin"));
        client.close();
    }

    private static String connectionId(SseClient client) {
        return client.connected().path("connectionId").asText();
    }
}
