package io.eventgate.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClientMessageDecoderTest {

    /** JSON written with single quotes for readability. */
    static String q(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    static ClientMessage decode(String singleQuoted) {
        try {
            return ClientMessageDecoder.decode(q(singleQuoted));
        } catch (ProtocolException e) {
            throw new AssertionError("unexpected refusal of " + singleQuoted + ": " + e.code() + " " + e.getMessage(), e);
        }
    }

    static ProtocolException refuse(String singleQuoted) {
        return assertThrows(ProtocolException.class, () -> ClientMessageDecoder.decode(q(singleQuoted)),
                () -> "expected a refusal of " + singleQuoted);
    }

    static void assertRefused(String singleQuoted, ErrorCode code, String messageMentions) {
        ProtocolException e = refuse(singleQuoted);
        assertEquals(code, e.code(), () -> "code for " + singleQuoted + " (message: " + e.getMessage() + ")");
        assertTrue(e.getMessage().contains(messageMentions),
                () -> "message '" + e.getMessage() + "' should mention '" + messageMentions + "'");
    }

    static String repeat(String s, int n) {
        return s.repeat(n);
    }

    static String quotedList(String prefix, int n) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append('\'').append(prefix).append(i).append('\'');
        }
        return sb.append(']').toString();
    }

    @Nested
    class Subscribe {
        @Test
        void subscribeWithEventsOnlyTargetsTheUserChannel() {
            var s = assertInstanceOf(ClientMessage.Subscribe.class,
                    decode("{'type':'subscribe','events':['order.created','order.paid']}"));
            assertEquals(List.of("order.created", "order.paid"), s.events());
            assertNull(s.channels());
            assertNull(s.filters());
            assertNull(s.since());
            assertNull(s.id());
        }

        @Test
        void subscribeWithChannelsKeepsTheirOrder() {
            var s = assertInstanceOf(ClientMessage.Subscribe.class,
                    decode("{'type':'subscribe','channels':['market:btc-usd','public:news']}"));
            assertEquals(List.of("market:btc-usd", "public:news"), s.channels());
            assertNull(s.events());
        }

        @Test
        void subscribeKeepsTheRawFilterObject() {
            var s = assertInstanceOf(ClientMessage.Subscribe.class,
                    decode("{'type':'subscribe','channels':['market:x'],'filters':{'minAmount':1000}}"));
            assertTrue(s.filters().isObject());
            assertEquals(1000, s.filters().get("minAmount").intValue());
        }

        @Test
        void subscribeAcceptsTheArrayFormOfFilters() {
            var s = assertInstanceOf(ClientMessage.Subscribe.class,
                    decode("{'type':'subscribe','filters':[{'path':'a','op':'exists'}]}"));
            assertTrue(s.filters().isArray());
        }

        @Test
        void subscribeTreatsNullFiltersAsAbsent() {
            var s = assertInstanceOf(ClientMessage.Subscribe.class,
                    decode("{'type':'subscribe','events':['a'],'filters':null}"));
            assertNull(s.filters());
        }

        @ParameterizedTest
        @ValueSource(strings = {"'x'", "1", "true"})
        void subscribeRefusesFiltersThatAreNeitherObjectNorArray(String filters) {
            assertRefused("{'type':'subscribe','events':['a'],'filters':" + filters + "}",
                    ErrorCode.INVALID_FIELD, "'filters'");
        }

        @Test
        void subscribeParsesSincePositionsPerChannel() {
            var s = assertInstanceOf(ClientMessage.Subscribe.class, decode(
                    "{'type':'subscribe','channels':['market:a','market:b'],"
                            + "'since':{'market:a':{'seq':41,'epoch':'e1'},'market:b':{'seq':0,'epoch':'e2'}}}"));
            assertEquals(Map.of("market:a", new StreamPosition(41, "e1"), "market:b", new StreamPosition(0, "e2")),
                    s.since());
        }

        @Test
        void subscribeWithOnlySinceIsAccepted() {
            var s = assertInstanceOf(ClientMessage.Subscribe.class,
                    decode("{'type':'subscribe','since':{'user:42':{'seq':3,'epoch':'e'}}}"));
            assertEquals(new StreamPosition(3, "e"), s.since().get("user:42"));
        }

        @Test
        void subscribeWithNothingToDoIsRefused() {
            assertRefused("{'type':'subscribe'}", ErrorCode.INVALID_FIELD, "subscribe needs");
        }

        @Test
        void subscribeWithOnlyNullFieldsIsRefused() {
            assertRefused("{'type':'subscribe','events':null,'channels':null,'filters':null,'since':null}",
                    ErrorCode.INVALID_FIELD, "subscribe needs");
        }

        @Test
        void decodedListsAreImmutable() {
            var s = assertInstanceOf(ClientMessage.Subscribe.class,
                    decode("{'type':'subscribe','events':['a'],'channels':['market:x']}"));
            assertThrows(UnsupportedOperationException.class, () -> s.events().add("b"));
            assertThrows(UnsupportedOperationException.class, () -> s.channels().add("market:y"));
        }
    }

    @Nested
    class Unsubscribe {
        @Test
        void unsubscribeEventsOfTheUserChannel() {
            var u = assertInstanceOf(ClientMessage.Unsubscribe.class,
                    decode("{'type':'unsubscribe','events':['a','b'],'id':'u1'}"));
            assertEquals(List.of("a", "b"), u.events());
            assertNull(u.channels());
            assertEquals("u1", u.id());
        }

        @Test
        void unsubscribeChannels() {
            var u = assertInstanceOf(ClientMessage.Unsubscribe.class,
                    decode("{'type':'unsubscribe','channels':['market:x']}"));
            assertEquals(List.of("market:x"), u.channels());
            assertNull(u.events());
        }

        @Test
        void unsubscribeWithoutEventsOrChannelsIsRefused() {
            assertRefused("{'type':'unsubscribe'}", ErrorCode.INVALID_FIELD, "unsubscribe needs");
        }

        @Test
        void unsubscribeValidatesChannelNames() {
            assertRefused("{'type':'unsubscribe','channels':['bad channel']}", ErrorCode.INVALID_FIELD, "channels[0]");
        }
    }

    @Nested
    class Ack {
        @Test
        void ackWithASingleEventId() {
            var a = assertInstanceOf(ClientMessage.Ack.class, decode("{'type':'ack','eventId':'EV-1'}"));
            assertEquals(List.of("EV-1"), a.eventIds());
        }

        @Test
        void ackWithEventIds() {
            var a = assertInstanceOf(ClientMessage.Ack.class, decode("{'type':'ack','eventIds':['EV-1','EV-2']}"));
            assertEquals(List.of("EV-1", "EV-2"), a.eventIds());
        }

        @Test
        void ackWithBothFormsCombinesThemSingleFirst() {
            var a = assertInstanceOf(ClientMessage.Ack.class,
                    decode("{'type':'ack','eventId':'EV-0','eventIds':['EV-1','EV-2']}"));
            assertEquals(List.of("EV-0", "EV-1", "EV-2"), a.eventIds());
        }

        @Test
        void ackWithoutIdsIsRefused() {
            assertRefused("{'type':'ack'}", ErrorCode.INVALID_FIELD, "ack needs");
        }

        @Test
        void ackWithAnEmptyEventIdsListIsRefused() {
            assertRefused("{'type':'ack','eventIds':[]}", ErrorCode.INVALID_FIELD, "'eventIds' must not be empty");
        }

        @ParameterizedTest
        @ValueSource(strings = {"''", "1", "['EV-1']", "{}"})
        void ackWithAnInvalidEventIdIsRefusedNamingTheField(String value) {
            assertRefused("{'type':'ack','eventId':" + value + "}", ErrorCode.INVALID_FIELD, "'eventId'");
        }

        @Test
        void ackWithEventIdsNotAnArrayIsRefused() {
            assertRefused("{'type':'ack','eventIds':'EV-1'}", ErrorCode.INVALID_FIELD, "'eventIds'");
        }

        @Test
        void ackWithAnEmptyStringInEventIdsIsRefusedNamingTheIndex() {
            assertRefused("{'type':'ack','eventIds':['EV-1','']}", ErrorCode.INVALID_FIELD, "eventIds[1]");
        }

        @Test
        void ackAcceptsUpToMaxAckIds() {
            var a = assertInstanceOf(ClientMessage.Ack.class, decode("{'type':'ack','eventIds':"
                    + quotedList("EV-", ClientMessageDecoder.MAX_ACK_IDS) + "}"));
            assertEquals(ClientMessageDecoder.MAX_ACK_IDS, a.eventIds().size());
        }

        @Test
        void ackWithMoreThanMaxAckIdsIsRefused() {
            assertRefused("{'type':'ack','eventIds':" + quotedList("EV-", ClientMessageDecoder.MAX_ACK_IDS + 1) + "}",
                    ErrorCode.INVALID_FIELD, "'eventIds' has more than " + ClientMessageDecoder.MAX_ACK_IDS);
        }
    }

    @Nested
    class PingPong {
        @Test
        void ping() {
            var p = assertInstanceOf(ClientMessage.Ping.class, decode("{'type':'ping','id':'p1'}"));
            assertEquals("p1", p.id());
        }

        @Test
        void pong() {
            var p = assertInstanceOf(ClientMessage.Pong.class, decode("{'type':'pong'}"));
            assertNull(p.id());
        }

        @Test
        void unknownFieldsAreIgnored() {
            assertInstanceOf(ClientMessage.Ping.class, decode("{'type':'ping','extra':{'a':[1,2]}}"));
        }
    }

    @Nested
    class Id {
        @Test
        void stringIdIsEchoed() {
            assertEquals("abc-1", decode("{'type':'ping','id':'abc-1'}").id());
        }

        @Test
        void integerIdIsEchoedAsItsDecimalText() {
            assertEquals("42", decode("{'type':'ping','id':42}").id());
            assertEquals("-7", decode("{'type':'ping','id':-7}").id());
            assertEquals("123456789012345678901234567890",
                    decode("{'type':'ping','id':123456789012345678901234567890}").id());
        }

        @Test
        void nullIdMeansNoId() {
            assertNull(decode("{'type':'ping','id':null}").id());
        }

        @Test
        void idOfMaxLengthIsAccepted() {
            String id = "x".repeat(ClientMessageDecoder.MAX_ID_LENGTH);
            assertEquals(id, decode("{'type':'ping','id':'" + id + "'}").id());
        }

        @ParameterizedTest
        @ValueSource(strings = {"1.5", "true", "{}", "['a']"})
        void idsOfOtherTypesAreRefused(String id) {
            assertRefused("{'type':'ping','id':" + id + "}", ErrorCode.INVALID_FIELD, "'id'");
        }

        @Test
        void idLongerThanMaxIsRefused() {
            assertRefused("{'type':'ping','id':'" + "x".repeat(ClientMessageDecoder.MAX_ID_LENGTH + 1) + "'}",
                    ErrorCode.INVALID_FIELD, "'id'");
        }
    }

    @Nested
    class MalformedJson {
        @ParameterizedTest
        @ValueSource(strings = {"{", "not json", "{'type':'ping',}", "{'type':'ping'", "", "   "})
        void unparsableInputIsMalformedJson(String input) {
            assertRefused(input, ErrorCode.MALFORMED_JSON, "JSON");
        }

        @ParameterizedTest
        @ValueSource(strings = {"[]", "[{'type':'ping'}]", "'ping'", "42", "null", "true"})
        void aNonObjectIsMalformedJson(String input) {
            assertRefused(input, ErrorCode.MALFORMED_JSON, "JSON object");
        }

        @ParameterizedTest
        @ValueSource(strings = {"{'type':'ping'} x", "{'type':'ping'}{}", "{'type':'ping'} 1", "{'type':'ping'}]"})
        void trailingGarbageIsMalformedJson(String input) {
            ProtocolException e = refuse(input);
            assertEquals(ErrorCode.MALFORMED_JSON, e.code(), e.getMessage());
        }

        @Test
        void trailingWhitespaceIsFine() {
            assertInstanceOf(ClientMessage.Ping.class, decode("{'type':'ping'}  \n\t "));
        }

        /** An object whose total nesting depth (the root object counting 1) is {@code depth}. */
        private String nested(int depth) {
            int arrays = depth - 1;
            return "{'type':'ping','deep':" + "[".repeat(arrays) + "]".repeat(arrays) + "}";
        }

        @Test
        void nestingUpToTheMaximumDepthIsAccepted() {
            assertInstanceOf(ClientMessage.Ping.class, decode(nested(Json.MAX_NESTING_DEPTH)));
        }

        @Test
        void nestingDeeperThanTheMaximumIsMalformedJson() {
            assertRefused(nested(Json.MAX_NESTING_DEPTH + 1), ErrorCode.MALFORMED_JSON, "malformed JSON");
        }

        @Test
        void veryDeepNestingIsRefusedWithoutStackOverflow() {
            assertRefused(nested(100_000), ErrorCode.MALFORMED_JSON, "malformed JSON");
        }

        @Test
        void malformedJsonHasNoRef() {
            assertNull(refuse("{'type':'ping','id':'r1'").ref());
        }

        @Test
        void malformedJsonMessageIsShort() {
            ProtocolException e = refuse("{'type':'" + "x".repeat(5000));
            assertTrue(e.getMessage().length() < 200, e.getMessage());
        }
    }

    @Nested
    class Bytes {
        @Test
        void bytesDecodeLikeText() throws ProtocolException {
            var s = assertInstanceOf(ClientMessage.Subscribe.class, ClientMessageDecoder.decode(
                    q("{'type':'subscribe','id':7,'channels':['market:x'],'events':['a']}").getBytes(StandardCharsets.UTF_8)));
            assertEquals(List.of("market:x"), s.channels());
            assertEquals(List.of("a"), s.events());
            assertEquals("7", s.id());
        }

        @Test
        void utf8TextInBytesIsDecoded() throws ProtocolException {
            var p = ClientMessageDecoder.decode(q("{'type':'ping','id':'\u00e9\u4e2d'}").getBytes(StandardCharsets.UTF_8));
            assertEquals("\u00e9\u4e2d", p.id());
        }

        @Test
        void invalidUtf8IsMalformedJson() {
            byte[] bytes = {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
            ProtocolException e = assertThrows(ProtocolException.class, () -> ClientMessageDecoder.decode(bytes));
            assertEquals(ErrorCode.MALFORMED_JSON, e.code());
        }

        @Test
        void trailingGarbageInBytesIsMalformedJson() {
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> ClientMessageDecoder.decode(q("{'type':'ping'} x").getBytes(StandardCharsets.UTF_8)));
            assertEquals(ErrorCode.MALFORMED_JSON, e.code());
        }

        @Test
        void tooDeepNestingInBytesIsMalformedJson() {
            int arrays = Json.MAX_NESTING_DEPTH;
            String json = q("{'type':'ping','deep':" + "[".repeat(arrays) + "]".repeat(arrays) + "}");
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> ClientMessageDecoder.decode(json.getBytes(StandardCharsets.UTF_8)));
            assertEquals(ErrorCode.MALFORMED_JSON, e.code());
        }
    }

    @Nested
    class UnknownType {
        @Test
        void missingTypeIsUnknownType() {
            assertRefused("{'id':'1'}", ErrorCode.UNKNOWN_TYPE, "'type'");
        }

        @ParameterizedTest
        @ValueSource(strings = {"1", "null", "['ping']", "{}"})
        void nonStringTypeIsUnknownType(String type) {
            assertRefused("{'type':" + type + "}", ErrorCode.UNKNOWN_TYPE, "'type'");
        }

        @ParameterizedTest
        @ValueSource(strings = {"publish", "Ping", "PING", "subscribe ", ""})
        void unknownTypeIsRefusedNamingIt(String type) {
            assertRefused("{'type':'" + type + "'}", ErrorCode.UNKNOWN_TYPE, "'" + type + "'");
        }

        @Test
        void aHugeUnknownTypeIsTruncatedInTheMessage() {
            ProtocolException e = refuse("{'type':'" + "z".repeat(10_000) + "'}");
            assertEquals(ErrorCode.UNKNOWN_TYPE, e.code());
            assertTrue(e.getMessage().length() < 200, e.getMessage());
        }
    }

    @Nested
    class InvalidField {
        @ParameterizedTest
        @ValueSource(strings = {"'a'", "1", "{}", "true"})
        void eventsNotAnArrayIsRefused(String events) {
            assertRefused("{'type':'subscribe','events':" + events + "}", ErrorCode.INVALID_FIELD, "'events'");
        }

        @ParameterizedTest
        @ValueSource(strings = {"''", "1", "null", "['a']"})
        void eventsEntryNotANonEmptyStringIsRefusedNamingTheIndex(String entry) {
            assertRefused("{'type':'subscribe','events':['ok'," + entry + "]}", ErrorCode.INVALID_FIELD, "events[1]");
        }

        @Test
        void eventTypeOfMaxLengthIsAccepted() {
            String type = "t".repeat(ClientMessageDecoder.MAX_EVENT_TYPE_LENGTH);
            var s = assertInstanceOf(ClientMessage.Subscribe.class,
                    decode("{'type':'subscribe','events':['" + type + "']}"));
            assertEquals(List.of(type), s.events());
        }

        @Test
        void eventTypeLongerThanMaxIsRefused() {
            assertRefused("{'type':'subscribe','events':['" + "t".repeat(ClientMessageDecoder.MAX_EVENT_TYPE_LENGTH + 1)
                    + "']}", ErrorCode.INVALID_FIELD, "events[0]");
        }

        @Test
        void maxListSizeEventsAreAccepted() {
            var s = assertInstanceOf(ClientMessage.Subscribe.class, decode("{'type':'subscribe','events':"
                    + quotedList("e", ClientMessageDecoder.MAX_LIST_SIZE) + "}"));
            assertEquals(ClientMessageDecoder.MAX_LIST_SIZE, s.events().size());
        }

        @Test
        void tooManyEventsAreRefused() {
            assertRefused("{'type':'subscribe','events':" + quotedList("e", ClientMessageDecoder.MAX_LIST_SIZE + 1) + "}",
                    ErrorCode.INVALID_FIELD, "'events' has more than " + ClientMessageDecoder.MAX_LIST_SIZE);
        }

        @Test
        void tooManyChannelsAreRefused() {
            assertRefused("{'type':'subscribe','channels':"
                            + quotedList("market:c", ClientMessageDecoder.MAX_LIST_SIZE + 1) + "}",
                    ErrorCode.INVALID_FIELD, "'channels' has more than " + ClientMessageDecoder.MAX_LIST_SIZE);
        }

        @ParameterizedTest
        @ValueSource(strings = {"'market:x'", "{}", "1"})
        void channelsNotAnArrayIsRefused(String channels) {
            assertRefused("{'type':'subscribe','channels':" + channels + "}", ErrorCode.INVALID_FIELD, "'channels'");
        }

        @ParameterizedTest
        @ValueSource(strings = {"nocolon", ":name", "market:", "Market:x", "mar ket:x", "market:a b", "market:*",
                "market:a/b", "market:\u00e9", "ns.x:y"})
        void badChannelNamesAreRefusedNamingTheIndexAndReason(String channel) {
            ProtocolException e = refuse("{'type':'subscribe','channels':['market:ok','" + channel + "']}");
            assertEquals(ErrorCode.INVALID_FIELD, e.code());
            assertTrue(e.getMessage().startsWith("channels[1]: "), e.getMessage());
            assertTrue(e.getMessage().endsWith(ChannelNames.problem(channel)), e.getMessage());
        }

        @Test
        void emptyChannelStringIsRefused() {
            assertRefused("{'type':'subscribe','channels':['']}", ErrorCode.INVALID_FIELD, "channels[0]");
        }

        @Test
        void channelNamespaceLongerThanMaxIsRefused() {
            assertRefused("{'type':'subscribe','channels':['" + "n".repeat(ChannelNames.MAX_NAMESPACE_LENGTH + 1)
                    + ":x']}", ErrorCode.INVALID_FIELD, "channels[0]: channel namespace longer than");
        }

        @Test
        void channelNameLongerThanMaxIsRefused() {
            assertRefused("{'type':'subscribe','channels':['ns:" + "a".repeat(ChannelNames.MAX_NAME_LENGTH + 1)
                    + "']}", ErrorCode.INVALID_FIELD, "channels[0]: channel name longer than");
        }

        @ParameterizedTest
        @ValueSource(strings = {"[]", "'x'", "1"})
        void sinceNotAnObjectIsRefused(String since) {
            assertRefused("{'type':'subscribe','since':" + since + "}", ErrorCode.INVALID_FIELD, "'since'");
        }

        @Test
        void sinceWithABadChannelNameIsRefused() {
            assertRefused("{'type':'subscribe','since':{'bad':{'seq':1,'epoch':'e'}}}",
                    ErrorCode.INVALID_FIELD, "since.bad: ");
        }

        @ParameterizedTest
        @ValueSource(strings = {"{'epoch':'e'}", "{'seq':-1,'epoch':'e'}", "{'seq':'1','epoch':'e'}",
                "{'seq':1.5,'epoch':'e'}", "{'seq':null,'epoch':'e'}", "5", "'x'", "[1]"})
        void sinceWithAMalformedSeqIsRefused(String position) {
            assertRefused("{'type':'subscribe','since':{'market:x':" + position + "}}",
                    ErrorCode.INVALID_FIELD, "since.market:x.seq");
        }

        @ParameterizedTest
        @ValueSource(strings = {"18446744073709551621", "9223372036854775808", "1e30"})
        void sinceWithASeqBeyondTheLongRangeIsRefusedNotWrapped(String seq) {
            // 2^64 + 5 must not silently become seq 5 (BigInteger.longValue() wraps).
            assertRefused("{'type':'subscribe','since':{'market:x':{'seq':" + seq + ",'epoch':'e'}}}",
                    ErrorCode.INVALID_FIELD, "since.market:x.seq");
        }

        @Test
        void sinceAcceptsTheLargestLongSeq() {
            var s = assertInstanceOf(ClientMessage.Subscribe.class, decode(
                    "{'type':'subscribe','since':{'market:x':{'seq':" + Long.MAX_VALUE + ",'epoch':'e'}}}"));
            assertEquals(Long.MAX_VALUE, s.since().get("market:x").seq());
        }

        @ParameterizedTest
        @ValueSource(strings = {"{'seq':1}", "{'seq':1,'epoch':1}", "{'seq':1,'epoch':null}"})
        void sinceWithAMalformedEpochIsRefused(String position) {
            assertRefused("{'type':'subscribe','since':{'market:x':" + position + "}}",
                    ErrorCode.INVALID_FIELD, "since.market:x.epoch");
        }

        @Test
        void sinceWithTooManyChannelsIsRefused() {
            StringBuilder sb = new StringBuilder("{'type':'subscribe','since':{");
            for (int i = 0; i <= ClientMessageDecoder.MAX_LIST_SIZE; i++) {
                sb.append(i > 0 ? "," : "").append("'market:c").append(i).append("':{'seq':0,'epoch':'e'}");
            }
            assertRefused(sb.append("}}").toString(), ErrorCode.INVALID_FIELD, "'since' has more than");
        }
    }

    @Nested
    class Ref {
        @Test
        void unknownTypeRefusalCarriesTheStringId() {
            assertEquals("m-1", refuse("{'type':'nope','id':'m-1'}").ref());
        }

        @Test
        void missingTypeRefusalCarriesTheId() {
            assertEquals("m-2", refuse("{'id':'m-2'}").ref());
        }

        @Test
        void invalidFieldRefusalCarriesTheIntegerIdAsText() {
            ProtocolException e = refuse("{'type':'subscribe','id':99,'events':'x'}");
            assertEquals(ErrorCode.INVALID_FIELD, e.code());
            assertEquals("99", e.ref());
        }

        @Test
        void refusalsOfEveryMessageTypeCarryTheId() {
            assertEquals("s", refuse("{'type':'subscribe','id':'s'}").ref());
            assertEquals("u", refuse("{'type':'unsubscribe','id':'u'}").ref());
            assertEquals("a", refuse("{'type':'ack','id':'a'}").ref());
            assertEquals("c", refuse("{'type':'subscribe','id':'c','channels':['bad']}").ref());
            assertEquals("t", refuse("{'type':'subscribe','id':'t','since':{'market:x':{'seq':-1,'epoch':'e'}}}").ref());
        }

        @Test
        void refusalWithoutIdHasNoRef() {
            assertNull(refuse("{'type':'nope'}").ref());
        }

        @Test
        void nonObjectRefusalHasNoRef() {
            assertNull(refuse("[{'id':'x'}]").ref());
        }
    }

    @Nested
    class RequireEvent {
        static JsonNode json(String singleQuoted) {
            try {
                return Json.MAPPER.readTree(q(singleQuoted));
            } catch (Exception e) {
                throw new IllegalArgumentException(e);
            }
        }

        static ProtocolException refuseEvent(String singleQuoted) {
            JsonNode node = singleQuoted == null ? null : json(singleQuoted);
            return assertThrows(ProtocolException.class, () -> ClientMessageDecoder.requireEvent(node, "event"));
        }

        @Test
        void aValidEventIsReturnedAsTheSameObject() throws ProtocolException {
            JsonNode node = json("{'type':'order.created','eventId':'pub-1','timestamp':'2026-01-01T00:00:00.000Z',"
                    + "'amount':5}");
            ObjectNode event = ClientMessageDecoder.requireEvent(node, "event");
            assertSame(node, event);
        }

        @ParameterizedTest
        @ValueSource(strings = {"[]", "'x'", "1", "null"})
        void aNonObjectIsRefusedNamingTheField(String input) {
            ProtocolException e = refuseEvent(input);
            assertEquals(ErrorCode.INVALID_FIELD, e.code());
            assertTrue(e.getMessage().contains("'event'"), e.getMessage());
        }

        @Test
        void aMissingNodeIsRefused() {
            ProtocolException e = refuseEvent(null);
            assertEquals(ErrorCode.INVALID_FIELD, e.code());
        }

        @ParameterizedTest
        @ValueSource(strings = {"{}", "{'type':''}", "{'type':1}", "{'type':null}", "{'type':['a']}"})
        void aMissingOrInvalidTypeIsRefused(String input) {
            ProtocolException e = refuseEvent(input);
            assertEquals(ErrorCode.INVALID_FIELD, e.code());
            assertTrue(e.getMessage().contains("'event.type'"), e.getMessage());
        }

        @Test
        void aTypeLongerThanMaxIsRefused() {
            ProtocolException e = refuseEvent("{'type':'" + "t".repeat(ClientMessageDecoder.MAX_EVENT_TYPE_LENGTH + 1) + "'}");
            assertTrue(e.getMessage().contains("'event.type'"), e.getMessage());
        }

        @ParameterizedTest
        @ValueSource(strings = {"''", "1", "{}", "['x']"})
        void anInvalidEventIdIsRefused(String eventId) {
            ProtocolException e = refuseEvent("{'type':'t','eventId':" + eventId + "}");
            assertEquals(ErrorCode.INVALID_FIELD, e.code());
            assertTrue(e.getMessage().contains("'event.eventId'"), e.getMessage());
        }

        @Test
        void anEventIdLongerThanMaxIsRefused() {
            ProtocolException e = refuseEvent("{'type':'t','eventId':'"
                    + "e".repeat(ClientMessageDecoder.MAX_ID_LENGTH + 1) + "'}");
            assertTrue(e.getMessage().contains("'event.eventId'"), e.getMessage());
        }

        @ParameterizedTest
        @ValueSource(strings = {"1700000000000", "true", "{}"})
        void aNonStringTimestampIsRefused(String timestamp) {
            ProtocolException e = refuseEvent("{'type':'t','timestamp':" + timestamp + "}");
            assertEquals(ErrorCode.INVALID_FIELD, e.code());
            assertTrue(e.getMessage().contains("'event.timestamp'"), e.getMessage());
        }

        @Test
        void theFieldNameIsTheCallers() {
            ProtocolException e = assertThrows(ProtocolException.class,
                    () -> ClientMessageDecoder.requireEvent(json("{}"), "events[3]"));
            assertTrue(e.getMessage().contains("'events[3].type'"), e.getMessage());
        }
    }
}
