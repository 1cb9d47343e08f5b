package io.eventgate.server.transport;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.core.Gateway;
import io.eventgate.core.GatewaySettings;
import io.eventgate.core.auth.TokenMinter;
import io.eventgate.core.auth.TokenSettings;
import io.eventgate.core.auth.TokenVerifier;
import io.eventgate.core.channel.Namespaces;
import io.eventgate.core.engine.MemoryEngine;
import io.eventgate.protocol.Json;
import io.eventgate.server.api.RestApi;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The HTTP pipeline as GatewayServer builds it (codec, JSON aggregator, router) on an EmbeddedChannel. */
class HttpRouterTest {
    static final String SECRET = "router-test-secret-0123456789-abcdefgh";
    static final String API_KEY = "router-test-api-key-0123";
    /** RFC 6455's sample key and its accept value. */
    static final String WS_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
    static final String WS_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
    static final List<String> WEBSOCKET_HANDLERS = List.of(PipelineNames.WS_SESSION,
            "wsencoder", "wsdecoder");

    private final AtomicBoolean draining = new AtomicBoolean();
    private final TokenMinter minter = new TokenMinter(SECRET, null, null);
    private Gateway gateway;
    private EmbeddedChannel channel;
    /** Pipeline handler names at the moment a close was requested (null if never). */
    private List<String> namesAtClose;

    @BeforeEach
    void setUp() {
        gateway = new Gateway(new MemoryEngine(Namespaces.defaults()), Namespaces.defaults(),
                GatewaySettings.defaults());
        gateway.start();
        TokenVerifier verifier = new TokenVerifier(new TokenSettings(SECRET, null, null, null, Duration.ZERO));
        channel = new EmbeddedChannel();
        EventLoopLane lane = new EventLoopLane(channel.eventLoop(), 1024, gateway);
        RestApi api = new RestApi(gateway, API_KEY, verifier, draining::get, List.of());
        HttpRouter router = new HttpRouter(gateway, verifier, api, Map.of(channel.eventLoop(), lane), List.of(),
                64 * 1024, 1024 * 1024, draining::get);
        channel.pipeline()
                .addLast("close-recorder", new ChannelOutboundHandlerAdapter() {
                    @Override
                    public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
                        if (namesAtClose == null) {
                            namesAtClose = List.copyOf(ctx.pipeline().names());
                        }
                        super.close(ctx, promise);
                    }
                })
                .addLast(PipelineNames.HTTP_CODEC, new HttpServerCodec())
                .addLast(PipelineNames.HTTP_AGGREGATOR, Aggregators.json(1024 * 1024, gateway.stats()))
                .addLast(PipelineNames.HTTP_ROUTER, router);
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
        gateway.close();
    }

    // ---------------------------------------------------------------- plain HTTP

    @Test
    void answers404WithJsonForUnknownPath() {
        Reply reply = request("GET /no/such/path HTTP/1.1\r\nHost: localhost\r\n\r\n");

        reply.assertJsonError(404, "NOT_FOUND");
        assertTrue(channel.isOpen(), "a keep-alive request keeps the connection");
    }

    @Test
    void answers503WhileDrainingForReadinessAndPublish() {
        draining.set(true);

        Reply ready = request("GET /health/ready HTTP/1.1\r\nHost: localhost\r\n\r\n");
        String body = "{\"channel\":\"public:x\",\"event\":{\"type\":\"t\"}}";
        Reply publish = request("POST /api/v1/publish HTTP/1.1\r\nHost: localhost\r\nX-API-Key: " + API_KEY
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);

        assertEquals(503, ready.status(), ready.body());
        assertEquals("DOWN", ready.json().path("status").asText(), ready.body());
        assertEquals("DOWN", ready.json().path("components").path("node").path("status").asText(), ready.body());
        publish.assertJsonError(503, "UNAVAILABLE");
    }

    // ---------------------------------------------------------------- WebSocket endpoint refusals

    @Test
    void answers400WithJsonWhenWebSocketPathHasNoUpgradeHeader() {
        Reply reply = request("GET /api/v1/ws HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                + minter.mint("alice", List.of(), Duration.ofMinutes(5)) + "\r\n\r\n");

        reply.assertJsonError(400, "INVALID_FIELD");
        assertTrue(reply.json().path("message").asText().toLowerCase(Locale.ROOT).contains("upgrade"), reply.body());
        assertNoWebSocketHandlers(channel.pipeline().names());
        assertEquals(0, gateway.hub().connectionCount());
    }

    static Stream<Arguments> badTokens() {
        TokenMinter otherSecret = new TokenMinter("another-secret-0123456789-0123456789", null, null);
        return Stream.of(
                Arguments.of("garbage", "Authorization: Bearer not.a.jwt\r\n"),
                Arguments.of("signed with another secret", "Authorization: Bearer "
                        + otherSecret.mint("mallory", List.of(), Duration.ofMinutes(5)) + "\r\n"),
                Arguments.of("expired", "Authorization: Bearer "
                        + com.auth0.jwt.JWT.create().withSubject("late")
                                .withIssuedAt(java.time.Instant.now().minusSeconds(120))
                                .withExpiresAt(java.time.Instant.now().minusSeconds(60))
                                .sign(com.auth0.jwt.algorithms.Algorithm.HMAC256(SECRET)) + "\r\n"),
                Arguments.of("missing", ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badTokens")
    void answers401WithJsonForBadTokenAndAddsNoWebSocketHandlers(String caseName, String authorization) {
        Reply reply = request(upgradeRequest("/api/v1/ws", authorization));

        reply.assertJsonError(401, "UNAUTHORIZED");
        assertFalse(reply.rest().isReadable(), "nothing after the 401: " + reply.rest());
        assertFalse(channel.isOpen(), "a refused upgrade closes the connection");
        assertNotNull(namesAtClose, "closed through the pipeline");
        assertNoWebSocketHandlers(namesAtClose);
        assertTrue(namesAtClose.contains(PipelineNames.HTTP_ROUTER), "router still in place: " + namesAtClose);
        assertEquals(1, gateway.stats().authFailures.sum());
        assertEquals(0, gateway.hub().connectionCount());
    }

    @Test
    void answers405WithAllowHeaderForWrongMethodOnWebSocketEndpoint() {
        Reply reply = request("POST /api/v1/ws HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n");

        reply.assertJsonError(405, "METHOD_NOT_ALLOWED");
        assertEquals("GET", reply.headers().get("allow"), "Allow header (RFC 9110 15.5.6): " + reply.headers());
    }

    // ---------------------------------------------------------------- upgrade

    @Test
    void validUpgradeReplacesRouterWithWebSocketHandlersAndWrites101() throws Exception {
        String token = minter.mint("alice", List.of(), Duration.ofMinutes(5));

        Reply reply = request(upgradeRequest("/api/v1/ws", "Authorization: Bearer " + token + "\r\n"));

        assertEquals(101, reply.status(), reply.head());
        assertAll(
                () -> assertEquals("websocket", reply.headers().get("upgrade").toLowerCase(Locale.ROOT)),
                () -> assertEquals(WS_ACCEPT, reply.headers().get("sec-websocket-accept")));
        assertTrue(channel.isOpen());
        List<String> names = channel.pipeline().names();
        assertFalse(names.contains(PipelineNames.HTTP_ROUTER), names.toString());
        assertFalse(names.contains(PipelineNames.HTTP_AGGREGATOR), names.toString());
        assertFalse(names.contains(PipelineNames.HTTP_CODEC), names.toString());
        int session = names.indexOf(PipelineNames.WS_SESSION);
        assertTrue(session >= 0 && names.get(session - 1).equals("wsdecoder"),
                "ws-session right after the frame decoder (no aggregator): " + names);
        assertInstanceOf(WebSocketSession.class, channel.pipeline().get(PipelineNames.WS_SESSION));
        // The first WebSocket frame after the 101 is "connected".
        JsonNode connected = firstTextFrame(reply.rest());
        assertEquals("connected", connected.path("type").asText(), connected.toString());
        assertEquals("alice", connected.path("userId").asText());
        assertEquals(1, gateway.hub().connectionCount());
    }

    @Test
    void validUpgradeAcceptsTokenInQueryParameter() throws Exception {
        String token = minter.mint("bob", List.of(), Duration.ofMinutes(5));

        Reply reply = request(upgradeRequest("/api/v1/ws?token=" + token, ""));

        assertEquals(101, reply.status(), reply.head());
        assertEquals("bob", firstTextFrame(reply.rest()).path("userId").asText());
    }

    // ---------------------------------------------------------------- helpers

    static String upgradeRequest(String pathAndQuery, String authorizationLine) {
        return "GET " + pathAndQuery + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + WS_KEY + "\r\nSec-WebSocket-Version: 13\r\n" + authorizationLine + "\r\n";
    }

    private static void assertNoWebSocketHandlers(List<String> names) {
        for (String handler : WEBSOCKET_HANDLERS) {
            assertFalse(names.contains(handler), handler + " in " + names);
        }
    }

    private Reply request(String raw) {
        channel.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.UTF_8));
        return Reply.read(channel);
    }

    private static JsonNode firstTextFrame(ByteBuf bytes) throws Exception {
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .expectMaskedFrames(false).build()));
        try {
            client.writeInbound(bytes.retain());
            Object frame = client.readInbound();
            TextWebSocketFrame text = assertInstanceOf(TextWebSocketFrame.class, frame, "first frame");
            try {
                return Json.MAPPER.readTree(text.text());
            } finally {
                text.release();
            }
        } finally {
            client.finishAndReleaseAll();
        }
    }

    /** One HTTP response read from the channel's outbound bytes; {@code rest} is whatever followed it. */
    record Reply(int status, String head, Map<String, String> headers, String body, ByteBuf rest) {
        static Reply read(EmbeddedChannel channel) {
            ByteBuf all = Unpooled.buffer();
            for (Object out; (out = channel.readOutbound()) != null; ) {
                ByteBuf buf = (ByteBuf) out;
                all.writeBytes(buf);
                buf.release();
            }
            int end = ByteBufUtil.indexOf(Unpooled.wrappedBuffer("\r\n\r\n".getBytes(StandardCharsets.US_ASCII)), all);
            if (end < 0) {
                throw new AssertionError("no HTTP response written: " + all.toString(StandardCharsets.UTF_8));
            }
            String head = all.readCharSequence(end - all.readerIndex(), StandardCharsets.US_ASCII).toString();
            all.skipBytes(4);
            String[] lines = head.split("\r\n");
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        lines[i].substring(colon + 1).trim());
            }
            int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            String body = all.readCharSequence(length, StandardCharsets.UTF_8).toString();
            return new Reply(Integer.parseInt(lines[0].split(" ")[1]), head, headers, body, all);
        }

        JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        void assertJsonError(int expectedStatus, String code) {
            assertEquals(expectedStatus, status, head + "\n\n" + body);
            assertTrue(headers.getOrDefault("content-type", "").startsWith("application/json"), head);
            assertEquals(code, json().path("error").asText(), body);
            assertFalse(json().path("message").asText().isEmpty(), body);
        }
    }
}
