package io.eventgate.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.core.auth.VerifiedToken;
import io.eventgate.core.channel.Namespaces;
import io.eventgate.core.engine.Event;
import io.eventgate.core.engine.MemoryEngine;
import io.eventgate.core.engine.PublishOptions;
import io.eventgate.core.hub.Connection;
import io.eventgate.core.hub.Subscription;
import io.eventgate.core.testing.InlineLane;
import io.eventgate.core.testing.RecordingTransport;
import io.eventgate.protocol.CloseCode;
import io.eventgate.protocol.ErrorCode;
import io.eventgate.protocol.Json;
import io.eventgate.protocol.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class GatewayTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final int BURST = 5;
    private static final int CLOSE_AFTER = 3;
    private static final int MAX_SUBSCRIPTIONS = 4;
    private static final GatewaySettings DEFAULTS = GatewaySettings.defaults();
    private static final GatewaySettings SETTINGS = new GatewaySettings(Duration.ofSeconds(30), Duration.ofSeconds(75),
            60, BURST, CLOSE_AFTER, MAX_SUBSCRIPTIONS, DEFAULTS.ackTimeout(), DEFAULTS.maxRedeliveries(),
            DEFAULTS.pendingTtl(), DEFAULTS.maxPendingPerConnection());

    /**
     * Runs tasks at once and delivers enqueued events the way a real lane does: admit (which asks
     * {@link Connection#admits} and starts ACK tracking), write, flush.
     */
    static final class ImmediateLane extends InlineLane {
        Gateway gateway;

        @Override
        public boolean enqueue(Event event, Subscription[] subscribers) {
            for (Subscription s : subscribers) {
                Connection c = s.connection();
                if (gateway.admit(c, event, gateway.now())) {
                    c.transport().writeEvent(event);
                    c.transport().flush();
                }
            }
            return true;
        }
    }

    private final AtomicLong clock = new AtomicLong(T0);
    private final ImmediateLane lane = new ImmediateLane();
    private MemoryEngine engine;
    private Gateway gateway;

    @BeforeEach
    void setUp() {
        engine = new MemoryEngine(Namespaces.defaults(), clock::get);
        gateway = new Gateway(engine, Namespaces.defaults(), SETTINGS, clock::get);
        lane.gateway = gateway;
        gateway.start();
    }

    private Connection open(String userId, String... grants) {
        return gateway.open(new VerifiedToken(userId, List.of(grants), null), new RecordingTransport(lane), null);
    }

    private static RecordingTransport transport(Connection c) {
        return (RecordingTransport) c.transport();
    }

    private void send(Connection c, String singleQuoted) {
        gateway.onText(c, singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
    }

    private Event publish(String channel, String type) {
        return publish(channel, Json.MAPPER.createObjectNode().put("type", type));
    }

    private Event publish(String channel, ObjectNode event) {
        try {
            return gateway.publish(channel, event, PublishOptions.DEFAULT).join();
        } catch (ProtocolException e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode subscription(JsonNode reply, String channel) {
        for (JsonNode s : reply.get("subscriptions")) {
            if (channel.equals(s.get("channel").textValue())) {
                return s;
            }
        }
        return null;
    }

    private static List<String> channels(JsonNode reply) {
        List<String> out = new ArrayList<>();
        reply.get("subscriptions").forEach(s -> out.add(s.get("channel").textValue()));
        return out;
    }

    private static void assertError(JsonNode message, ErrorCode code, String ref) {
        assertEquals("error", message.get("type").textValue(), message.toString());
        assertEquals(code.name(), message.get("code").textValue(), message.toString());
        if (ref == null) {
            assertNull(message.get("ref"), message.toString());
        } else {
            assertEquals(ref, message.path("ref").textValue(), message.toString());
        }
    }

    @Nested
    class Open {
        @Test
        void openSendsConnected() {
            Connection c = open("alice");
            RecordingTransport t = transport(c);
            assertEquals(1, t.controls.size());
            JsonNode connected = t.controls.get(0);
            assertEquals("connected", connected.get("type").textValue());
            assertEquals("alice", connected.get("userId").textValue());
            assertEquals(c.id(), connected.get("connectionId").textValue());
            assertEquals(c.sessionId(), connected.get("sessionId").textValue());
            assertEquals(30, connected.get("heartbeatInterval").longValue());
            assertEquals(Json.timestamp(T0), connected.get("timestamp").textValue());
            assertEquals(1, gateway.hub().connectionCount());
            assertEquals(1, gateway.stats().connectionsOpened.sum());
        }

        @Test
        void connectionsGetDistinctIds() {
            Connection a = open("alice");
            Connection b = open("alice");
            assertFalse(a.id().equals(b.id()));
            assertFalse(a.sessionId().equals(b.sessionId()));
        }

        @Test
        void openSubscribesTheUserChannelToEveryType() {
            Connection c = open("alice");
            assertEquals(1, gateway.hub().subscriberCount("user:alice"));
            publish("user:alice", "a");
            publish("user:alice", "b");
            publish("user:bob", "a");
            assertEquals(List.of(1L, 2L), transport(c).eventSeqs());
            assertEquals(List.of("user:alice", "user:alice"),
                    transport(c).events.stream().map(Event::channel).toList());
        }

        @Test
        void openWithInitialEventsSubscribesOnlyThoseTypes() {
            Connection c = gateway.open(new VerifiedToken("alice", List.of(), null), new RecordingTransport(lane),
                    List.of("order.created"));
            publish("user:alice", "order.created");
            publish("user:alice", "order.paid");
            assertEquals(List.of("order.created"), transport(c).events.stream().map(Event::type).toList());
        }
    }

    @Nested
    class SubscribeAndUnsubscribe {
        @Test
        void subscribeToAPublicChannelRepliesWithTheWholeSubscription() {
            Connection c = open("alice");
            publish("market:btc", "trade");
            send(c, "{'type':'subscribe','id':'s1','channels':['market:btc']}");

            JsonNode reply = transport(c).last();
            assertEquals("subscribed", reply.get("type").textValue());
            assertEquals("s1", reply.get("ref").textValue());
            assertEquals(List.of("market:btc", "user:alice"), channels(reply), "sorted by channel");
            JsonNode market = subscription(reply, "market:btc");
            assertEquals("*", market.get("events").textValue());
            assertEquals(1, market.get("seq").longValue(), "current position of the subscribed channel");
            assertEquals(engine.position("market:btc").join().epoch(), market.get("epoch").textValue());
            assertNull(subscription(reply, "user:alice").get("seq"), "only the subscribed channels are positioned");

            publish("market:btc", "trade");
            assertEquals(List.of(2L), transport(c).eventSeqs());
        }

        @Test
        void subscribeWithEventsNarrowsTheUserChannel() {
            Connection c = open("alice");
            send(c, "{'type':'subscribe','events':['a']}");
            JsonNode reply = transport(c).last();
            assertEquals("subscribed", reply.get("type").textValue());
            assertEquals(List.of("a"), List.of(subscription(reply, "user:alice").get("events").get(0).textValue()));
            publish("user:alice", "b");
            publish("user:alice", "a");
            assertEquals(List.of("a"), transport(c).events.stream().map(Event::type).toList());
        }

        @Test
        void subscribeAgainAddsEventTypes() {
            Connection c = open("alice");
            send(c, "{'type':'subscribe','events':['a']}");
            send(c, "{'type':'subscribe','events':['b']}");
            assertEquals(Json.MAPPER.createArrayNode().add("a").add("b"),
                    subscription(transport(c).last(), "user:alice").get("events"));
            assertEquals(1, gateway.hub().subscriberCount("user:alice"), "re-subscribing replaces, never duplicates");
        }

        @Test
        void subscribeWithAnEmptyEventsListDoesNotMuteTheChannel() {
            // Subscribing adds types; adding none must not silently stop delivery (refusing it is fine too).
            Connection c = open("alice");
            send(c, "{'type':'subscribe','id':'e','events':[]}");
            boolean refused = "error".equals(transport(c).last().get("type").textValue());
            publish("user:alice", "order.created");
            assertTrue(refused || transport(c).events.size() == 1,
                    "events:[] neither refused nor harmless; reply was " + transport(c).controls.get(1)
                            + ", delivered " + transport(c).events.size() + " of 1 event");
        }

        @Test
        void subscribeWithFiltersDeliversOnlyMatchingEvents() {
            Connection c = open("alice");
            send(c, "{'type':'subscribe','channels':['market:btc'],'filters':{'minAmount':100}}");
            JsonNode market = subscription(transport(c).last(), "market:btc");
            assertEquals(100, market.get("filters").get("minAmount").intValue());
            publish("market:btc", Json.MAPPER.createObjectNode().put("type", "trade").put("amount", 50));
            publish("market:btc", Json.MAPPER.createObjectNode().put("type", "trade").put("amount", 150));
            assertEquals(List.of(2L), transport(c).eventSeqs());
        }

        @Test
        void anInvalidFilterIsRefusedNamingTheFieldAndSubscribesNothing() {
            Connection c = open("alice");
            send(c, "{'type':'subscribe','id':'f','channels':['market:btc'],'filters':{'minAmount':'x'}}");
            JsonNode error = transport(c).last();
            assertError(error, ErrorCode.INVALID_FIELD, "f");
            assertTrue(error.get("message").textValue().contains("filters.minAmount"), error.toString());
            assertEquals(0, gateway.hub().subscriberCount("market:btc"));
        }

        @Test
        void sinceForAChannelOutsideTheSubscribeIsRefused() {
            Connection c = open("alice");
            send(c, "{'type':'subscribe','id':'x','channels':['market:btc'],"
                    + "'since':{'market:eth':{'seq':0,'epoch':'e'}}}");
            assertError(transport(c).last(), ErrorCode.INVALID_FIELD, "x");
            assertEquals(0, gateway.hub().subscriberCount("market:btc"));
        }

        @Test
        void unsubscribeAChannelRepliesAndStopsDelivery() {
            Connection c = open("alice");
            send(c, "{'type':'subscribe','channels':['market:btc','market:eth']}");
            send(c, "{'type':'unsubscribe','id':'u1','channels':['market:btc']}");
            JsonNode reply = transport(c).last();
            assertEquals("unsubscribed", reply.get("type").textValue());
            assertEquals("u1", reply.get("ref").textValue());
            assertEquals(List.of("market:eth", "user:alice"), channels(reply));
            assertEquals(0, gateway.hub().subscriberCount("market:btc"));
            publish("market:btc", "trade");
            assertEquals(List.of(), transport(c).events);
        }

        @Test
        void unsubscribeEventsOfTheUserChannelExcludesThem() {
            Connection c = open("alice");
            send(c, "{'type':'unsubscribe','events':['noise']}");
            JsonNode user = subscription(transport(c).last(), "user:alice");
            assertEquals("*", user.get("events").textValue());
            assertEquals("noise", user.get("excludedEvents").get(0).textValue());
            publish("user:alice", "noise");
            publish("user:alice", "signal");
            assertEquals(List.of("signal"), transport(c).events.stream().map(Event::type).toList());
        }

        @Test
        void unsubscribeFromAChannelNotSubscribedStillReplies() {
            Connection c = open("alice");
            send(c, "{'type':'unsubscribe','id':'u','channels':['market:none']}");
            JsonNode reply = transport(c).last();
            assertEquals("unsubscribed", reply.get("type").textValue());
            assertEquals(List.of("user:alice"), channels(reply));
        }

        @Test
        void malformedAndUnknownMessagesGetAnErrorAndTheConnectionStaysOpen() {
            Connection c = open("alice");
            send(c, "{'type':'bogus','id':'b1'}");
            assertError(transport(c).last(), ErrorCode.UNKNOWN_TYPE, "b1");
            send(c, "{not json");
            assertError(transport(c).last(), ErrorCode.MALFORMED_JSON, null);
            assertEquals(List.of(), transport(c).closes);
            assertEquals(2, gateway.stats().invalidMessages.sum());
        }

        @Test
        void pingGetsPongWithRef() {
            Connection c = open("alice");
            clock.set(T0 + 5);
            send(c, "{'type':'ping','id':7}");
            JsonNode pong = transport(c).last();
            assertEquals("pong", pong.get("type").textValue());
            assertEquals("7", pong.get("ref").textValue());
            assertEquals(Json.timestamp(T0 + 5), pong.get("timestamp").textValue());
        }

        @Test
        void ackWithIdIsAnsweredAndWithoutIdIsNot() {
            Connection c = open("alice");
            send(c, "{'type':'ack','id':'a1','eventIds':['EV-1','EV-2']}");
            JsonNode acked = transport(c).last();
            assertEquals("acked", acked.get("type").textValue());
            assertEquals("a1", acked.get("ref").textValue());
            assertEquals(2, acked.get("acknowledged").intValue() + acked.get("unknown").intValue());
            int before = transport(c).controls.size();
            send(c, "{'type':'ack','eventId':'EV-3'}");
            assertEquals(before, transport(c).controls.size());
        }

        @Test
        void ackOfADeliveredAckRequiredEventCountsAsAcknowledged() {
            Connection c = open("alice");
            Event e = publish("user:alice", "order.created");
            assertTrue(e.ackRequired(), "the user namespace requires acks by default");
            assertEquals(List.of(e), transport(c).events);
            send(c, "{'type':'ack','id':'a','eventIds':['" + e.eventId() + "','EV-unknown']}");
            JsonNode acked = transport(c).last();
            assertEquals(1, acked.get("acknowledged").intValue());
            assertEquals(1, acked.get("unknown").intValue());
            send(c, "{'type':'ack','id':'b','eventId':'" + e.eventId() + "'}");
            assertEquals(0, transport(c).last().get("acknowledged").intValue(), "an event is acknowledged once");
        }
    }

    @Nested
    class Access {
        @Test
        void anotherUsersChannelIsForbidden() {
            Connection c = open("alice");
            send(c, "{'type':'subscribe','id':'s','channels':['user:bob']}");
            assertError(transport(c).last(), ErrorCode.FORBIDDEN, "s");
            assertEquals(0, gateway.hub().subscriberCount("user:bob"));
            assertEquals(1, gateway.stats().forbidden.sum());
            publish("user:bob", "secret");
            assertEquals(List.of(), transport(c).events);
        }

        @Test
        void aPrivateNamespaceWithoutAGrantIsForbidden() {
            Connection c = open("alice");
            send(c, "{'type':'subscribe','id':'p','channels':['team:red']}");
            assertError(transport(c).last(), ErrorCode.FORBIDDEN, "p");
            assertEquals(0, gateway.hub().subscriberCount("team:red"));
        }

        @Test
        void oneForbiddenChannelRefusesTheWholeSubscribe() {
            Connection c = open("alice");
            send(c, "{'type':'subscribe','channels':['market:btc','team:red']}");
            assertError(transport(c).last(), ErrorCode.FORBIDDEN, null);
            assertEquals(0, gateway.hub().subscriberCount("market:btc"));
            assertEquals(1, c.subscriptionCount());
        }

        @Test
        void anExactGrantAllowsAPrivateChannel() {
            Connection c = open("alice", "team:red");
            send(c, "{'type':'subscribe','channels':['team:red']}");
            assertEquals("subscribed", transport(c).last().get("type").textValue());
            send(c, "{'type':'subscribe','channels':['team:blue']}");
            assertError(transport(c).last(), ErrorCode.FORBIDDEN, null);
        }

        @Test
        void aPrefixGrantAllowsMatchingChannelsOnly() {
            Connection c = open("alice", "team:red-*");
            send(c, "{'type':'subscribe','channels':['team:red-1','team:red-ops']}");
            assertEquals("subscribed", transport(c).last().get("type").textValue());
            assertEquals(1, gateway.hub().subscriberCount("team:red-1"));
            send(c, "{'type':'subscribe','channels':['team:redx']}");
            assertError(transport(c).last(), ErrorCode.FORBIDDEN, null);
            send(c, "{'type':'subscribe','channels':['team:blue-1']}");
            assertError(transport(c).last(), ErrorCode.FORBIDDEN, null);
        }

        @Test
        void aGrantAllowsAnotherUsersChannel() {
            Connection c = open("support", "user:*");
            send(c, "{'type':'subscribe','channels':['user:bob']}");
            assertEquals("subscribed", transport(c).last().get("type").textValue());
            publish("user:bob", "x");
            assertEquals(1, transport(c).events.size());
        }
    }

    @Nested
    class Limits {
        @Test
        void subscriptionsPastTheLimitAreRefused() {
            Connection c = open("alice");   // user channel counts as one
            send(c, "{'type':'subscribe','channels':['market:a','market:b','market:c']}");
            assertEquals("subscribed", transport(c).last().get("type").textValue());
            assertEquals(MAX_SUBSCRIPTIONS, c.subscriptionCount());

            send(c, "{'type':'subscribe','id':'l','channels':['market:d']}");
            assertError(transport(c).last(), ErrorCode.LIMIT_EXCEEDED, "l");
            assertEquals(0, gateway.hub().subscriberCount("market:d"));
            assertEquals(MAX_SUBSCRIPTIONS, c.subscriptionCount());
        }

        @Test
        void changingAnExistingSubscriptionAtTheLimitIsAllowed() {
            Connection c = open("alice");
            send(c, "{'type':'subscribe','channels':['market:a','market:b','market:c']}");
            send(c, "{'type':'subscribe','channels':['market:a'],'events':['trade']}");
            assertEquals("subscribed", transport(c).last().get("type").textValue());
        }

        @Test
        void aBatchThatWouldExceedTheLimitAddsNothing() {
            Connection c = open("alice");
            send(c, "{'type':'subscribe','channels':['market:a']}");
            send(c, "{'type':'subscribe','channels':['market:b','market:c','market:d']}");
            assertError(transport(c).last(), ErrorCode.LIMIT_EXCEEDED, null);
            assertEquals(2, c.subscriptionCount());
            assertEquals(0, gateway.hub().subscriberCount("market:b"));
        }

        @Test
        void duplicateChannelsInOneSubscribeCountOnce() {
            Connection c = open("alice");
            send(c, "{'type':'subscribe','channels':['market:a','market:a','market:b','market:b','market:c']}");
            assertEquals("subscribed", transport(c).last().get("type").textValue());
            assertEquals(MAX_SUBSCRIPTIONS, c.subscriptionCount());
        }

        @Test
        void unsubscribingFreesRoom() {
            Connection c = open("alice");
            send(c, "{'type':'subscribe','channels':['market:a','market:b','market:c']}");
            send(c, "{'type':'unsubscribe','channels':['market:a']}");
            send(c, "{'type':'subscribe','channels':['market:d']}");
            assertEquals("subscribed", transport(c).last().get("type").textValue());
        }
    }

    @Nested
    class RateLimit {
        @Test
        void theBurstIsServedThenMessagesAreRefusedWithRef() {
            Connection c = open("alice");
            for (int i = 0; i < BURST; i++) {
                send(c, "{'type':'ping','id':'p" + i + "'}");
            }
            assertEquals(BURST, transport(c).ofType("pong").size());
            send(c, "{'type':'ping','id':'over'}");
            assertError(transport(c).last(), ErrorCode.RATE_LIMITED, "over");
            assertEquals(BURST, transport(c).ofType("pong").size(), "the refused ping is dropped");
            assertEquals(1, gateway.stats().rateLimited.sum());
            assertEquals(List.of(), transport(c).closes);
        }

        @Test
        void consecutiveRefusalsCloseWithPolicyViolation() {
            Connection c = open("alice");
            for (int i = 0; i < BURST; i++) {
                send(c, "{'type':'ping'}");
            }
            for (int i = 1; i < CLOSE_AFTER; i++) {
                send(c, "{'type':'ping'}");
                assertError(transport(c).last(), ErrorCode.RATE_LIMITED, null);
                assertEquals(List.of(), transport(c).closes, "refusal " + i + " only warns");
            }
            int controls = transport(c).controls.size();
            send(c, "{'type':'ping'}");
            assertEquals(List.of(CloseCode.POLICY_VIOLATION),
                    transport(c).closes.stream().map(RecordingTransport.Close::code).toList());
            assertEquals(controls, transport(c).controls.size(), "no error frame with the close");
            assertEquals(1, gateway.stats().rateLimitCloses.sum());
        }

        @Test
        void anAllowedMessageResetsTheConsecutiveRefusals() {
            Connection c = open("alice");
            for (int i = 0; i < BURST; i++) {
                send(c, "{'type':'ping'}");
            }
            for (int i = 1; i < CLOSE_AFTER; i++) {
                send(c, "{'type':'ping'}");
            }
            clock.set(T0 + 1_000);                      // one token refilled (60 per minute)
            send(c, "{'type':'ping','id':'ok'}");
            assertEquals("pong", transport(c).last().get("type").textValue());
            for (int i = 1; i < CLOSE_AFTER; i++) {
                send(c, "{'type':'ping'}");
                assertError(transport(c).last(), ErrorCode.RATE_LIMITED, null);
            }
            assertEquals(List.of(), transport(c).closes);
        }

        @Test
        void acksAndPongsAreExempt() {
            Connection c = open("alice");
            for (int i = 0; i < BURST; i++) {
                send(c, "{'type':'ping'}");
            }
            for (int i = 0; i < 10 * CLOSE_AFTER; i++) {
                send(c, "{'type':'pong'}");
                send(c, "{'type':'ack','id':'a" + i + "','eventId':'EV-" + i + "'}");
                assertEquals("acked", transport(c).last().get("type").textValue());
            }
            assertEquals(List.of(), transport(c).closes);
            assertEquals(List.of(), transport(c).ofType("error"));
            assertEquals(0, gateway.stats().rateLimited.sum());
        }

        @Test
        void invalidMessagesCountTowardTheLimit() {
            Connection c = open("alice");
            for (int i = 0; i < BURST; i++) {
                send(c, "garbage");
            }
            assertEquals(BURST, transport(c).ofType("error").size());
            send(c, "garbage");
            assertError(transport(c).last(), ErrorCode.RATE_LIMITED, null);
        }
    }

    @Nested
    class Heartbeat {
        @Test
        void tickSendsPingWhenDue() {
            Connection c = open("alice");
            RecordingTransport t = transport(c);
            int before = t.controls.size();
            gateway.tick(c, T0 + 29_999);
            assertEquals(before, t.controls.size());
            gateway.tick(c, T0 + 30_000);
            assertEquals(before + 1, t.controls.size());
            assertEquals("{\"type\":\"ping\"}", t.last().toString());
        }

        @Test
        void theNextPingIsOneIntervalLater() {
            Connection c = open("alice");
            RecordingTransport t = transport(c);
            gateway.activity(c);
            gateway.tick(c, T0 + 30_000);
            gateway.tick(c, T0 + 45_000);
            gateway.tick(c, T0 + 59_999);
            assertEquals(1, t.ofType("ping").size());
            gateway.tick(c, T0 + 60_000);
            assertEquals(2, t.ofType("ping").size());
        }

        @Test
        void tickClosesStaleAfterTheIdleTimeout() {
            Connection c = open("alice");
            RecordingTransport t = transport(c);
            gateway.tick(c, T0 + 75_000);
            assertEquals(List.of(), t.closes, "exactly the idle timeout is not yet stale");
            gateway.tick(c, T0 + 75_001);
            assertEquals(List.of(CloseCode.STALE), t.closes.stream().map(RecordingTransport.Close::code).toList());
            assertEquals(1, gateway.stats().staleCloses.sum());
        }

        @Test
        void activityPostponesTheIdleTimeout() {
            Connection c = open("alice");
            clock.set(T0 + 50_000);
            gateway.activity(c);
            gateway.tick(c, T0 + 75_001);
            assertEquals(List.of(), transport(c).closes);
            gateway.tick(c, T0 + 125_001);
            assertEquals(CloseCode.STALE, transport(c).closes.get(0).code());
        }

        @Test
        void anInboundMessageCountsAsActivity() {
            Connection c = open("alice");
            clock.set(T0 + 70_000);
            send(c, "{'type':'pong'}");
            gateway.tick(c, T0 + 100_000);
            assertEquals(List.of(), transport(c).closes);
        }

        @Test
        void aConnectionWithoutInboundTrafficIsPingedButNeverClosedAsStale() {
            RecordingTransport stream = new RecordingTransport(lane);
            stream.streamOnly = true;
            Connection c = gateway.open(new VerifiedToken("alice", List.of(), null), stream, null);
            for (long t = T0 + 30_000; t <= T0 + 300_000; t += 30_000) {
                gateway.tick(c, t);
            }
            assertEquals(List.of(), stream.closes);
            assertEquals(10, stream.ofType("ping").size());
        }

        @Test
        void theActivityRecordOfAConnectionWithoutInboundTrafficIsThePingTime() {
            List<Long> recorded = new ArrayList<>();
            Gateway g = new Gateway(engine, Namespaces.defaults(), SETTINGS, clock::get,
                    new io.eventgate.core.session.SessionStore() {
                        @Override
                        public void save(io.eventgate.core.session.SessionSnapshot snapshot) {
                        }

                        @Override
                        public java.util.concurrent.CompletableFuture<java.util.Optional<
                                io.eventgate.core.session.SessionSnapshot>> load(String sessionId) {
                            return java.util.concurrent.CompletableFuture.completedFuture(java.util.Optional.empty());
                        }

                        @Override
                        public void active(String connectionId, long atMillis) {
                            recorded.add(atMillis);
                        }
                    }, new io.eventgate.core.ack.MemoryPendingStore(60_000, 10_000),
                    io.eventgate.core.ack.FallbackNotifier.NONE);
            RecordingTransport ws = new RecordingTransport(lane);
            RecordingTransport stream = new RecordingTransport(lane);
            stream.streamOnly = true;
            Connection a = g.open(new VerifiedToken("alice", List.of(), null), ws, null);
            Connection b = g.open(new VerifiedToken("bob", List.of(), null), stream, null);
            g.tick(a, T0 + 60_000);
            g.tick(b, T0 + 60_000);
            // The WebSocket reports its last inbound frame (none since it opened); the stream, the ping time, so a
            // durable store does not take a live stream for a dead connection.
            assertEquals(List.of(T0, T0 + 60_000), recorded);
            g.close();
        }

        @Test
        void tickDoesNothingOnAClosedConnection() {
            Connection c = open("alice");
            gateway.closed(c);
            int before = transport(c).controls.size();
            gateway.tick(c, T0 + 1_000_000);
            assertEquals(before, transport(c).controls.size());
            assertEquals(List.of(), transport(c).closes);
        }
    }

    @Nested
    class Close {
        @Test
        void closedRemovesEverySubscriptionFromTheHub() {
            Connection c = open("alice");
            Connection other = open("bob");
            send(c, "{'type':'subscribe','channels':['market:btc','market:eth']}");
            send(other, "{'type':'subscribe','channels':['market:btc']}");
            assertEquals(5, gateway.hub().subscriptionCount());

            gateway.closed(c);

            assertEquals(0, gateway.hub().subscriberCount("user:alice"));
            assertEquals(0, gateway.hub().subscriberCount("market:eth"));
            assertEquals(1, gateway.hub().subscriberCount("market:btc"));
            assertEquals(2, gateway.hub().subscriptionCount());
            assertEquals(2, gateway.hub().channelCount());
            assertEquals(1, gateway.hub().connectionCount());
            assertEquals(1, gateway.hub().userCount());
            assertFalse(gateway.hub().hasConnections("alice"));
            assertTrue(c.isClosed());

            publish("market:btc", "trade");
            assertEquals(List.of(), transport(c).events);
            assertEquals(1, transport(other).events.size());
        }

        @Test
        void closedIsIdempotent() {
            Connection c = open("alice");
            gateway.closed(c);
            gateway.closed(c);
            assertEquals(1, gateway.stats().connectionsClosed.sum());
            assertEquals(0, gateway.hub().connectionCount());
            assertEquals(0, gateway.hub().subscriptionCount());
        }

        @Test
        void disconnectUserClosesEveryConnectionOfTheUser() {
            Connection a1 = open("alice");
            Connection a2 = open("alice");
            Connection b = open("bob");
            assertEquals(2, gateway.disconnectUser("alice", CloseCode.DISCONNECTED));
            assertEquals(CloseCode.DISCONNECTED, transport(a1).closes.get(0).code());
            assertEquals(CloseCode.DISCONNECTED, transport(a2).closes.get(0).code());
            assertEquals(List.of(), transport(b).closes);
            assertEquals(0, gateway.disconnectUser("nobody", CloseCode.DISCONNECTED));
        }
    }

    @Nested
    class Publish {
        @Test
        void publishToAnInvalidChannelIsRefused() {
            ProtocolException e = assertThrows(ProtocolException.class, () -> gateway.publish("no colon",
                    Json.MAPPER.createObjectNode().put("type", "t"), PublishOptions.DEFAULT));
            assertEquals(ErrorCode.INVALID_FIELD, e.code());
        }

        @Test
        void publishIsCountedAndSequenced() {
            Event e = publish("market:btc", "trade");
            assertNotNull(e.eventId());
            assertEquals(1, e.seq());
            assertEquals(1, gateway.stats().eventsPublished.sum());
        }
    }
}
