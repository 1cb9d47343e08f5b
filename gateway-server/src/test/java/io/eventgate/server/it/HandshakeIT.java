package io.eventgate.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.protocol.Json;
import io.eventgate.server.testing.TestGateway;
import io.eventgate.server.testing.WsClient;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The WebSocket upgrade: both endpoints, both ways of passing the token, every authentication refusal
 * (HTTP 401 with a JSON body and no upgrade), the Origin check, the {@code connected} frame, the
 * {@code ?events=} selection and delivery of user-channel events.
 */
class HandshakeIT {
    private static final Pattern ISO_MILLIS_UTC = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");
    private static final String ISSUER = "https://auth.example.com/";
    private static final String AUDIENCE = "eventgate";
    private static final String ALLOWED_ORIGIN = "https://app.example.com";
    private static final AtomicInteger USERS = new AtomicInteger();

    /** Default configuration. */
    private static TestGateway gateway;
    /** Checks iss, aud and Origin. */
    private static TestGateway restricted;

    @BeforeAll
    static void start() {
        gateway = TestGateway.start();
        restricted = TestGateway.start(Map.of(
                "GATEWAY_JWT_ISSUER", ISSUER,
                "GATEWAY_JWT_AUDIENCE", AUDIENCE,
                "GATEWAY_ALLOWED_ORIGINS", ALLOWED_ORIGIN));
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (restricted != null) {
            restricted.close();
        }
    }

    // ---------------------------------------------------------------- upgrade

    @ParameterizedTest(name = "{0} with the token in the {1}")
    @CsvSource({
            "/api/v1/ws, Authorization header",
            "/api/v1/ws, query",
            "/api/v1/ws/transactions, Authorization header",
            "/api/v1/ws/transactions, query"})
    void upgradesBothEndpointsWithTokenInBearerHeaderOrQuery(String path, String via) {
        String sub = user("upgrade");
        String token = gateway.token(sub);
        try (WsClient client = via.equals("query")
                ? WsClient.connect(gateway.wsUri(path + "?token=" + encode(token)), null)
                : WsClient.connect(gateway.wsUri(path), token)) {
            JsonNode connected = client.awaitType("connected");
            assertEquals(sub, connected.path("userId").asText());
        }
    }

    // ---------------------------------------------------------------- authentication refusals

    @Test
    void refusesMissingTokenWith401AndNoUpgrade() {
        assertUnauthorized(gateway, gateway.wsUri("/api/v1/ws"), null, null);
        assertUnauthorized(gateway, gateway.wsUri("/api/v1/ws/transactions"), null, null);
    }

    @Test
    void refusesMalformedTokenWith401AndNoUpgrade() {
        assertUnauthorizedEitherWay(gateway, "this-is-not-a-jwt");
        assertUnauthorizedEitherWay(gateway, "eyJhbGciOiJIUzI1NiJ9.bm90LWpzb24.c2lnbmF0dXJl");
    }

    @Test
    void refusesTokenSignedWithAnotherSecretWith401AndNoUpgrade() {
        Instant now = now();
        String token = JWT.create().withSubject("mallory").withIssuedAt(now).withExpiresAt(now.plus(1, ChronoUnit.HOURS))
                .sign(Algorithm.HMAC256("another-secret-0123456789-0123456789-xyz"));
        assertUnauthorizedEitherWay(gateway, token);
    }

    @Test
    void refusesUnsignedAlgNoneTokenWith401AndNoUpgrade() {
        long now = now().getEpochSecond();
        String header = base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        String payload = base64Url("{\"sub\":\"mallory\",\"iat\":" + now + ",\"exp\":" + (now + 3600) + "}");
        assertUnauthorizedEitherWay(gateway, header + "." + payload + ".");
    }

    @Test
    void refusesRs256TokenWhenHs256IsConfiguredWith401AndNoUpgrade() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair keys = generator.generateKeyPair();
        Instant now = now();
        String token = JWT.create().withSubject("mallory").withIssuedAt(now).withExpiresAt(now.plus(1, ChronoUnit.HOURS))
                .sign(Algorithm.RSA256((RSAPublicKey) keys.getPublic(), (RSAPrivateKey) keys.getPrivate()));
        assertUnauthorizedEitherWay(gateway, token);
    }

    @Test
    void refusesExpiredTokenWith401AndNoUpgrade() {
        Instant now = now();
        String token = JWT.create().withSubject("late").withIssuedAt(now.minus(2, ChronoUnit.HOURS))
                .withExpiresAt(now.minus(1, ChronoUnit.MINUTES)).sign(Algorithm.HMAC256(TestGateway.SECRET));
        assertUnauthorizedEitherWay(gateway, token);
    }

    @Test
    void refusesTokenNotValidYetBeyondLeewayWith401AndNoUpgrade() {
        Instant now = now();
        String token = JWT.create().withSubject("early").withIssuedAt(now).withNotBefore(now.plus(10, ChronoUnit.MINUTES))
                .withExpiresAt(now.plus(1, ChronoUnit.HOURS)).sign(Algorithm.HMAC256(TestGateway.SECRET));
        assertUnauthorizedEitherWay(gateway, token);
    }

    @Test
    void refusesTokenWithWrongIssuerWith401AndNoUpgrade() {
        Instant now = now();
        String token = JWT.create().withSubject("iss-user").withIssuer("https://evil.example/").withAudience(AUDIENCE)
                .withIssuedAt(now).withExpiresAt(now.plus(1, ChronoUnit.HOURS)).sign(Algorithm.HMAC256(TestGateway.SECRET));
        assertUnauthorizedEitherWay(restricted, token);
        // Control: the same claims with the configured issuer are accepted.
        try (WsClient client = WsClient.connect(restricted.wsUri("/api/v1/ws"), restricted.token("iss-user"))) {
            assertEquals("iss-user", client.awaitType("connected").path("userId").asText());
        }
    }

    @Test
    void refusesTokenWithWrongAudienceWith401AndNoUpgrade() {
        Instant now = now();
        String wrongAudience = JWT.create().withSubject("aud-user").withIssuer(ISSUER).withAudience("someone-else")
                .withIssuedAt(now).withExpiresAt(now.plus(1, ChronoUnit.HOURS)).sign(Algorithm.HMAC256(TestGateway.SECRET));
        assertUnauthorizedEitherWay(restricted, wrongAudience);
        String noAudience = JWT.create().withSubject("aud-user").withIssuer(ISSUER)
                .withIssuedAt(now).withExpiresAt(now.plus(1, ChronoUnit.HOURS)).sign(Algorithm.HMAC256(TestGateway.SECRET));
        assertUnauthorizedEitherWay(restricted, noAudience);
    }

    // ---------------------------------------------------------------- origin

    @Test
    void refusesForeignOriginWith403ForbiddenAndNoUpgrade() {
        WebSocketHandshakeException refused = WsClient.refused(restricted.wsUri("/api/v1/ws"),
                restricted.token("origin-user"), Map.of("Origin", "https://evil.example"));
        JsonNode body = assertJsonRefusal(refused, 403, "FORBIDDEN");
        assertFalse(body.path("message").asText().isBlank(), body.toString());
    }

    @Test
    void upgradesWhenOriginIsAllowed() {
        try (WsClient client = WsClient.connect(restricted.wsUri("/api/v1/ws"), restricted.token("origin-user"),
                Map.of("Origin", ALLOWED_ORIGIN))) {
            assertEquals("origin-user", client.awaitType("connected").path("userId").asText());
        }
    }

    // ---------------------------------------------------------------- connected frame

    @Test
    void sendsConnectedFirstWithConnectionIdUserIdSessionIdHeartbeatAndTimestamp() {
        String sub = user("first");
        try (WsClient first = WsClient.connect(gateway.wsUri("/api/v1/ws"), gateway.token(sub));
             WsClient second = WsClient.connect(gateway.wsUri("/api/v1/ws"), gateway.token(sub))) {
            JsonNode connected = first.next();
            assertEquals("connected", connected.path("type").asText(), connected.toString());
            assertTrue(connected.path("connectionId").isTextual() && !connected.path("connectionId").asText().isBlank(),
                    connected.toString());
            assertEquals(sub, connected.path("userId").asText());
            assertTrue(connected.path("sessionId").isTextual() && !connected.path("sessionId").asText().isBlank(),
                    connected.toString());
            assertTrue(connected.path("heartbeatInterval").isIntegralNumber(), connected.toString());
            assertEquals(30, connected.path("heartbeatInterval").asInt());
            assertIsoMillisUtc(connected.path("timestamp"));

            JsonNode other = second.next();
            assertEquals("connected", other.path("type").asText(), other.toString());
            assertNotEquals(connected.path("connectionId").asText(), other.path("connectionId").asText());
            assertNotEquals(connected.path("sessionId").asText(), other.path("sessionId").asText());
        }
    }

    // ---------------------------------------------------------------- user channel delivery

    @Test
    void restrictsUserChannelToTypesOfEventsQuery() {
        String sub = user("types");
        String channel = "user:" + sub;
        try (WsClient client = WsClient.connect(gateway.wsUri("/api/v1/ws?events=transaction,balance"), gateway.token(sub))) {
            client.awaitType("connected");
            gateway.publish(channel, "{\"type\":\"notification\",\"n\":1}");
            gateway.publish(channel, "{\"type\":\"balance\",\"n\":2}");
            gateway.publish(channel, "{\"type\":\"kyc\",\"n\":3}");
            gateway.publish(channel, "{\"type\":\"transaction\",\"n\":4}");

            JsonNode balance = client.awaitEvent();
            assertEquals(2, balance.path("n").asInt(), balance.toString());
            JsonNode transaction = client.awaitEvent();
            assertEquals(4, transaction.path("n").asInt(), transaction.toString());
        }
    }

    @Test
    void deliversUserChannelEventToEveryConnectionOfThatUserAndNoOtherUser() {
        String alice = user("alice");
        String bob = user("bob");
        try (WsClient phone = gateway.connect(alice);
             WsClient laptop = gateway.connect(alice);
             WsClient tablet = WsClient.connect(gateway.wsUri("/api/v1/ws/transactions"), gateway.token(alice));
             WsClient other = gateway.connect(bob)) {
            tablet.awaitType("connected");
            gateway.publish("user:" + alice, "{\"type\":\"notification\",\"text\":\"for alice\"}");
            gateway.publish("user:" + bob, "{\"type\":\"notification\",\"text\":\"marker for bob\"}");

            for (WsClient device : new WsClient[] {phone, laptop, tablet}) {
                JsonNode event = device.awaitEvent();
                assertEquals("for alice", event.path("text").asText(), event.toString());
                assertEquals("user:" + alice, event.path("channel").asText());
            }
            JsonNode first = other.awaitEvent();
            assertEquals("marker for bob", first.path("text").asText(), "bob received alice's event: " + first);
        }
    }

    @Test
    void deliversPublisherFieldsUntouchedWithEventIdTimestampChannelAndSeq() {
        String sub = user("fields");
        String channel = "user:" + sub;
        String transaction = "{\"id\":\"TXN-1\",\"amount\":50000.00,\"currency\":\"NGN\",\"status\":\"SUCCESS\"}";
        try (WsClient client = gateway.connect(sub)) {
            JsonNode published = gateway.publish(channel, "{\"type\":\"transaction\",\"transaction\":" + transaction + "}");

            JsonNode event = client.awaitEvent();
            String raw = client.raw(event);
            assertTrue(raw.contains("\"transaction\":" + transaction), raw);
            assertTrue(raw.contains("\"amount\":50000.00"), raw);
            assertEquals("transaction", event.path("type").asText());
            assertTrue(event.path("eventId").isTextual() && !event.path("eventId").asText().isBlank(), raw);
            assertEquals(published.path("eventId").asText(), event.path("eventId").asText());
            assertIsoMillisUtc(event.path("timestamp"));
            assertEquals(channel, event.path("channel").asText());
            assertTrue(event.path("seq").isIntegralNumber(), raw);
            assertEquals(1, event.path("seq").asLong(), raw);
            assertEquals(published.path("seq").asLong(), event.path("seq").asLong());
        }
    }

    @Test
    void keepsPublisherGivenEventIdAndTimestamp() {
        String sub = user("given");
        String channel = "user:" + sub;
        try (WsClient client = gateway.connect(sub)) {
            JsonNode published = gateway.publish(channel, "{\"type\":\"notification\",\"eventId\":\"EV-publisher-42\","
                    + "\"timestamp\":\"2025-01-02T03:04:05.678Z\",\"text\":\"hello\"}");
            assertEquals("EV-publisher-42", published.path("eventId").asText(), published.toString());

            JsonNode event = client.awaitEvent();
            assertEquals("EV-publisher-42", event.path("eventId").asText(), event.toString());
            assertEquals("2025-01-02T03:04:05.678Z", event.path("timestamp").asText(), event.toString());
            assertEquals("hello", event.path("text").asText());
            assertEquals(channel, event.path("channel").asText());
            assertEquals(published.path("seq").asLong(), event.path("seq").asLong());
        }
    }

    // ---------------------------------------------------------------- helpers

    private static String user(String prefix) {
        return prefix + "-" + USERS.incrementAndGet();
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS);
    }

    private static String base64Url(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static void assertIsoMillisUtc(JsonNode timestamp) {
        assertTrue(timestamp.isTextual() && ISO_MILLIS_UTC.matcher(timestamp.asText()).matches(),
                "not ISO-8601 UTC with milliseconds: " + timestamp);
        Instant.parse(timestamp.asText());
    }

    /** The token is refused both as a Bearer header and as {@code ?token=}, on both endpoints. */
    private static void assertUnauthorizedEitherWay(TestGateway target, String token) {
        assertUnauthorized(target, target.wsUri("/api/v1/ws"), token, token);
        assertUnauthorized(target, target.wsUri("/api/v1/ws/transactions?token=" + encode(token)), null, token);
    }

    private static void assertUnauthorized(TestGateway target, URI uri, String bearer, String token) {
        long before = target.stats().path("refused").path("authFailures").asLong();
        WebSocketHandshakeException refused = WsClient.refused(uri, bearer);
        JsonNode body = assertJsonRefusal(refused, 401, "UNAUTHORIZED");
        String message = body.path("message").asText();
        assertTrue(body.path("message").isTextual() && !message.isBlank(), body.toString());
        if (token != null) {
            String text = WsClient.body(refused);
            assertFalse(text.contains(token), "the refusal echoes the token: " + text);
            for (String part : token.split("\\.")) {
                if (part.length() >= 8) {
                    assertFalse(text.contains(part), "the refusal echoes part of the token: " + text);
                }
            }
        }
        assertTrue(target.stats().path("refused").path("authFailures").asLong() > before, "auth failure not counted");
    }

    private static JsonNode assertJsonRefusal(WebSocketHandshakeException refused, int status, String code) {
        HttpResponse<?> response = refused.getResponse();
        String text = WsClient.body(refused);
        assertEquals(status, response.statusCode(), text);
        assertTrue(response.headers().firstValue("Upgrade").isEmpty(), "upgrade header in a refusal");
        assertTrue(response.headers().firstValue("Sec-WebSocket-Accept").isEmpty(), "handshake accepted");
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"),
                "not JSON: " + response.headers().map());
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(text);
        } catch (Exception e) {
            throw new AssertionError("refusal body is not JSON: " + text, e);
        }
        assertEquals(code, body.path("error").asText(), text);
        return body;
    }
}
