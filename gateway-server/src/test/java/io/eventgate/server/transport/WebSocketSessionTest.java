package io.eventgate.server.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.core.Gateway;
import io.eventgate.core.GatewaySettings;
import io.eventgate.core.auth.TokenMinter;
import io.eventgate.core.auth.TokenSettings;
import io.eventgate.core.auth.TokenVerifier;
import io.eventgate.core.channel.Namespaces;
import io.eventgate.core.engine.MemoryEngine;
import io.eventgate.protocol.CloseCode;
import io.eventgate.protocol.Json;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One upgraded connection's last handler, on an EmbeddedChannel, with a gateway on a controlled clock. */
class WebSocketSessionTest {
    static final String SECRET = "session-test-secret-0123456789-abcdefgh";

    private final AtomicLong clock = new AtomicLong(1_000_000);
    private Gateway gateway;
    private EmbeddedChannel channel;
    private WebSocketSession session;

    @BeforeEach
    void setUp() throws Exception {
        gateway = new Gateway(new MemoryEngine(Namespaces.defaults(), clock::get), Namespaces.defaults(),
                GatewaySettings.defaults(), clock::get);
        gateway.start();
        TokenVerifier verifier = new TokenVerifier(new TokenSettings(SECRET, null, null, null, Duration.ZERO));
        String token = new TokenMinter(SECRET, null, null).mint("alice", List.of(), Duration.ofMinutes(5));
        channel = new EmbeddedChannel();
        EventLoopLane lane = new EventLoopLane(channel.eventLoop(), 1024, gateway);
        session = new WebSocketSession(gateway, lane, 1024 * 1024, 64 * 1024, "test-agent", "/api/v1/ws");
        channel.pipeline().addLast(PipelineNames.WS_SESSION, session);
        session.start(channel.pipeline().context(session), verifier.verify(token), null, null);
        assertEquals("connected", nextText().path("type").asText());
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
        gateway.close();
    }

    private JsonNode nextText() throws Exception {
        Object out = channel.readOutbound();
        TextWebSocketFrame frame = assertInstanceOf(TextWebSocketFrame.class, out, "expected a text frame");
        try {
            return Json.MAPPER.readTree(frame.text());
        } finally {
            frame.release();
        }
    }

    @Test
    void answersMalformedJsonWithErrorFrameAndStaysOpen() throws Exception {
        channel.writeInbound(new TextWebSocketFrame("{\"type\": \"subscribe\", "));

        JsonNode error = nextText();
        assertEquals("error", error.path("type").asText(), error.toString());
        assertEquals("MALFORMED_JSON", error.path("code").asText(), error.toString());
        assertTrue(channel.isOpen(), "a bad message must not close the connection");
        // and it still serves the next message
        channel.writeInbound(new TextWebSocketFrame("{\"type\":\"ping\",\"id\":\"after-error\"}"));
        JsonNode pong = nextText();
        assertEquals("pong", pong.path("type").asText(), pong.toString());
        assertEquals("after-error", pong.path("ref").asText());
    }

    @Test
    void joinsAFragmentedTextMessageAcrossAPingInTheMiddle() throws Exception {
        channel.writeInbound(new TextWebSocketFrame(false, 0, "{\"type\":\"pi"));
        channel.writeInbound(new ContinuationWebSocketFrame(false, 0, "ng\",\"id\":"));
        channel.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1})));
        io.netty.util.ReferenceCountUtil.release(assertInstanceOf(PongWebSocketFrame.class, channel.readOutbound()));
        assertNull(channel.readOutbound(), "nothing handled before the last fragment");
        channel.writeInbound(new ContinuationWebSocketFrame(true, 0, "\"frag-1\"}"));

        JsonNode pong = nextText();
        assertEquals("pong", pong.path("type").asText(), pong.toString());
        assertEquals("frag-1", pong.path("ref").asText());
        // and the next whole message is handled on its own
        channel.writeInbound(new TextWebSocketFrame("{\"type\":\"ping\",\"id\":\"whole\"}"));
        assertEquals("whole", nextText().path("ref").asText());
        assertTrue(channel.isOpen());
    }

    @Test
    void fragmentedBinaryMessageGetsOneErrorFrame() throws Exception {
        channel.writeInbound(new BinaryWebSocketFrame(false, 0, Unpooled.wrappedBuffer(new byte[] {1, 2})));
        channel.writeInbound(new ContinuationWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[] {3})));

        JsonNode error = nextText();
        assertEquals("error", error.path("type").asText(), error.toString());
        assertNull(channel.readOutbound(), "one error for the one message");
        assertTrue(channel.isOpen());
    }

    @Test
    void fragmentedMessageOverTheLimitClosesWith1009AndIsCounted() {
        String part = "x".repeat(30 * 1024);
        channel.writeInbound(new TextWebSocketFrame(false, 0, "{\"type\":\"ping\",\"id\":\"" + part));
        channel.writeInbound(new ContinuationWebSocketFrame(false, 0, part));
        channel.writeInbound(new ContinuationWebSocketFrame(false, 0, part)); // 90 KiB > 64 KiB

        CloseWebSocketFrame close = assertInstanceOf(CloseWebSocketFrame.class, channel.readOutbound());
        try {
            assertEquals(1009, close.statusCode());
        } finally {
            close.release();
        }
        assertEquals(1, gateway.stats().oversizeFrames.sum());
        assertFalse(channel.isOpen(), "closed after the close frame");
    }

    @Test
    void answersPingFrameWithPongCarryingTheSamePayload() {
        byte[] payload = "ping-payload-42".getBytes(StandardCharsets.UTF_8);

        channel.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(payload)));

        PongWebSocketFrame pong = assertInstanceOf(PongWebSocketFrame.class, channel.readOutbound());
        try {
            assertArrayEquals(payload, ByteBufUtil.getBytes(pong.content()));
        } finally {
            pong.release();
        }
        assertTrue(channel.isOpen());
    }

    @Test
    void countsPingFrameAsActivity() {
        long connectedAt = session.connection().lastActivityMillis();
        clock.addAndGet(60_000);

        channel.writeInbound(new PingWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {7})));

        assertEquals(connectedAt + 60_000, session.connection().lastActivityMillis());
        io.netty.util.ReferenceCountUtil.release(channel.readOutbound());
    }

    @Test
    void echoesCloseFrameAndClosesTheChannel() {
        channel.writeInbound(new CloseWebSocketFrame(1000, "bye"));

        CloseWebSocketFrame echo = assertInstanceOf(CloseWebSocketFrame.class, channel.readOutbound());
        try {
            assertEquals(1000, echo.statusCode());
        } finally {
            echo.release();
        }
        assertFalse(channel.isOpen(), "the channel closes after the echo");
        assertTrue(session.connection().isClosed(), "core saw the close");
        assertEquals(0, gateway.hub().connectionCount());
    }

    @Test
    void echoesCloseFrameWithoutStatusAsNormalClosure() {
        channel.writeInbound(new CloseWebSocketFrame());

        CloseWebSocketFrame echo = assertInstanceOf(CloseWebSocketFrame.class, channel.readOutbound());
        try {
            assertEquals(1000, echo.statusCode());
        } finally {
            echo.release();
        }
        assertFalse(channel.isOpen());
    }

    @Test
    void answersBinaryFrameWithUnsupportedFrameErrorAndStaysOpen() throws Exception {
        channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2, 3})));

        JsonNode error = nextText();
        assertEquals("UNSUPPORTED_FRAME", error.path("code").asText(), error.toString());
        assertTrue(channel.isOpen());
    }

    @Test
    void serverCloseSendsCloseFrameWithCatalogueCodeAndClosesTheChannel() {
        session.close(CloseCode.STALE, null);

        CloseWebSocketFrame close = assertInstanceOf(CloseWebSocketFrame.class, channel.readOutbound());
        try {
            assertEquals(4100, close.statusCode());
            assertEquals(CloseCode.STALE.reason(), close.reasonText());
        } finally {
            close.release();
        }
        assertFalse(channel.isOpen());
        assertNull(channel.readOutbound(), "nothing after the close frame");
    }
}
