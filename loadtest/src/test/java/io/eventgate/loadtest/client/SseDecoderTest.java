package io.eventgate.loadtest.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseDecoderTest {
    /** What the gateway writes: a connected event with its id, a subscribed reply, an event, a ping, a close. */
    private static final String GATEWAY_STREAM = "retry: 1000\n"
            + "id: S-0p9o8i7u6y5t4r3e2w1q\n"
            + "data: {\"type\":\"connected\",\"connectionId\":\"C-4k2n9x0q7w1b3m5z\"}\n\n"
            + "data: {\"type\":\"subscribed\",\"ref\":\"sse\",\"subscriptions\":[]}\n\n"
            + "data: {\"type\":\"bench\",\"eventId\":\"r1-u7-3\",\"s\":0,\"k\":3,\"channel\":\"user:u7\",\"seq\":4}\n\n"
            + "data: {\"type\":\"ping\"}\n\n"
            + "retry: 5000\n"
            + "data: {\"type\":\"close\",\"code\":4101,\"reason\":\"slow consumer\"}\n\n";
    private static final List<String> GATEWAY_MESSAGES = List.of(
            "{\"type\":\"connected\",\"connectionId\":\"C-4k2n9x0q7w1b3m5z\"}",
            "{\"type\":\"subscribed\",\"ref\":\"sse\",\"subscriptions\":[]}",
            "{\"type\":\"bench\",\"eventId\":\"r1-u7-3\",\"s\":0,\"k\":3,\"channel\":\"user:u7\",\"seq\":4}",
            "{\"type\":\"ping\"}",
            "{\"type\":\"close\",\"code\":4101,\"reason\":\"slow consumer\"}");

    private final List<String> events = new ArrayList<>();
    private final SseDecoder.Scratch scratch = new SseDecoder.Scratch();
    private final SseDecoder decoder = decoder(events, scratch);

    private static SseDecoder decoder(List<String> into, SseDecoder.Scratch scratch) {
        return new SseDecoder((b, len) -> into.add(new String(b, 0, len, StandardCharsets.UTF_8)), scratch, 1 << 16);
    }

    private static void feed(SseDecoder d, String... chunks) {
        for (String c : chunks) {
            ByteBuf buf = Unpooled.copiedBuffer(c, StandardCharsets.UTF_8);
            d.decode(buf);
            assertEquals(0, buf.readableBytes(), "every byte is consumed");
        }
    }

    @Test
    void eachEventOfTheGatewaysStreamIsHandedOverAsItsJson() {
        feed(decoder, GATEWAY_STREAM);
        assertEquals(GATEWAY_MESSAGES, events);
    }

    @Test
    void aChunkBoundaryAnywhereChangesNothing() {
        for (int cut = 0; cut <= GATEWAY_STREAM.length(); cut++) {
            List<String> got = new ArrayList<>();
            feed(decoder(got, scratch), GATEWAY_STREAM.substring(0, cut), GATEWAY_STREAM.substring(cut));
            assertEquals(GATEWAY_MESSAGES, got, "cut at " + cut);
        }
    }

    @Test
    void oneByteAtATimeChangesNothing() {
        String crlf = GATEWAY_STREAM.replace("\n", "\r\n");
        String[] bytes = crlf.split("");
        feed(decoder, bytes);
        assertEquals(GATEWAY_MESSAGES, events);
    }

    @Test
    void linesMayEndInCrLfOrCrAlone() {
        feed(decoder, "data: a\r\n\r\ndata: b\r\rdata: c\n\r\n");
        assertEquals(List.of("a", "b", "c"), events);
    }

    @Test
    void aCrLfCutBetweenItsTwoBytesIsOneLineEnd() {
        feed(decoder, "data: a\r", "\ndata: b\r", "\n\r", "\n");
        assertEquals(List.of("a\nb"), events);
    }

    @Test
    void dataLinesOfOneEventAreJoinedWithLineFeeds() {
        feed(decoder, "data: {\"a\":\ndata:1}\ndata\n\n");
        assertEquals(List.of("{\"a\":\n1}\n"), events);
    }

    @Test
    void commentsAndOtherFieldsAreSkipped() {
        feed(decoder, ": keep-alive\n:\nid: S-1\nretry: 1000\nevent: message\ndatum: no\ndata2: no\n"
                + "data: yes\n\n");
        assertEquals(List.of("yes"), events);
    }

    @Test
    void onlyOneSpaceAfterTheColonIsStripped() {
        feed(decoder, "data:no space\n\ndata:  two spaces\n\n");
        assertEquals(List.of("no space", " two spaces"), events);
    }

    @Test
    void aBlankLineWithoutDataDispatchesNothing() {
        feed(decoder, "\n\nid: S-1\n\nretry: 5\n\n: c\n\n");
        assertEquals(List.of(), events);
    }

    @Test
    void anEventWithoutItsBlankLineIsNotDispatchedYet() {
        feed(decoder, "data: a\n");
        assertEquals(List.of(), events);
        feed(decoder, "\n");
        assertEquals(List.of("a"), events);
    }

    @Test
    void streamsSharingALoopsScratchKeepTheirOwnUnfinishedEvents() {
        List<String> other = new ArrayList<>();
        SseDecoder second = decoder(other, scratch);
        feed(decoder, "data: first-1\ndata: fir");
        feed(second, "data: second\n\ndata: sec");
        feed(decoder, "st-2\n\n");
        feed(second, "ond-2\n\n");
        assertEquals(List.of("first-1\nfirst-2"), events);
        assertEquals(List.of("second", "second-2"), other);
    }

    @Test
    void eventsLargerThanTheScratchBufferSurviveChunking() {
        String big = "x".repeat(10_000);
        feed(decoder, "data: " + big.substring(0, 3000), big.substring(3000) + "\n", "\n");
        feed(decoder, "data: " + big + "\n\n");
        assertEquals(List.of(big, big), events);
    }

    @Test
    void anEventOverTheLimitIsRefused() {
        SseDecoder small = new SseDecoder((b, len) -> events.add("?"), scratch, 16);
        assertThrows(TooLongFrameException.class, () -> feed(small, "data: 0123456789abcdefXYZ\n\n"));
        SseDecoder lines = new SseDecoder((b, len) -> events.add("?"), scratch, 16);
        assertThrows(TooLongFrameException.class, () -> feed(lines, "data: 0123", "456789abcdefXYZ"));
        assertEquals(List.of(), events);
    }
}
