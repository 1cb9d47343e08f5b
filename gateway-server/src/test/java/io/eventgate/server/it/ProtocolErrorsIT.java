package io.eventgate.server.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.server.testing.StalledClient;
import io.eventgate.server.testing.TestGateway;
import io.eventgate.server.testing.WsClient;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad client input: every refusal is an {@code error} frame with a stable code and the connection keeps working;
 * binary frames; the per-connection rate limit (close code 4102); oversize frames (close code 1009).
 */
class ProtocolErrorsIT {
    private static final int BURST = 5;
    private static final int CLOSE_AFTER = 10;
    private static final AtomicInteger USERS = new AtomicInteger();

    /** Default configuration. */
    private static TestGateway gateway;
    /** Tight rate limit and a 1 KiB frame limit. */
    private static TestGateway limited;

    @BeforeAll
    static void start() {
        gateway = TestGateway.start();
        limited = TestGateway.start(Map.of(
                "GATEWAY_RATE_LIMIT_PER_MINUTE", "60",
                "GATEWAY_RATE_LIMIT_BURST", String.valueOf(BURST),
                "GATEWAY_RATE_LIMIT_CLOSE_AFTER", String.valueOf(CLOSE_AFTER),
                "GATEWAY_MAX_FRAME_SIZE", "1KiB"));
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (limited != null) {
            limited.close();
        }
    }

    @Test
    void aClientThatStopsReadingIsClosedAsASlowConsumerAndDroppedWhenItIgnoresTheClose() throws Exception {
        String user = "stalled-" + USERS.incrementAndGet();
        long before = gateway.stats().path("closes").path("slowConsumer").asLong();
        try (StalledClient client = new StalledClient(gateway.port(), "GET /api/v1/ws?token=" + gateway.token(user)
                + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")) {
            org.awaitility.Awaitility.await().until(() -> !gateway.server().gateway().hub().connectionsOf(user)
                    .isEmpty());
            StalledClient.floodUntilClosed(gateway, user, "user:" + user);
        }
        assertEquals(before + 1, gateway.stats().path("closes").path("slowConsumer").asLong());
    }

    // ---------------------------------------------------------------- error frames

    @Test
    void answersMalformedJsonWithMalformedJsonAndKeepsWorking() {
        try (WsClient client = gateway.connect(user())) {
            assertErrorAndStillWorks(client, "{\"type\":\"ping\",", "MALFORMED_JSON", null, null);
            assertErrorAndStillWorks(client, "not json at all", "MALFORMED_JSON", null, null);
            assertErrorAndStillWorks(client, "{\"type\":\"ping\"} trailing", "MALFORMED_JSON", null, null);
            assertErrorAndStillWorks(client, "[1,2,3]", "MALFORMED_JSON", null, null);
        }
    }

    @Test
    void answersUnknownOrMissingTypeWithUnknownTypeAndKeepsWorking() {
        try (WsClient client = gateway.connect(user())) {
            assertErrorAndStillWorks(client, "{\"type\":\"teleport\",\"id\":\"t1\"}", "UNKNOWN_TYPE", "t1", "teleport");
            assertErrorAndStillWorks(client, "{\"id\":\"t2\"}", "UNKNOWN_TYPE", "t2", "type");
            assertErrorAndStillWorks(client, "{\"type\":7,\"id\":\"t3\"}", "UNKNOWN_TYPE", "t3", "type");
        }
    }

    @Test
    void answersEventsThatIsNotAnArrayWithInvalidFieldAndKeepsWorking() {
        try (WsClient client = gateway.connect(user())) {
            assertErrorAndStillWorks(client, "{\"type\":\"subscribe\",\"id\":\"e1\",\"events\":\"transaction\"}",
                    "INVALID_FIELD", "e1", "events");
            assertErrorAndStillWorks(client, "{\"type\":\"unsubscribe\",\"id\":\"e2\",\"events\":[1]}",
                    "INVALID_FIELD", "e2", "events[0]");
        }
    }

    @Test
    void answersChannelWithBadNameWithInvalidFieldAndKeepsWorking() {
        try (WsClient client = gateway.connect(user())) {
            assertErrorAndStillWorks(client, "{\"type\":\"subscribe\",\"id\":\"c1\",\"channels\":[\"no-namespace\"]}",
                    "INVALID_FIELD", "c1", "channels[0]");
            assertErrorAndStillWorks(client,
                    "{\"type\":\"subscribe\",\"id\":\"c2\",\"channels\":[\"market:ok\",\"Market:has space\"]}",
                    "INVALID_FIELD", "c2", "channels[1]");
            assertErrorAndStillWorks(client, "{\"type\":\"subscribe\",\"id\":\"c3\",\"channels\":\"market:ok\"}",
                    "INVALID_FIELD", "c3", "channels");
        }
    }

    @Test
    void answersAckWithoutEventIdWithInvalidFieldAndKeepsWorking() {
        try (WsClient client = gateway.connect(user())) {
            assertErrorAndStillWorks(client, "{\"type\":\"ack\",\"id\":\"a1\"}", "INVALID_FIELD", "a1", "eventId");
            assertErrorAndStillWorks(client, "{\"type\":\"ack\",\"id\":\"a2\",\"eventId\":42}", "INVALID_FIELD", "a2",
                    "eventId");
        }
    }

    @Test
    void answersIdThatIsAnObjectWithInvalidFieldAndKeepsWorking() {
        try (WsClient client = gateway.connect(user())) {
            assertErrorAndStillWorks(client, "{\"type\":\"ping\",\"id\":{\"nested\":1}}", "INVALID_FIELD", null, "id");
        }
    }

    @Test
    void answersBinaryFrameWithUnsupportedFrameAndKeepsWorking() {
        try (WsClient client = gateway.connect(user())) {
            client.sendBinary("{\"type\":\"ping\",\"id\":\"bin\"}".getBytes(StandardCharsets.UTF_8));
            JsonNode error = client.awaitType("error");
            assertEquals("UNSUPPORTED_FRAME", error.path("code").asText(), error.toString());
            assertStillWorks(client);
        }
    }

    // ---------------------------------------------------------------- rate limit

    @Test
    void refusesMessagesBeyondBurstWithRateLimitedButNeverAcks() {
        try (WsClient client = limited.connect(user())) {
            // All at once: the bucket (5 tokens, 1 a second) cannot refill in between.
            for (int i = 1; i <= BURST + 1; i++) {
                client.send("{\"type\":\"ping\",\"id\":\"p" + i + "\"}");
            }
            for (int i = 1; i <= 3; i++) {
                client.send("{\"type\":\"ack\",\"id\":\"k" + i + "\",\"eventId\":\"EV-unknown-" + i + "\"}");
            }
            client.send("{\"type\":\"ping\",\"id\":\"p-after-acks\"}");

            for (int i = 1; i <= BURST; i++) {
                JsonNode pong = reply(client, "p" + i);
                assertEquals("pong", pong.path("type").asText(), pong.toString());
            }
            JsonNode limitedError = reply(client, "p" + (BURST + 1));
            assertEquals("error", limitedError.path("type").asText(), limitedError.toString());
            assertEquals("RATE_LIMITED", limitedError.path("code").asText(), limitedError.toString());
            for (int i = 1; i <= 3; i++) {
                JsonNode acked = reply(client, "k" + i);
                assertEquals("acked", acked.path("type").asText(), "an ack was rate limited: " + acked);
            }
            // Still limited after the acks: they were answered while the bucket was empty.
            JsonNode after = reply(client, "p-after-acks");
            assertEquals("RATE_LIMITED", after.path("code").asText(), after.toString());
            assertFalse(client.isClosed());
        }
    }

    @Test
    void closesWith4102AfterConsecutiveRefusalsAndCountsThemInStats() {
        JsonNode before = limited.stats().path("refused");
        int total = BURST + CLOSE_AFTER;
        try (WsClient client = limited.connect(user())) {
            // All at once (the bucket gets one token a second): the burst passes, then CLOSE_AFTER refusals in a
            // row; the last one closes the connection, so nothing is sent after the close.
            for (int i = 1; i <= total; i++) {
                client.send("{\"type\":\"ping\",\"id\":\"r" + i + "\"}");
            }
            assertEquals(4102, client.awaitClose(), "close code");

            List<JsonNode> answers = client.received().stream().filter(n -> n.has("ref")).toList();
            assertEquals(total - 1, answers.size(), "every message but the last is answered: " + answers);
            for (int i = 0; i < answers.size(); i++) {
                JsonNode answer = answers.get(i);
                assertEquals("r" + (i + 1), answer.path("ref").asText(), answers.toString());
                if (i < BURST) {
                    assertEquals("pong", answer.path("type").asText(), answer.toString());
                } else {
                    assertEquals("RATE_LIMITED", answer.path("code").asText(), answer.toString());
                }
            }

            JsonNode after = limited.stats().path("refused");
            assertEquals(CLOSE_AFTER, after.path("rateLimited").asLong() - before.path("rateLimited").asLong(),
                    "refused.rateLimited counts every refused message, the closing one included: " + after);
            assertEquals(1, after.path("rateLimitCloses").asLong() - before.path("rateLimitCloses").asLong(),
                    "refused.rateLimitCloses: " + after);
        }
    }

    @Test
    void countsOneRateLimitCloseWhenMessagesKeepArrivingAfterTheClosingRefusal() {
        JsonNode before = limited.stats().path("refused");
        try (WsClient client = limited.connect(user())) {
            for (int i = 1; i <= BURST + CLOSE_AFTER + 10; i++) {
                try {
                    client.send("{\"type\":\"ping\",\"id\":\"q" + i + "\"}");
                } catch (CompletionException e) {
                    break; // the client already saw the close
                }
            }
            assertEquals(4102, client.awaitClose(), "close code");
        }
        await().untilAsserted(() -> assertEquals(0, limited.stats().path("connections").asInt()));
        JsonNode after = limited.stats().path("refused");
        assertEquals(1, after.path("rateLimitCloses").asLong() - before.path("rateLimitCloses").asLong(),
                "one connection was closed for its rate: " + after);
    }

    // ---------------------------------------------------------------- frame size

    @Test
    void acceptsFrameWithinMaxFrameSize() {
        try (WsClient client = limited.connect(user())) {
            String message = padded("{\"type\":\"ping\",\"id\":\"fits\",\"pad\":\"", 1000, "\"}");
            client.send(message);
            assertEquals("pong", reply(client, "fits").path("type").asText());
        }
    }

    @Test
    void closesWith1009WhenFrameExceedsMaxFrameSizeAndCountsIt() {
        long before = limited.stats().path("refused").path("oversizeFrames").asLong();
        try (WsClient client = limited.connect(user())) {
            client.send(padded("{\"type\":\"ping\",\"id\":\"big\",\"pad\":\"", 2048, "\"}"));
            assertEquals(1009, client.awaitClose(), "close code");
        }
        await().untilAsserted(() -> assertTrue(
                limited.stats().path("refused").path("oversizeFrames").asLong() >= before + 1, "refused.oversizeFrames"));
    }

    @Test
    void closesWith1009WhenFragmentedMessageExceedsMaxFrameSizeAndCountsIt() {
        long before = limited.stats().path("refused").path("oversizeFrames").asLong();
        try (WsClient client = limited.connect(user())) {
            // Three fragments of 700 bytes: each frame fits, the message (2100 bytes) does not.
            String whole = padded("{\"type\":\"ping\",\"id\":\"frag\",\"pad\":\"", 2100, "\"}");
            try {
                client.socket().sendText(whole.substring(0, 700), false).join();
                client.socket().sendText(whole.substring(700, 1400), false).join();
                client.socket().sendText(whole.substring(1400), true).join();
            } catch (CompletionException e) {
                // the server may close before the last fragment is written
            }
            assertEquals(1009, client.awaitClose(), "close code");
        }
        await().untilAsserted(() -> assertTrue(
                limited.stats().path("refused").path("oversizeFrames").asLong() >= before + 1, "refused.oversizeFrames"));
    }

    // ---------------------------------------------------------------- helpers

    private static String user() {
        return "proto-" + USERS.incrementAndGet();
    }

    /** {@code head + x... + tail}, exactly {@code length} characters (ASCII, so bytes) long. */
    private static String padded(String head, int length, String tail) {
        return head + "x".repeat(length - head.length() - tail.length()) + tail;
    }

    private static JsonNode reply(WsClient client, String id) {
        return client.await(n -> id.equals(n.path("ref").asText(null)));
    }

    /**
     * Sends {@code frame}, expects an error with {@code code} (echoing {@code ref} when given, naming
     * {@code mention} when given), then a ping that must still be answered.
     */
    private static void assertErrorAndStillWorks(WsClient client, String frame, String code, String ref, String mention) {
        client.send(frame);
        JsonNode error = client.awaitType("error");
        assertEquals(code, error.path("code").asText(), "error for " + frame + ": " + error);
        assertTrue(error.path("message").isTextual() && !error.path("message").asText().isBlank(), error.toString());
        if (ref != null) {
            assertEquals(ref, error.path("ref").asText(null), "ref of " + error);
        }
        if (mention != null) {
            assertTrue(error.path("message").asText().contains(mention),
                    "message should name " + mention + ": " + error);
        }
        assertStillWorks(client);
    }

    private static final AtomicInteger PINGS = new AtomicInteger();

    private static void assertStillWorks(WsClient client) {
        String id = "alive-" + PINGS.incrementAndGet();
        client.send("{\"type\":\"ping\",\"id\":\"" + id + "\"}");
        JsonNode pong = reply(client, id);
        assertEquals("pong", pong.path("type").asText(), pong.toString());
        assertFalse(client.isClosed());
    }
}
