package io.eventgate.server.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.protocol.Json;
import io.eventgate.server.testing.TestGateway;
import io.eventgate.server.testing.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The subscription protocol: event types of the user channel, public and private channels, both filter forms,
 * per-channel ordering and the application-level ping.
 *
 * <p>That something is <i>not</i> delivered is proven without waiting for a timeout: the forbidden or filtered
 * event is published first, then a marker the client does receive; the next event frame must be the marker.
 */
class SubscriptionIT {
    private static final Pattern ISO_MILLIS_UTC = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static TestGateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateway.start();
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    // ---------------------------------------------------------------- event types of the user channel

    @Test
    void subscribeAndUnsubscribeEventTypesOfUserChannelReplyWithWholeSubscriptionAndRef() {
        String sub = unique("types");
        String channel = "user:" + sub;
        try (WsClient client = gateway.connect(sub)) {
            client.send("{\"type\":\"subscribe\",\"id\":\"s1\",\"events\":[\"transaction\",\"balance\"]}");
            JsonNode subscribed = reply(client, "s1");
            assertEquals("subscribed", subscribed.path("type").asText(), subscribed.toString());
            assertEquals(1, subscribed.path("subscriptions").size(), subscribed.toString());
            JsonNode user = state(subscribed, channel);
            assertEquals(List.of("balance", "transaction"), strings(user.path("events")), subscribed.toString());
            assertFalse(user.has("excludedEvents"), subscribed.toString());
            assertFalse(user.has("filters"), subscribed.toString());
            assertEquals(0, user.path("seq").asLong(-1), "seq of a touched channel: " + subscribed);
            assertTrue(user.path("epoch").isTextual() && !user.path("epoch").asText().isEmpty(),
                    "epoch of a touched channel: " + subscribed);
            String epoch = user.path("epoch").asText();

            publishNoAck(channel, "{\"type\":\"notification\",\"n\":1}");
            publishNoAck(channel, "{\"type\":\"transaction\",\"n\":2}");
            assertEquals(2, client.awaitEvent().path("n").asInt());

            client.send("{\"type\":\"unsubscribe\",\"id\":\"u1\",\"events\":[\"balance\"]}");
            JsonNode unsubscribed = reply(client, "u1");
            assertEquals("unsubscribed", unsubscribed.path("type").asText(), unsubscribed.toString());
            assertEquals(1, unsubscribed.path("subscriptions").size(), unsubscribed.toString());
            JsonNode after = state(unsubscribed, channel);
            assertEquals(List.of("transaction"), strings(after.path("events")), unsubscribed.toString());

            publishNoAck(channel, "{\"type\":\"balance\",\"n\":3}");
            publishNoAck(channel, "{\"type\":\"transaction\",\"n\":4}");
            assertEquals(4, client.awaitEvent().path("n").asInt(), "a type unsubscribed from was delivered");

            // The user channel was touched by the unsubscribe and is still subscribed: its position is stated.
            assertEquals(2, after.path("seq").asLong(-1), "seq of the touched channel in unsubscribed: " + unsubscribed);
            assertEquals(epoch, after.path("epoch").asText(), "epoch of the touched channel in unsubscribed: "
                    + unsubscribed);
        }
    }

    @Test
    void unsubscribingTypesFromEveryTypeExcludesThemUntilSubscribedAgain() {
        String sub = unique("excluded");
        String channel = "user:" + sub;
        try (WsClient client = gateway.connect(sub)) {
            client.send("{\"type\":\"unsubscribe\",\"id\":\"u2\",\"events\":[\"notification\"]}");
            JsonNode unsubscribed = reply(client, "u2");
            assertEquals("unsubscribed", unsubscribed.path("type").asText(), unsubscribed.toString());
            JsonNode user = state(unsubscribed, channel);
            assertEquals("*", user.path("events").asText(), unsubscribed.toString());
            assertEquals(List.of("notification"), strings(user.path("excludedEvents")), unsubscribed.toString());

            publishNoAck(channel, "{\"type\":\"notification\",\"n\":1}");
            publishNoAck(channel, "{\"type\":\"transaction\",\"n\":2}");
            assertEquals(2, client.awaitEvent().path("n").asInt(), "an excluded type was delivered");

            client.send("{\"type\":\"subscribe\",\"id\":\"s2\",\"events\":[\"notification\"]}");
            JsonNode subscribed = reply(client, "s2");
            JsonNode again = state(subscribed, channel);
            assertEquals("*", again.path("events").asText(), subscribed.toString());
            assertFalse(again.has("excludedEvents"), subscribed.toString());

            publishNoAck(channel, "{\"type\":\"notification\",\"n\":3}");
            assertEquals(3, client.awaitEvent().path("n").asInt());
        }
    }

    // ---------------------------------------------------------------- channels

    @Test
    void subscribesAndUnsubscribesPublicChannelsWithAnyToken() {
        String sub = unique("public");
        try (WsClient client = gateway.connect(sub)) {
            client.send("{\"type\":\"subscribe\",\"id\":\"c1\",\"channels\":[\"market:7f3a\",\"public:news\"]}");
            JsonNode subscribed = reply(client, "c1");
            assertEquals("subscribed", subscribed.path("type").asText(), subscribed.toString());
            assertEquals(List.of("market:7f3a", "public:news", "user:" + sub), channels(subscribed));
            for (String channel : List.of("market:7f3a", "public:news")) {
                JsonNode s = state(subscribed, channel);
                assertEquals("*", s.path("events").asText(), subscribed.toString());
                assertTrue(s.path("seq").isIntegralNumber() && s.path("seq").asLong() >= 0, subscribed.toString());
                assertTrue(s.path("epoch").isTextual(), subscribed.toString());
            }

            gateway.publish("market:7f3a", "{\"type\":\"tick\",\"n\":1}");
            JsonNode tick = client.awaitEvent();
            assertEquals("market:7f3a", tick.path("channel").asText(), tick.toString());
            assertEquals(1, tick.path("n").asInt());
            gateway.publish("public:news", "{\"type\":\"headline\",\"n\":2}");
            JsonNode news = client.awaitEvent();
            assertEquals("public:news", news.path("channel").asText(), news.toString());

            client.send("{\"type\":\"unsubscribe\",\"id\":\"c2\",\"channels\":[\"market:7f3a\"]}");
            JsonNode unsubscribed = reply(client, "c2");
            assertEquals("unsubscribed", unsubscribed.path("type").asText(), unsubscribed.toString());
            assertEquals(List.of("public:news", "user:" + sub), channels(unsubscribed));

            gateway.publish("market:7f3a", "{\"type\":\"tick\",\"n\":3}");
            gateway.publish("public:news", "{\"type\":\"headline\",\"n\":4}");
            JsonNode next = client.awaitEvent();
            assertEquals(4, next.path("n").asInt(), "event of an unsubscribed channel delivered: " + next);
        }
    }

    @Test
    void refusesPrivateChannelWithoutGrantWithForbiddenKeepsConnectionAndDeliversNothingFromIt() {
        String sub = unique("nogrant");
        try (WsClient client = gateway.connect(sub)) {
            client.send("{\"type\":\"subscribe\",\"id\":\"p1\",\"channels\":[\"chat:room1\"]}");
            JsonNode error = reply(client, "p1");
            assertEquals("error", error.path("type").asText(), error.toString());
            assertEquals("FORBIDDEN", error.path("code").asText(), error.toString());

            assertAnswersPing(client, "alive-1");
            gateway.publish("chat:room1", "{\"type\":\"message\",\"n\":1}");
            publishNoAck("user:" + sub, "{\"type\":\"notification\",\"n\":2}");
            JsonNode next = client.awaitEvent();
            assertEquals("user:" + sub, next.path("channel").asText(), "forbidden channel delivered: " + next);
            assertFalse(client.isClosed());
        }
    }

    @Test
    void allowsPrivateChannelGrantedExactlyOrByPrefixPattern() {
        try (WsClient exact = gateway.connect(unique("exact"), "chat:room1");
             WsClient prefix = gateway.connect(unique("prefix"), "chat:*")) {
            exact.send("{\"type\":\"subscribe\",\"id\":\"e1\",\"channels\":[\"chat:room1\"]}");
            JsonNode ok = reply(exact, "e1");
            assertEquals("subscribed", ok.path("type").asText(), ok.toString());
            assertNotNull(state(ok, "chat:room1"));
            exact.send("{\"type\":\"subscribe\",\"id\":\"e2\",\"channels\":[\"chat:room2\"]}");
            JsonNode refused = reply(exact, "e2");
            assertEquals("error", refused.path("type").asText(), refused.toString());
            assertEquals("FORBIDDEN", refused.path("code").asText(), refused.toString());

            prefix.send("{\"type\":\"subscribe\",\"id\":\"w1\",\"channels\":[\"chat:room1\",\"chat:room2\"]}");
            JsonNode both = reply(prefix, "w1");
            assertEquals("subscribed", both.path("type").asText(), both.toString());
            assertNotNull(state(both, "chat:room1"));
            assertNotNull(state(both, "chat:room2"));

            gateway.publish("chat:room2", "{\"type\":\"message\",\"n\":1}");
            gateway.publish("chat:room1", "{\"type\":\"message\",\"n\":2}");
            JsonNode first = prefix.awaitEvent();
            assertEquals("chat:room2", first.path("channel").asText(), first.toString());
            assertEquals("chat:room1", prefix.awaitEvent().path("channel").asText());
            JsonNode exactFirst = exact.awaitEvent();
            assertEquals("chat:room1", exactFirst.path("channel").asText(), "ungranted channel delivered: " + exactFirst);
            assertEquals(2, exactFirst.path("n").asInt());
        }
    }

    @Test
    void refusesAnotherUsersChannelWithForbidden() {
        String alice = unique("alice");
        String bob = unique("bob");
        try (WsClient client = gateway.connect(alice)) {
            client.send("{\"type\":\"subscribe\",\"id\":\"o1\",\"channels\":[\"user:" + bob + "\"]}");
            JsonNode error = reply(client, "o1");
            assertEquals("error", error.path("type").asText(), error.toString());
            assertEquals("FORBIDDEN", error.path("code").asText(), error.toString());

            publishNoAck("user:" + bob, "{\"type\":\"notification\",\"n\":1}");
            publishNoAck("user:" + alice, "{\"type\":\"notification\",\"n\":2}");
            JsonNode next = client.awaitEvent();
            assertEquals("user:" + alice, next.path("channel").asText(), "another user's event delivered: " + next);
        }
    }

    // ---------------------------------------------------------------- filters

    @Test
    void shorthandFilterDeliversOnlyMatchingAmountsAndStatusFromBodyNamedAfterTypeOrTopLevel() {
        String sub = unique("shorthand");
        String channel = "user:" + sub;
        try (WsClient client = gateway.connect(sub)) {
            client.send("{\"type\":\"subscribe\",\"id\":\"f1\","
                    + "\"filters\":{\"minAmount\":1000,\"maxAmount\":1000000,\"status\":\"SUCCESS\"}}");
            JsonNode subscribed = reply(client, "f1");
            assertEquals("subscribed", subscribed.path("type").asText(), subscribed.toString());
            assertEquals(Json.MAPPER.createObjectNode().put("minAmount", 1000).put("maxAmount", 1000000)
                    .put("status", "SUCCESS"), state(subscribed, channel).path("filters"), subscribed.toString());

            String[] events = {
                    txn("below", "500", "SUCCESS"),
                    txn("pass-1", "5000", "SUCCESS"),
                    txn("above", "2000000", "SUCCESS"),
                    txn("failed", "5000", "FAILED"),
                    "{\"type\":\"transaction\",\"id\":\"no-amount\",\"transaction\":{\"status\":\"SUCCESS\"}}",
                    "{\"type\":\"transaction\",\"id\":\"string-amount\",\"transaction\":{\"amount\":\"5000\",\"status\":\"SUCCESS\"}}",
                    "{\"type\":\"payout\",\"id\":\"pass-2\",\"amount\":2500,\"status\":\"SUCCESS\"}",
                    "{\"type\":\"payout\",\"id\":\"top-level-below\",\"amount\":10,\"status\":\"SUCCESS\"}",
                    "{\"type\":\"transaction\",\"id\":\"body-wins\",\"amount\":5000,\"status\":\"SUCCESS\","
                            + "\"transaction\":{\"amount\":1,\"status\":\"SUCCESS\"}}",
                    "{\"type\":\"notification\",\"id\":\"no-fields\"}",
                    txn("pass-3", "1000", "SUCCESS"),
                    txn("lower-case-status", "5000", "success"),
                    txn("pass-4", "1000000.00", "SUCCESS"),
            };
            for (String event : events) {
                publishNoAck(channel, event);
            }
            List<String> delivered = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                delivered.add(client.awaitEvent().path("id").asText());
            }
            assertEquals(List.of("pass-1", "pass-2", "pass-3", "pass-4"), delivered);
        }
    }

    @Test
    void whereFilterOnMarketChannelDeliversOnlyEventsWhosePathPasses() {
        String sub = unique("where");
        String market = "market:" + unique("pair");
        try (WsClient client = gateway.connect(sub)) {
            client.send("{\"type\":\"subscribe\",\"id\":\"g1\",\"channels\":[\"" + market + "\"],"
                    + "\"filters\":{\"where\":[{\"path\":\"data.price\",\"op\":\"gte\",\"value\":0.5}]}}");
            JsonNode subscribed = reply(client, "g1");
            assertEquals("subscribed", subscribed.path("type").asText(), subscribed.toString());
            JsonNode where = state(subscribed, market).path("filters").path("where");
            assertEquals(1, where.size(), subscribed.toString());
            assertEquals("data.price", where.get(0).path("path").asText());
            assertEquals("gte", where.get(0).path("op").asText());
            assertEquals(0, where.get(0).path("value").decimalValue().compareTo(new java.math.BigDecimal("0.5")));
            assertFalse(state(subscribed, "user:" + sub).has("filters"), "the filter applies to the targets only");

            String[] events = {
                    tick("low", "{\"price\":0.4}"),
                    tick("pass-1", "{\"price\":0.75}"),
                    tick("no-price", "{\"volume\":3}"),
                    "{\"type\":\"tick\",\"id\":\"no-data\",\"price\":0.9}",
                    tick("string-price", "{\"price\":\"0.9\"}"),
                    tick("pass-2", "{\"price\":0.5}"),
                    tick("just-below", "{\"price\":0.49999}"),
                    tick("pass-3", "{\"price\":12}"),
            };
            for (String event : events) {
                gateway.publish(market, event);
            }
            List<String> delivered = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                delivered.add(client.awaitEvent().path("id").asText());
            }
            assertEquals(List.of("pass-1", "pass-2", "pass-3"), delivered);
        }
    }

    @Test
    void refusesInvalidFilterWithInvalidFieldNamingTheFieldAndKeepsConnection() {
        String sub = unique("badfilter");
        String market = "market:" + unique("bad");
        try (WsClient client = gateway.connect(sub)) {
            assertInvalidFilter(client, "b1", "{\"minAmount\":\"lots\"}", "filters.minAmount");
            assertInvalidFilter(client, "b2", "{\"minimum\":1}", "filters.minimum");
            assertInvalidFilter(client, "b3", "{\"minAmount\":10,\"maxAmount\":1}", "filters.minAmount");
            assertInvalidFilter(client, "b4", "{\"where\":[{\"path\":\"data.price\",\"op\":\"between\",\"value\":1}]}",
                    "filters.where[0].op");
            assertInvalidFilter(client, "b5", "{\"where\":[{\"path\":\"\",\"op\":\"eq\",\"value\":1}]}",
                    "filters.where[0].path");
            assertInvalidFilter(client, "b6", "{\"where\":[{\"path\":\"a\",\"op\":\"gt\",\"value\":true}]}",
                    "filters.where[0].value");

            // A refused subscribe changes nothing: the channel it named was not subscribed.
            client.send("{\"type\":\"subscribe\",\"id\":\"b7\",\"channels\":[\"" + market + "\"],"
                    + "\"filters\":{\"status\":[]}}");
            JsonNode error = reply(client, "b7");
            assertEquals("INVALID_FIELD", error.path("code").asText(), error.toString());
            assertTrue(error.path("message").asText().contains("filters.status"), error.toString());
            gateway.publish(market, "{\"type\":\"tick\",\"n\":1}");
            publishNoAck("user:" + sub, "{\"type\":\"notification\",\"n\":2}");
            JsonNode next = client.awaitEvent();
            assertEquals(2, next.path("n").asInt(), "a refused subscribe took effect: " + next);

            assertAnswersPing(client, "still-open");
            assertFalse(client.isClosed());
        }
    }

    // ---------------------------------------------------------------- ordering

    @Test
    void deliversTenThousandEventsOfOneChannelInStrictSeqOrderWithoutGapOrDuplicate() {
        String sub = unique("order");
        String channel = "user:" + sub;
        int total = 10_000;
        int chunk = 1_000;
        try (WsClient client = gateway.connect(sub)) {
            for (int start = 1; start <= total; start += chunk) {
                StringBuilder body = new StringBuilder(chunk * 80).append("{\"items\":[");
                for (int n = start; n < start + chunk; n++) {
                    if (n > start) {
                        body.append(',');
                    }
                    // ack:false: this test is about order; unacknowledged user events would be redelivered.
                    body.append("{\"channel\":\"").append(channel).append("\",\"ack\":false,")
                            .append("\"event\":{\"type\":\"tick\",\"n\":").append(n).append("}}");
                }
                body.append("]}");
                TestGateway.Response response = gateway.post("/api/v1/publish/batch", body.toString());
                assertEquals(200, response.status(), response.body());
                assertEquals(chunk, response.json().path("published").asInt(), response.body());
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> events(client, channel).size() >= total);
            // A last event: everything sent before it has arrived once it has, so late duplicates would show.
            publishNoAck(channel, "{\"type\":\"tick\",\"n\":" + (total + 1) + "}");
            await().atMost(Duration.ofSeconds(10)).until(() -> events(client, channel).stream()
                    .anyMatch(e -> e.path("n").asInt() == total + 1));

            List<JsonNode> received = events(client, channel);
            assertEquals(total + 1, received.size(), "events received");
            for (int i = 0; i < received.size(); i++) {
                JsonNode event = received.get(i);
                assertEquals(i + 1, event.path("seq").asLong(), "seq at position " + i + ": " + event);
                assertEquals(i + 1, event.path("n").asInt(), "event at position " + i + ": " + event);
            }
            assertFalse(client.isClosed(), "closed with " + (client.isClosed() ? client.awaitClose() : 0));
        }
    }

    // ---------------------------------------------------------------- ping

    @Test
    void answersPingWithPongEchoingIdAsRef() {
        try (WsClient client = gateway.connect(unique("ping"))) {
            client.send("{\"type\":\"ping\",\"id\":\"p1\"}");
            JsonNode pong = client.awaitType("pong");
            assertEquals("p1", pong.path("ref").asText(), pong.toString());
            assertTrue(pong.path("timestamp").isTextual()
                    && ISO_MILLIS_UTC.matcher(pong.path("timestamp").asText()).matches(), pong.toString());
        }
    }

    // ---------------------------------------------------------------- helpers

    private static String unique(String prefix) {
        return prefix + "-" + NAMES.incrementAndGet();
    }

    /** Publishes without ACK tracking, so no redelivery can interleave with the events a test expects. */
    private static void publishNoAck(String channel, String eventJson) {
        TestGateway.Response r = gateway.post("/api/v1/publish",
                "{\"channel\":\"" + channel + "\",\"ack\":false,\"event\":" + eventJson + "}");
        assertEquals(200, r.status(), r.body());
    }

    private static String txn(String id, String amount, String status) {
        return "{\"type\":\"transaction\",\"id\":\"" + id + "\",\"transaction\":{\"amount\":" + amount
                + ",\"status\":\"" + status + "\"}}";
    }

    private static String tick(String id, String data) {
        return "{\"type\":\"tick\",\"id\":\"" + id + "\",\"data\":" + data + "}";
    }

    /** The next frame answering the client message with {@code id}. */
    private static JsonNode reply(WsClient client, String id) {
        return client.await(n -> id.equals(n.path("ref").asText(null)));
    }

    private static JsonNode state(JsonNode reply, String channel) {
        for (JsonNode s : reply.path("subscriptions")) {
            if (channel.equals(s.path("channel").asText())) {
                return s;
            }
        }
        throw new AssertionError("no subscription to " + channel + " in " + reply);
    }

    private static List<String> channels(JsonNode reply) {
        List<String> out = new ArrayList<>();
        reply.path("subscriptions").forEach(s -> out.add(s.path("channel").asText()));
        return out;
    }

    private static List<String> strings(JsonNode array) {
        assertTrue(array.isArray(), "not an array: " + array);
        List<String> out = new ArrayList<>();
        array.forEach(s -> out.add(s.asText()));
        return out;
    }

    private static List<JsonNode> events(WsClient client, String channel) {
        return client.received().stream()
                .filter(n -> WsClient.isEvent(n) && channel.equals(n.path("channel").asText()))
                .toList();
    }

    private static void assertAnswersPing(WsClient client, String id) {
        client.send("{\"type\":\"ping\",\"id\":\"" + id + "\"}");
        JsonNode pong = reply(client, id);
        assertEquals("pong", pong.path("type").asText(), pong.toString());
    }

    private static void assertInvalidFilter(WsClient client, String id, String filters, String field) {
        client.send("{\"type\":\"subscribe\",\"id\":\"" + id + "\",\"filters\":" + filters + "}");
        JsonNode error = reply(client, id);
        assertEquals("error", error.path("type").asText(), error.toString());
        assertEquals("INVALID_FIELD", error.path("code").asText(), error.toString());
        assertTrue(error.path("message").asText().contains(field), "message should name " + field + ": " + error);
        assertNull(error.get("subscriptions"));
    }
}
