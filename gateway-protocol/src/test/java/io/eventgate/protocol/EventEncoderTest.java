package io.eventgate.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EventEncoderTest {
    private static final long NOW = 1_700_000_000_123L;
    private static final Pattern EVENT_ID = Pattern.compile("EV-[0-9A-HJKMNP-TV-Z]{26}");

    static ObjectNode event(String singleQuoted) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(singleQuoted.replace('\'', '"'));
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static String encodedText(ObjectNode node) {
        return new String(EventEncoder.encode(node), StandardCharsets.UTF_8);
    }

    @Test
    void stampAddsEventIdTimestampChannelAndSeq() {
        ObjectNode e = event("{'type':'order.created','amount':5}");
        String id = EventEncoder.stamp(e, "user:alice", 7, NOW);
        assertTrue(EVENT_ID.matcher(id).matches(), id);
        assertEquals(id, e.get("eventId").textValue());
        assertEquals(Json.timestamp(NOW), e.get("timestamp").textValue());
        assertEquals("user:alice", e.get("channel").textValue());
        assertEquals(7, e.get("seq").longValue());
        assertEquals("order.created", e.get("type").textValue());
        assertEquals(5, e.get("amount").intValue());
    }

    @Test
    void stampKeepsThePublishersEventIdAndTimestamp() {
        ObjectNode e = event("{'type':'t','eventId':'pub-42','timestamp':'2020-01-01T00:00:00Z'}");
        String id = EventEncoder.stamp(e, "market:x", 1, NOW);
        assertEquals("pub-42", id);
        assertEquals("pub-42", e.get("eventId").textValue());
        assertEquals("2020-01-01T00:00:00Z", e.get("timestamp").textValue());
    }

    @Test
    void stampOverwritesChannelAndSeqGivenByThePublisher() {
        ObjectNode e = event("{'type':'t','channel':'user:someone-else','seq':999}");
        EventEncoder.stamp(e, "market:x", 3, NOW);
        assertEquals("market:x", e.get("channel").textValue());
        assertEquals(3, e.get("seq").longValue());
    }

    @Test
    void aNullTimestampIsReplaced() {
        ObjectNode e = event("{'type':'t','timestamp':null}");
        EventEncoder.stamp(e, "market:x", 1, NOW);
        assertEquals(Json.timestamp(NOW), e.get("timestamp").textValue());
    }

    @Test
    void eventIdIsThePublishersOrNull() {
        assertEquals("p", EventEncoder.eventId(event("{'eventId':'p'}")));
        assertNull(EventEncoder.eventId(event("{'type':'t'}")));
        assertNull(EventEncoder.eventId(event("{'eventId':5}")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"50000.00", "0.10", "0.000", "-2.50", "12345678901234567890.123456789", "100",
            "123456789012345678901234567890", "-17", "1.0"})
    void publishersNumbersPassThroughTextually(String number) throws Exception {
        String input = "{\"type\":\"t\",\"amount\":" + number + ",\"nested\":{\"n\":[" + number + "]}}";
        ObjectNode node = (ObjectNode) Json.MAPPER.readTree(input);
        EventEncoder.stamp(node, "market:x", 1, NOW);
        String out = encodedText(node);
        assertTrue(out.contains("\"amount\":" + number + ","), out);
        assertTrue(out.contains("\"nested\":{\"n\":[" + number + "]}"), out);
    }

    @Test
    void fiftyThousandStaysFiftyThousandPointZeroZero() throws Exception {
        ObjectNode node = (ObjectNode) Json.MAPPER.readTree("{\"type\":\"t\",\"amount\":50000.00}");
        assertTrue(encodedText(node).contains("\"amount\":50000.00"), encodedText(node));
    }

    @Test
    void encodeIsTheWholeStampedEventAsJson() throws Exception {
        ObjectNode e = event("{'type':'t','a':'\u00e9'}");
        EventEncoder.stamp(e, "market:x", 2, NOW);
        byte[] bytes = EventEncoder.encode(e);
        var parsed = Json.MAPPER.readTree(bytes);
        assertEquals(e.get("eventId").textValue(), parsed.get("eventId").textValue());
        assertEquals("market:x", parsed.get("channel").textValue());
        assertEquals(2, parsed.get("seq").longValue());
        assertEquals("\u00e9", parsed.get("a").textValue());
        assertArrayEquals(Json.MAPPER.writeValueAsBytes(e), bytes);
    }

    @Test
    void newEventIdsHaveTheDocumentedShape() {
        String id = EventEncoder.newEventId(NOW);
        assertEquals(29, id.length());
        assertTrue(EVENT_ID.matcher(id).matches(), id);
    }

    @Test
    void newEventIdIsUniqueOver100kCallsInTheSameMillisecond() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            ids.add(EventEncoder.newEventId(NOW));
        }
        assertEquals(100_000, ids.size());
    }

    @Test
    void newEventIdIsUniqueOver100kCallsAcrossMilliseconds() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            ids.add(EventEncoder.newEventId(NOW + i / 10));
        }
        assertEquals(100_000, ids.size());
    }

    @Test
    void idsOfLaterMillisecondsSortAfterEarlierOnesEvenWhenMadeFirst() {
        long[] times = {0, 1, 31, 32, 33, 1023, 1024, 1_000_000, NOW - 1, NOW, NOW + 1, 0xFFFF_FFFF_FFFFL};
        List<String> made = new ArrayList<>();
        // Make them in reverse time order so the counter works against time order.
        for (int i = times.length - 1; i >= 0; i--) {
            made.add(0, EventEncoder.newEventId(times[i]));
        }
        for (int i = 1; i < made.size(); i++) {
            assertTrue(made.get(i - 1).compareTo(made.get(i)) < 0,
                    "id at " + times[i - 1] + " (" + made.get(i - 1) + ") should sort before id at " + times[i]
                            + " (" + made.get(i) + ")");
        }
    }

    @Test
    void idsOfConsecutiveMillisecondsSortInTimeOrder() {
        String previous = EventEncoder.newEventId(NOW);
        for (long t = NOW + 1; t < NOW + 5_000; t++) {
            String next = EventEncoder.newEventId(t);
            assertTrue(previous.compareTo(next) < 0, previous + " !< " + next + " at " + t);
            previous = next;
        }
    }

    @Test
    void idsMadeInTheSameMillisecondSortInCallOrder() {
        String previous = EventEncoder.newEventId(NOW);
        for (int i = 0; i < 10_000; i++) {
            String next = EventEncoder.newEventId(NOW);
            assertTrue(previous.compareTo(next) < 0, previous + " !< " + next);
            previous = next;
        }
    }
}
