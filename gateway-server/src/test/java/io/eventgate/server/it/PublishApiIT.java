package io.eventgate.server.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.server.testing.TestGateway;
import io.eventgate.server.testing.TestGateway.Response;
import io.eventgate.server.testing.WsClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The REST API against a real node: publish, batch, broadcast, errors, disconnect, stats and health. */
class PublishApiIT {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static TestGateway gw;

    @BeforeAll
    static void startGateway() {
        gw = TestGateway.start();
    }

    @AfterAll
    static void stopGateway() {
        if (gw != null) {
            gw.close();
        }
    }

    /** A channel name no other test uses, in the public namespace (anyone may subscribe). */
    private static String freshChannel(String prefix) {
        return "public:" + prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String freshUser(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Subscribes {@code client} to {@code channels} and waits for the confirmation. */
    private static void subscribe(WsClient client, String... channels) {
        String ref = "sub-" + UUID.randomUUID();
        StringBuilder list = new StringBuilder();
        for (String c : channels) {
            list.append(list.isEmpty() ? "" : ",").append('"').append(c).append('"');
        }
        client.send("{\"type\":\"subscribe\",\"id\":\"" + ref + "\",\"channels\":[" + list + "]}");
        JsonNode reply = client.await(n -> ref.equals(n.path("ref").asText()));
        assertEquals("subscribed", reply.path("type").asText(), "subscribe reply: " + reply);
    }

    /** The next frame that is an event (has a seq), skipping pings and control frames. */
    private static JsonNode nextEvent(WsClient client) {
        return client.await(n -> n.has("seq") && n.has("eventId"));
    }

    private static void assertJsonError(Response r, int status, String code) {
        assertEquals(status, r.status(), () -> "status, body: " + r.body());
        assertTrue(r.headers().getOrDefault("content-type", List.of()).stream()
                .anyMatch(v -> v.startsWith("application/json")), () -> "content-type: " + r.headers());
        JsonNode body = r.json();
        assertEquals(code, body.path("error").asText(), () -> "error code in " + r.body());
        assertTrue(body.path("message").isTextual() && !body.path("message").asText().isEmpty(),
                () -> "message in " + r.body());
    }

    // ---------------------------------------------------------------- publish

    @Test
    void publishesToChannelAndAnswersWithEventIdChannelSeqAndEpoch() {
        String channel = freshChannel("news");
        try (WsClient client = gw.connect(freshUser("reader"))) {
            subscribe(client, channel);

            Response r = gw.post("/api/v1/publish",
                    "{\"channel\":\"" + channel + "\",\"event\":{\"type\":\"article\",\"title\":\"hello\"}}");

            assertEquals(200, r.status(), r.body());
            JsonNode body = r.json();
            assertAll(
                    () -> assertTrue(body.path("eventId").asText().startsWith("EV-"), r.body()),
                    () -> assertEquals(channel, body.path("channel").asText()),
                    () -> assertEquals(1, body.path("seq").asLong()),
                    () -> assertFalse(body.path("epoch").asText().isEmpty(), r.body()));
            JsonNode event = nextEvent(client);
            assertAll(
                    () -> assertEquals(body.path("eventId").asText(), event.path("eventId").asText()),
                    () -> assertEquals(channel, event.path("channel").asText()),
                    () -> assertEquals(1, event.path("seq").asLong()),
                    () -> assertEquals("article", event.path("type").asText()),
                    () -> assertEquals("hello", event.path("title").asText()));
        }
    }

    @Test
    void publishesToTheUsersChannelWithTheUserShorthand() {
        String user = freshUser("bob");
        try (WsClient bob = gw.connect(user)) {
            Response r = gw.post("/api/v1/publish",
                    "{\"user\":\"" + user + "\",\"event\":{\"type\":\"notification\",\"text\":\"hi\"}}");

            assertEquals(200, r.status(), r.body());
            assertEquals("user:" + user, r.json().path("channel").asText());
            assertEquals(1, r.json().path("seq").asLong());
            JsonNode event = nextEvent(bob);
            assertEquals(r.json().path("eventId").asText(), event.path("eventId").asText());
            assertEquals("user:" + user, event.path("channel").asText());
            assertEquals("hi", event.path("text").asText());
        }
    }

    @Test
    void seqIncreasesByOnePerChannelAndChannelsCountIndependently() {
        String a = freshChannel("seq-a");
        String b = freshChannel("seq-b");

        JsonNode a1 = gw.publish(a, "{\"type\":\"t\"}");
        JsonNode a2 = gw.publish(a, "{\"type\":\"t\"}");
        JsonNode b1 = gw.publish(b, "{\"type\":\"t\"}");
        JsonNode a3 = gw.publish(a, "{\"type\":\"t\"}");

        assertEquals(List.of(1L, 2L, 3L), List.of(a1.path("seq").asLong(), a2.path("seq").asLong(),
                a3.path("seq").asLong()));
        assertEquals(1, b1.path("seq").asLong());
        assertEquals(a1.path("epoch").asText(), a3.path("epoch").asText(), "epoch is stable within a stream");
        assertEquals(3, Set.of(a1.path("eventId").asText(), a2.path("eventId").asText(),
                a3.path("eventId").asText()).size(), "every publish gets its own eventId");
    }

    // ---------------------------------------------------------------- batch and broadcast

    @Test
    void batchAnswersOneResultPerItemInItemOrder() {
        String a = freshChannel("batch-a");
        String b = freshChannel("batch-b");
        String user = freshUser("carol");
        try (WsClient client = gw.connect(freshUser("batch-reader"))) {
            subscribe(client, a);

            Response r = gw.post("/api/v1/publish/batch", "{\"items\":["
                    + "{\"channel\":\"" + a + "\",\"event\":{\"type\":\"first\"}},"
                    + "{\"channel\":\"" + b + "\",\"event\":{\"type\":\"second\"}},"
                    + "{\"user\":\"" + user + "\",\"event\":{\"type\":\"third\"}},"
                    + "{\"channel\":\"" + a + "\",\"event\":{\"type\":\"fourth\"}}]}");

            assertEquals(200, r.status(), r.body());
            JsonNode results = r.json().path("results");
            assertEquals(4, results.size(), r.body());
            assertEquals(List.of(a, b, "user:" + user, a), List.of(results.get(0).path("channel").asText(),
                    results.get(1).path("channel").asText(), results.get(2).path("channel").asText(),
                    results.get(3).path("channel").asText()));
            assertEquals(1, results.get(0).path("seq").asLong());
            assertEquals(2, results.get(3).path("seq").asLong());
            assertEquals(1, results.get(1).path("seq").asLong());
            JsonNode first = nextEvent(client);
            JsonNode fourth = nextEvent(client);
            assertEquals("first", first.path("type").asText());
            assertEquals(results.get(0).path("eventId").asText(), first.path("eventId").asText());
            assertEquals("fourth", fourth.path("type").asText());
            assertEquals(results.get(3).path("eventId").asText(), fourth.path("eventId").asText());
        }
    }

    @Test
    void batchWithOneInvalidItemPublishesNothing() {
        String channel = freshChannel("batch-atomic");
        try (WsClient client = gw.connect(freshUser("atomic-reader"))) {
            subscribe(client, channel);

            Response r = gw.post("/api/v1/publish/batch", "{\"items\":["
                    + "{\"channel\":\"" + channel + "\",\"event\":{\"type\":\"ok\"}},"
                    + "{\"channel\":\"" + channel + "\",\"event\":{}}]}");
            assertJsonError(r, 400, "INVALID_FIELD");

            gw.publish(channel, "{\"type\":\"marker\"}");
            JsonNode next = nextEvent(client);
            assertEquals("marker", next.path("type").asText(), "the valid item of a refused batch was delivered");
            assertEquals(1, next.path("seq").asLong(), "the valid item of a refused batch was sequenced");
        }
    }

    @Test
    void broadcastDeliversToEveryChannelWithOneSharedEventId() {
        String c1 = freshChannel("bc1");
        String c2 = freshChannel("bc2");
        String c3 = freshChannel("bc3");
        try (WsClient client = gw.connect(freshUser("bc-reader"))) {
            subscribe(client, c1, c2, c3);

            Response r = gw.post("/api/v1/broadcast", "{\"channels\":[\"" + c1 + "\",\"" + c2 + "\",\"" + c3
                    + "\"],\"event\":{\"type\":\"maintenance\",\"at\":\"tonight\"}}");

            assertEquals(200, r.status(), r.body());
            JsonNode results = r.json().path("results");
            assertEquals(3, results.size(), r.body());
            String eventId = results.get(0).path("eventId").asText();
            assertFalse(eventId.isEmpty(), r.body());
            Set<String> channels = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                assertEquals(eventId, results.get(i).path("eventId").asText(), "result " + i + ": " + r.body());
                JsonNode event = nextEvent(client);
                assertEquals(eventId, event.path("eventId").asText(), "copy " + i + ": " + event);
                assertEquals("maintenance", event.path("type").asText());
                channels.add(event.path("channel").asText());
            }
            assertEquals(Set.of(c1, c2, c3), channels);
        }
    }

    // ---------------------------------------------------------------- errors

    static Stream<Arguments> invalidFields() {
        String ok = "{\"type\":\"t\"}";
        return Stream.of(
                Arguments.of("missing channel", "/api/v1/publish", "{\"event\":" + ok + "}", "'channel'"),
                Arguments.of("channel without namespace", "/api/v1/publish",
                        "{\"channel\":\"nonamespace\",\"event\":" + ok + "}", "'channel'"),
                Arguments.of("channel with a space", "/api/v1/publish",
                        "{\"channel\":\"public:has space\",\"event\":" + ok + "}", "'channel'"),
                Arguments.of("channel not a string", "/api/v1/publish",
                        "{\"channel\":42,\"event\":" + ok + "}", "'channel'"),
                Arguments.of("empty user", "/api/v1/publish", "{\"user\":\"\",\"event\":" + ok + "}", "'user'"),
                Arguments.of("event not an object", "/api/v1/publish",
                        "{\"channel\":\"public:x\",\"event\":\"text\"}", "'event'"),
                Arguments.of("event missing", "/api/v1/publish", "{\"channel\":\"public:x\"}", "'event'"),
                Arguments.of("event without type", "/api/v1/publish",
                        "{\"channel\":\"public:x\",\"event\":{\"data\":1}}", "'event.type'"),
                Arguments.of("ack not boolean", "/api/v1/publish",
                        "{\"channel\":\"public:x\",\"event\":" + ok + ",\"ack\":\"yes\"}", "'ack'"),
                Arguments.of("body not an object", "/api/v1/publish", "[1,2]", "request body"),
                Arguments.of("batch item 3 without type", "/api/v1/publish/batch", "{\"items\":["
                        + "{\"channel\":\"public:x\",\"event\":" + ok + "},"
                        + "{\"channel\":\"public:x\",\"event\":" + ok + "},"
                        + "{\"channel\":\"public:x\",\"event\":" + ok + "},"
                        + "{\"channel\":\"public:x\",\"event\":{\"data\":1}}]}", "items[3].event.type"),
                Arguments.of("batch item 1 bad channel", "/api/v1/publish/batch", "{\"items\":["
                        + "{\"channel\":\"public:x\",\"event\":" + ok + "},"
                        + "{\"channel\":\"bad\",\"event\":" + ok + "}]}", "items[1].channel"),
                Arguments.of("batch without items", "/api/v1/publish/batch", "{\"things\":[]}", "'items'"),
                Arguments.of("broadcast bad channel", "/api/v1/broadcast",
                        "{\"channels\":[\"public:a\",\"Bad:b\"],\"event\":" + ok + "}", "channels[1]"),
                Arguments.of("broadcast event without type", "/api/v1/broadcast",
                        "{\"channels\":[\"public:a\"],\"event\":{}}", "'event.type'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidFields")
    void answers400WithJsonNamingTheBadField(String caseName, String path, String body, String field) {
        Response r = gw.post(path, body);

        assertJsonError(r, 400, "INVALID_FIELD");
        assertTrue(r.json().path("message").asText().contains(field),
                () -> "message should name " + field + ": " + r.body());
    }

    static Stream<Arguments> malformedBodies() {
        String deep = "[".repeat(200) + "]".repeat(200);
        return Stream.of("/api/v1/publish", "/api/v1/publish/batch", "/api/v1/broadcast").flatMap(path -> Stream.of(
                Arguments.of(path, "truncated", "{\"channel\": \"public:x\", \"event\": {\"type\": "),
                Arguments.of(path, "trailing garbage", "{\"channel\":\"public:x\",\"event\":{\"type\":\"t\"}} }"),
                Arguments.of(path, "nested too deep", "{\"channel\":\"public:x\",\"event\":{\"type\":\"t\",\"d\":"
                        + deep + "}}")));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("malformedBodies")
    void answers400MalformedJsonWhenBodyIsNotJson(String path, String caseName, String body) {
        Response r = gw.post(path, body);

        assertJsonError(r, 400, "MALFORMED_JSON");
    }

    @Test
    void answers401WithJsonWhenApiKeyIsMissingAndPublishesNothing() {
        String channel = freshChannel("nokey");
        try (WsClient client = gw.connect(freshUser("nokey-reader"))) {
            subscribe(client, channel);

            Response r = gw.send(gw.request("/api/v1/publish").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"channel\":\"" + channel + "\",\"event\":{\"type\":\"sneaky\"}}")));

            assertJsonError(r, 401, "UNAUTHORIZED");
            gw.publish(channel, "{\"type\":\"marker\"}");
            assertEquals("marker", nextEvent(client).path("type").asText());
        }
    }

    @Test
    void answers401WithJsonWhenApiKeyIsWrong() {
        long before = gw.stats().path("refused").path("authFailures").asLong();

        Response publish = gw.send(gw.request("/api/v1/publish").header("X-API-Key", TestGateway.API_KEY + "x")
                .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"public:x\",\"event\":{\"type\":\"t\"}}")));
        Response stats = gw.send(gw.request("/api/v1/ws/stats").header("X-API-Key", "wrong-key-0123456789").GET());
        Response disconnect = gw.send(gw.request("/api/v1/users/someone/connections").DELETE());

        assertJsonError(publish, 401, "UNAUTHORIZED");
        assertJsonError(stats, 401, "UNAUTHORIZED");
        assertJsonError(disconnect, 401, "UNAUTHORIZED");
        assertEquals(before + 3, gw.stats().path("refused").path("authFailures").asLong());
    }

    @Test
    void answers404WithJsonForUnknownPath() {
        assertJsonError(gw.get("/api/v1/nothing-here"), 404, "NOT_FOUND");
        assertJsonError(gw.post("/api/v2/publish", "{}"), 404, "NOT_FOUND");
        assertJsonError(gw.delete("/api/v1/users//connections"), 404, "NOT_FOUND");
    }

    static Stream<Arguments> wrongMethods() {
        return Stream.of(
                Arguments.of("GET", "/api/v1/publish", "POST"),
                Arguments.of("GET", "/api/v1/publish/batch", "POST"),
                Arguments.of("DELETE", "/api/v1/broadcast", "POST"),
                Arguments.of("POST", "/api/v1/ws/stats", "GET"),
                Arguments.of("POST", "/api/v1/users/someone/connections", "DELETE"),
                Arguments.of("POST", "/health/live", "GET"),
                Arguments.of("DELETE", "/health/ready", "GET"));
    }

    @ParameterizedTest(name = "{0} {1} -> Allow: {2}")
    @MethodSource("wrongMethods")
    void answers405WithAllowHeaderForWrongMethod(String method, String path, String allowed) {
        Response r = gw.send(gw.request(path).header("X-API-Key", TestGateway.API_KEY)
                .method(method, HttpRequest.BodyPublishers.ofString("{}")));

        assertJsonError(r, 405, "METHOD_NOT_ALLOWED");
        assertEquals(List.of(allowed), r.headers().get("allow"), () -> "Allow header: " + r.headers());
    }

    @Test
    void answers413WithJsonWhenBodyExceedsLimitAndCountsIt() {
        try (TestGateway small = TestGateway.start(Map.of("GATEWAY_MAX_BODY_SIZE", "1KiB"))) {
            long before = small.stats().path("refused").path("oversizeBodies").asLong();

            Response r = small.post("/api/v1/publish", publishBodyOf(4 * 1024));

            assertJsonError(r, 413, "PAYLOAD_TOO_LARGE");
            assertTrue(r.json().path("message").asText().contains("1024"), r.body());
            assertEquals(before + 1, small.stats().path("refused").path("oversizeBodies").asLong());
            // A small body still goes through.
            assertEquals(200, small.post("/api/v1/publish",
                    "{\"channel\":\"public:small\",\"event\":{\"type\":\"t\"}}").status());
        }
    }

    /**
     * The client is still uploading when the 413 is ready; if the server closed with unread bytes, the kernel's reset
     * could reach the client before it reads the answer ("Broken pipe" instead of a 413).
     */
    @Test
    void answers413WithJsonToLargeUploadsInsteadOfResettingTheConnection() {
        try (TestGateway small = TestGateway.start(Map.of("GATEWAY_MAX_BODY_SIZE", "1KiB"))) {
            for (int round = 0; round < 5; round++) {
                for (int size : new int[] {16 * 1024, 64 * 1024, 256 * 1024}) {
                    Response r = small.post("/api/v1/publish", publishBodyOf(size));

                    assertJsonError(r, 413, "PAYLOAD_TOO_LARGE");
                }
            }
            assertEquals(15, small.stats().path("refused").path("oversizeBodies").asLong());
        }
    }

    private static String publishBodyOf(int padding) {
        return "{\"channel\":\"public:big\",\"event\":{\"type\":\"t\",\"pad\":\"" + "x".repeat(padding) + "\"}}";
    }

    // ---------------------------------------------------------------- administration

    @Test
    void disconnectClosesEveryConnectionOfTheUserWith4000AndLeavesOthersConnected() {
        String carol = freshUser("carol");
        String dave = freshUser("dave");
        try (WsClient carol1 = gw.connect(carol);
             WsClient carol2 = gw.connect(carol);
             WsClient daveClient = gw.connect(dave)) {

            Response r = gw.delete("/api/v1/users/" + carol + "/connections");

            assertEquals(200, r.status(), r.body());
            assertEquals(carol, r.json().path("userId").asText());
            assertEquals(2, r.json().path("disconnected").asInt());
            assertEquals(4000, carol1.awaitClose());
            assertEquals(4000, carol2.awaitClose());
            gw.post("/api/v1/publish", "{\"user\":\"" + dave + "\",\"event\":{\"type\":\"marker\"}}");
            assertEquals("marker", nextEvent(daveClient).path("type").asText());
            assertFalse(daveClient.isClosed(), "another user's connection was closed");
        }
    }

    @Test
    void disconnectOfUserWithoutConnectionsAnswersZero() {
        String nobody = freshUser("nobody");

        Response r = gw.delete("/api/v1/users/" + nobody + "/connections");

        assertEquals(200, r.status(), r.body());
        assertEquals(nobody, r.json().path("userId").asText());
        assertEquals(0, r.json().path("disconnected").asInt());
    }

    @Test
    void statsCountConnectionsUsersChannelsSubscriptionsAndMessages() {
        // Earlier tests' clients are closed asynchronously: start from a node with no connections.
        await().atMost(WAIT).until(() -> gw.stats().path("connections").asInt() == 0);
        JsonNode before = gw.stats();
        assertAll(
                () -> assertEquals(0, before.path("users").asInt(), before::toString),
                () -> assertEquals(0, before.path("channels").asInt(), before::toString),
                () -> assertEquals(0, before.path("subscriptions").asInt(), before::toString),
                () -> assertTrue(before.path("uptimeSeconds").isIntegralNumber(), before::toString),
                () -> assertTrue(before.path("messagesIn").isIntegralNumber(), before::toString),
                () -> assertTrue(before.path("messagesOut").isIntegralNumber(), before::toString));
        String channel = freshChannel("stats");
        String user = freshUser("stats");
        try (WsClient first = gw.connect(user);
             WsClient second = gw.connect(user)) {
            subscribe(first, channel);
            gw.publish(channel, "{\"type\":\"counted\"}");
            nextEvent(first);

            JsonNode during = gw.stats();
            assertAll(
                    () -> assertEquals(2, during.path("connections").asInt(), during::toString),
                    () -> assertEquals(1, during.path("users").asInt(), during::toString),
                    // user:<user> (both connections) and the public channel (first only)
                    () -> assertEquals(2, during.path("channels").asInt(), during::toString),
                    () -> assertEquals(3, during.path("subscriptions").asInt(), during::toString),
                    () -> assertEquals(before.path("messagesIn").asLong() + 1, during.path("messagesIn").asLong(),
                            "one subscribe frame in: " + during),
                    () -> assertEquals(before.path("messagesOut").asLong() + 1, during.path("messagesOut").asLong(),
                            "one event out: " + during));

            long uptime = during.path("uptimeSeconds").asLong();
            await().atMost(WAIT).until(() -> gw.stats().path("uptimeSeconds").asLong() > uptime);
        }
        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode after = gw.stats();
            assertEquals(0, after.path("connections").asInt(), after::toString);
            assertEquals(0, after.path("users").asInt(), after::toString);
            assertEquals(0, after.path("channels").asInt(), after::toString);
            assertEquals(0, after.path("subscriptions").asInt(), after::toString);
        });
    }

    // ---------------------------------------------------------------- health

    @Test
    void liveAnswers200UpWithoutApiKey() {
        Response r = gw.send(gw.request("/health/live").GET());

        assertEquals(200, r.status(), r.body());
        assertEquals("UP", r.json().path("status").asText());
    }

    @Test
    void readyAnswers200WithComponentsWithoutApiKey() {
        Response r = gw.send(gw.request("/health/ready").GET());

        assertEquals(200, r.status(), r.body());
        JsonNode body = r.json();
        assertEquals("UP", body.path("status").asText(), r.body());
        JsonNode components = body.path("components");
        assertTrue(components.isObject() && !components.isEmpty(), r.body());
        components.fields().forEachRemaining(c ->
                assertEquals("UP", c.getValue().path("status").asText(), c.getKey() + " in " + r.body()));
        assertEquals("UP", components.path("node").path("status").asText(), r.body());
        assertEquals("UP", components.path("engine").path("status").asText(), r.body());
        assertNotEquals(0, components.size());
    }
}
