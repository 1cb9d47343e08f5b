package io.eventgate.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ServerMessagesTest {
    private static final long NOW = 1_700_000_000_123L;
    private static final String NOW_TEXT = "2023-11-14T22:13:20.123Z";

    static JsonNode parse(byte[] bytes) {
        try {
            return Json.MAPPER.readTree(bytes);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + new String(bytes, StandardCharsets.UTF_8), e);
        }
    }

    static JsonNode json(String singleQuoted) {
        try {
            return Json.MAPPER.readTree(singleQuoted.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void connectedCarriesIdentityHeartbeatAndTimestampOnly() {
        JsonNode node = parse(ServerMessages.connected("C-1", "alice", "S-1", 30, NOW, null, null, null));
        assertEquals(Set.of("type", "connectionId", "userId", "sessionId", "heartbeatInterval", "timestamp"),
                fieldNames(node));
        assertEquals("connected", node.get("type").textValue());
        assertEquals("C-1", node.get("connectionId").textValue());
        assertEquals("alice", node.get("userId").textValue());
        assertEquals("S-1", node.get("sessionId").textValue());
        assertTrue(node.get("heartbeatInterval").isIntegralNumber());
        assertEquals(30, node.get("heartbeatInterval").longValue());
        assertEquals(NOW_TEXT, node.get("timestamp").textValue());
    }

    @Test
    void connectedOfAResumeCarriesResumedRecoveredAndSubscriptions() {
        var state = new SubscriptionState("user:alice", null, List.of(), null, 4, "ep", true);
        JsonNode node = parse(ServerMessages.connected("C-1", "alice", "S-1", 30, NOW, true, false, List.of(state)));
        assertTrue(node.get("resumed").booleanValue());
        assertTrue(node.get("recovered").isBoolean());
        assertFalse(node.get("recovered").booleanValue());
        assertEquals(1, node.get("subscriptions").size());
        assertEquals("user:alice", node.get("subscriptions").get(0).get("channel").textValue());
    }

    @Test
    void subscribedListsEveryStateWithRef() {
        var all = new SubscriptionState("user:alice", null, List.of(), null, -1, null, null);
        var some = new SubscriptionState("market:btc", List.of("trade", "quote"), List.of(),
                json("{'minAmount':100}"), 12, "ep1", null);
        JsonNode node = parse(ServerMessages.subscribed("r1", List.of(all, some)));
        assertEquals(Set.of("type", "ref", "subscriptions"), fieldNames(node));
        assertEquals("subscribed", node.get("type").textValue());
        assertEquals("r1", node.get("ref").textValue());
        assertEquals(2, node.get("subscriptions").size());

        JsonNode first = node.get("subscriptions").get(0);
        assertEquals(Set.of("channel", "events"), fieldNames(first));
        assertEquals("*", first.get("events").textValue());

        JsonNode second = node.get("subscriptions").get(1);
        assertEquals(Set.of("channel", "events", "filters", "seq", "epoch"), fieldNames(second));
        assertEquals("market:btc", second.get("channel").textValue());
        assertEquals(json("['trade','quote']"), second.get("events"));
        assertEquals(json("{'minAmount':100}"), second.get("filters"));
        assertEquals(12, second.get("seq").longValue());
        assertEquals("ep1", second.get("epoch").textValue());
    }

    @Test
    void everyTypeMinusExclusionsShowsStarAndExcludedEvents() {
        var state = new SubscriptionState("user:alice", null, List.of("a", "b"), null, -1, null, null);
        JsonNode item = parse(ServerMessages.subscribed(null, List.of(state))).get("subscriptions").get(0);
        assertEquals("*", item.get("events").textValue());
        assertEquals(json("['a','b']"), item.get("excludedEvents"));
    }

    @Test
    void anExplicitEmptyTypeSetIsAnEmptyArrayNotStar() {
        var state = new SubscriptionState("user:alice", List.of(), List.of(), null, -1, null, null);
        JsonNode item = parse(ServerMessages.subscribed(null, List.of(state))).get("subscriptions").get(0);
        assertTrue(item.get("events").isArray());
        assertEquals(0, item.get("events").size());
    }

    @Test
    void seqZeroIsShownButMinusOneIsNot() {
        var zero = new SubscriptionState("market:a", null, List.of(), null, 0, "e", null);
        JsonNode item = parse(ServerMessages.subscribed(null, List.of(zero))).get("subscriptions").get(0);
        assertEquals(0, item.get("seq").longValue());
    }

    @Test
    void recoveredIsShownOnlyWhenSet() {
        var recovered = new SubscriptionState("market:a", null, List.of(), null, 3, "e", false);
        JsonNode item = parse(ServerMessages.subscribed(null, List.of(recovered))).get("subscriptions").get(0);
        assertTrue(item.get("recovered").isBoolean());
        assertFalse(item.get("recovered").booleanValue());
    }

    @Test
    void subscribedWithoutRefHasNoRefField() {
        JsonNode node = parse(ServerMessages.subscribed(null, List.of()));
        assertEquals(Set.of("type", "subscriptions"), fieldNames(node));
        assertTrue(node.get("subscriptions").isArray());
        assertEquals(0, node.get("subscriptions").size());
    }

    @Test
    void unsubscribedHasTheSameShapeWithItsOwnType() {
        var state = new SubscriptionState("user:alice", null, List.of(), null, -1, null, null);
        JsonNode node = parse(ServerMessages.unsubscribed("u1", List.of(state)));
        assertEquals("unsubscribed", node.get("type").textValue());
        assertEquals("u1", node.get("ref").textValue());
        assertEquals("user:alice", node.get("subscriptions").get(0).get("channel").textValue());
    }

    @Test
    void errorCarriesCodeNameMessageAndRef() {
        JsonNode node = parse(ServerMessages.error(ErrorCode.INVALID_FIELD, "field 'events' must be an array", "r9"));
        assertEquals(Set.of("type", "code", "message", "ref"), fieldNames(node));
        assertEquals("error", node.get("type").textValue());
        assertEquals("INVALID_FIELD", node.get("code").textValue());
        assertEquals("field 'events' must be an array", node.get("message").textValue());
        assertEquals("r9", node.get("ref").textValue());
    }

    @Test
    void errorWithoutMessageUsesTheCodesDefaultAndWithoutRefHasNoRef() {
        JsonNode node = parse(ServerMessages.error(ErrorCode.RATE_LIMITED, null, null));
        assertEquals(Set.of("type", "code", "message"), fieldNames(node));
        assertEquals(ErrorCode.RATE_LIMITED.defaultMessage(), node.get("message").textValue());
    }

    @Test
    void errorMessagesAreJsonEscaped() {
        JsonNode node = parse(ServerMessages.error(ErrorCode.INVALID_FIELD, "quote \" and \\ and \n", null));
        assertEquals("quote \" and \\ and \n", node.get("message").textValue());
    }

    @Test
    void pongCarriesTimestampAndRef() {
        JsonNode node = parse(ServerMessages.pong("p1", NOW));
        assertEquals(Set.of("type", "timestamp", "ref"), fieldNames(node));
        assertEquals("pong", node.get("type").textValue());
        assertEquals(NOW_TEXT, node.get("timestamp").textValue());
        assertEquals("p1", node.get("ref").textValue());
        assertEquals(Set.of("type", "timestamp"), fieldNames(parse(ServerMessages.pong(null, NOW))));
    }

    @Test
    void pingIsExactlyTypePing() {
        assertArrayEquals("{\"type\":\"ping\"}".getBytes(StandardCharsets.UTF_8), ServerMessages.ping());
    }

    @Test
    void ackedCountsAcknowledgedAndUnknown() {
        JsonNode node = parse(ServerMessages.acked("a1", 2, 3));
        assertEquals(Set.of("type", "ref", "acknowledged", "unknown"), fieldNames(node));
        assertEquals("acked", node.get("type").textValue());
        assertEquals("a1", node.get("ref").textValue());
        assertEquals(2, node.get("acknowledged").intValue());
        assertEquals(3, node.get("unknown").intValue());
        assertFalse(parse(ServerMessages.acked(null, 0, 0)).has("ref"));
    }

    @Test
    void httpErrorBodyHasErrorAndMessage() {
        JsonNode node = parse(ServerMessages.httpError(ErrorCode.NOT_FOUND, null));
        assertEquals(Set.of("error", "message"), fieldNames(node));
        assertEquals("NOT_FOUND", node.get("error").textValue());
        assertEquals(ErrorCode.NOT_FOUND.defaultMessage(), node.get("message").textValue());
    }
}
