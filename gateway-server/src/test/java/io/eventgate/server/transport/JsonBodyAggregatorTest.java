package io.eventgate.server.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventgate.core.GatewayStats;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The body aggregator with its JSON 413, behind a real HTTP codec on an EmbeddedChannel. */
class JsonBodyAggregatorTest {
    private static final int LIMIT = 1024;

    private final GatewayStats stats = new GatewayStats();
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        channel = new EmbeddedChannel(new HttpServerCodec(), Aggregators.json(LIMIT, stats));
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
    }

    private void send(String raw) {
        channel.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.UTF_8));
    }

    @Test
    void answers413WithJsonAndClosesWhenContentLengthExceedsLimit() {
        send("POST /api/v1/publish HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: 4096\r\n\r\n" + "x".repeat(4096));

        HttpRouterTest.Reply reply = HttpRouterTest.Reply.read(channel);
        reply.assertJsonError(413, "PAYLOAD_TOO_LARGE");
        assertTrue(reply.json().path("message").asText().contains(String.valueOf(LIMIT)), reply.body());
        assertEquals("close", reply.headers().get("connection"), reply.head());
        assertFalse(reply.rest().isReadable(), "one response only");
        assertFalse(channel.isOpen(), "the connection closes after the 413");
        assertEquals(1, stats.oversizeBodies.sum());
        assertNull(channel.readInbound(), "an oversized request must not reach the router");
    }

    /**
     * Closing while the client is still sending its body leaves unread bytes in the socket, and the kernel then
     * answers with a TCP reset that can destroy the 413 before the client reads it ("Broken pipe"/"Connection
     * reset" instead of the JSON error). So the rest of the declared body is read and dropped first.
     */
    @Test
    void keepsReadingTheDeclaredBodyAfter413SoTheClientCanReadIt() {
        send("POST /api/v1/publish HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4096\r\n\r\n" + "z".repeat(500));
        HttpRouterTest.Reply.read(channel).assertJsonError(413, "PAYLOAD_TOO_LARGE");

        assertTrue(channel.isOpen(), "closed with 3596 unread body bytes: the client may get a reset, not the 413");
        send("z".repeat(1000));
        assertTrue(channel.isOpen());
        send("z".repeat(2596));
        assertFalse(channel.isOpen());
    }

    @Test
    void closesAfter413WhenTheClientStopsSendingItsBody() {
        channel.freezeTime();
        send("POST /api/v1/publish HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4096\r\n\r\n" + "z".repeat(10));
        HttpRouterTest.Reply.read(channel).assertJsonError(413, "PAYLOAD_TOO_LARGE");

        channel.advanceTimeBy(1, TimeUnit.MINUTES);
        channel.runScheduledPendingTasks();

        assertFalse(channel.isOpen(), "a stalled oversized upload must not hold the connection");
    }

    @Test
    void answers413WithJsonToExpect100ContinueOverLimitWithoutReadingTheBody() {
        send("POST /api/v1/publish HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Expect: 100-continue\r\nContent-Length: 4096\r\n\r\n");

        HttpRouterTest.Reply reply = HttpRouterTest.Reply.read(channel);
        reply.assertJsonError(413, "PAYLOAD_TOO_LARGE");
        assertEquals(1, stats.oversizeBodies.sum());
        assertNull(channel.readInbound(), "an oversized request must not reach the router");
        // The body was never sent, so the connection stays usable for the next request.
        send("POST /api/v1/publish HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}");
        FullHttpRequest next = assertInstanceOf(FullHttpRequest.class, channel.readInbound());
        assertEquals("{}", next.content().toString(StandardCharsets.UTF_8));
        next.release();
    }

    @Test
    void answers100ContinueWhenExpectedBodyFitsTheLimit() {
        send("POST /api/v1/publish HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");

        assertEquals(100, HttpRouterTest.Reply.read(channel).status());
        send("{}");
        FullHttpRequest request = assertInstanceOf(FullHttpRequest.class, channel.readInbound());
        request.release();
        assertEquals(0, stats.oversizeBodies.sum());
    }

    @Test
    void answers413WhenChunkedBodyGrowsPastLimit() {
        String chunk = "x".repeat(600);
        send("POST /api/v1/publish HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n"
                + Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n0\r\n\r\n");

        HttpRouterTest.Reply.read(channel).assertJsonError(413, "PAYLOAD_TOO_LARGE");
        assertFalse(channel.isOpen());
        assertEquals(1, stats.oversizeBodies.sum());
        assertNull(channel.readInbound());
    }

    @Test
    void passesBodyAtTheLimitThroughAsOneFullRequest() {
        String body = "{\"pad\":\"" + "y".repeat(LIMIT - 10) + "\"}";
        assertEquals(LIMIT, body.length());

        send("POST /api/v1/publish HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + body.length() + "\r\n\r\n"
                + body);

        FullHttpRequest request = assertInstanceOf(FullHttpRequest.class, channel.readInbound());
        try {
            assertEquals(body, request.content().toString(StandardCharsets.UTF_8));
        } finally {
            request.release();
        }
        assertNull(channel.readOutbound(), "no response from the aggregator");
        assertTrue(channel.isOpen());
        assertEquals(0, stats.oversizeBodies.sum());
    }
}
