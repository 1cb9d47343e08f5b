package io.eventgate.server.transport;

import io.eventgate.core.Gateway;
import io.eventgate.core.auth.TokenException;
import io.eventgate.core.auth.TokenVerifier;
import io.eventgate.core.auth.VerifiedToken;
import io.eventgate.protocol.ChannelNames;
import io.eventgate.protocol.ClientMessageDecoder;
import io.eventgate.protocol.ErrorCode;
import io.eventgate.server.api.RestApi;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Routes every aggregated HTTP request: the WebSocket endpoints are authenticated and upgraded here, the SSE stream
 * is authenticated and started here, client messages for streams go to {@link SseMessages}; everything else goes
 * to the {@link RestApi}. Stateless and shared by all connections.
 *
 * <p>The upgrade authenticates before the handshake, so a refused client gets a plain HTTP 401/403 with a JSON
 * body and never a WebSocket. Tokens are never logged: only the path, without its query string, is.
 */
@ChannelHandler.Sharable
public final class HttpRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
    public static final Set<String> WEBSOCKET_PATHS = Set.of("/api/v1/ws", "/api/v1/ws/transactions");
    /** The Server-Sent Events stream (PROTOCOL.md 15). */
    public static final String SSE_PATH = "/api/v1/sse";
    /** {@code POST /api/v1/sse/{connectionId}}: a client message for a stream (PROTOCOL.md 15.4). */
    public static final String SSE_MESSAGE_PREFIX = SSE_PATH + "/";

    private final Gateway gateway;
    private final TokenVerifier verifier;
    private final RestApi api;
    private final Map<io.netty.channel.EventLoop, EventLoopLane> lanes;
    private final List<String> allowedOrigins;
    private final int maxFrameBytes;
    /** One for all connections: the handshaker's decoder keeps a reference to it. */
    private final WebSocketDecoderConfig decoderConfig;
    private final long maxPendingBytes;
    private final java.util.function.BooleanSupplier draining;
    private final SseMessages sse;

    public HttpRouter(Gateway gateway, TokenVerifier verifier, RestApi api,
                      Map<io.netty.channel.EventLoop, EventLoopLane> lanes, List<String> allowedOrigins,
                      int maxFrameBytes, long maxPendingBytes, java.util.function.BooleanSupplier draining) {
        this.draining = draining;
        this.gateway = gateway;
        this.verifier = verifier;
        this.api = api;
        this.lanes = lanes;
        this.allowedOrigins = allowedOrigins;
        this.maxFrameBytes = maxFrameBytes;
        this.decoderConfig = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(maxFrameBytes)
                .allowExtensions(false)
                .closeOnProtocolViolation(true)
                .build();
        this.maxPendingBytes = maxPendingBytes;
        this.sse = new SseMessages(gateway, verifier, maxFrameBytes, this::originAllowed);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!request.decoderResult().isSuccess()) {
            HttpResponses.error(ctx, false, ErrorCode.INVALID_FIELD, "malformed HTTP request");
            return;
        }
        QueryStringDecoder query = new QueryStringDecoder(request.uri());
        String path = query.path();
        if (WEBSOCKET_PATHS.contains(path)) {
            upgrade(ctx, request, query, keepAlive);
            return;
        }
        if (path.equals(SSE_PATH)) {
            stream(ctx, request, query, keepAlive);
            return;
        }
        if (path.startsWith(SSE_MESSAGE_PREFIX)) {
            sse.post(ctx, request, query, path.substring(SSE_MESSAGE_PREFIX.length()), keepAlive);
            return;
        }
        api.handle(ctx, request, path, query, keepAlive);
    }

    /** What an accepted client handshake carries over to the connection. */
    private record Handshake(VerifiedToken token, List<String> events, String resume) {}

    /**
     * The checks a WebSocket upgrade and an SSE stream share (PROTOCOL.md 2.2, steps 6-10): origin, token, user
     * channel, {@code events}, resume id ({@code resumeHeader} first, then {@code ?resume=}). Returns null after
     * answering a refusal.
     */
    private Handshake authenticate(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query,
                                   String resumeHeader) {
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null && !originAllowed(origin)) {
            gateway.stats().originRefused.increment();
            HttpResponses.error(ctx, false, ErrorCode.FORBIDDEN, "origin not allowed");
            return null;
        }
        VerifiedToken token;
        try {
            token = verifier.verify(token(request, query));
        } catch (TokenException e) {
            gateway.stats().authFailures.increment();
            HttpResponses.error(ctx, false, ErrorCode.UNAUTHORIZED, e.getMessage());
            return null;
        }
        if (ChannelNames.problem(ChannelNames.userChannel(token.userId())) != null) {
            gateway.stats().authFailures.increment();
            HttpResponses.error(ctx, false, ErrorCode.UNAUTHORIZED, "token subject cannot be used as a user id"
                    + " (at most " + ChannelNames.MAX_NAME_LENGTH + " letters, digits and _ - . : @ = + |)");
            return null;
        }
        List<String> events = new ArrayList<>();
        if (!commaList(query, "events", events, ClientMessageDecoder.MAX_EVENT_TYPE_LENGTH)) {
            HttpResponses.error(ctx, false, ErrorCode.INVALID_FIELD, "events: at most "
                    + ClientMessageDecoder.MAX_LIST_SIZE + " types of at most "
                    + ClientMessageDecoder.MAX_EVENT_TYPE_LENGTH + " characters");
            return null;
        }
        String resume = resumeHeader != null && !resumeHeader.isBlank() ? resumeHeader.trim() : null;
        if (resume == null) {
            List<String> resumeParam = query.parameters().get("resume");
            resume = resumeParam == null || resumeParam.isEmpty() || resumeParam.get(0).isBlank() ? null
                    : resumeParam.get(0);
        }
        if (resume != null && resume.length() > 64) {
            HttpResponses.error(ctx, false, ErrorCode.INVALID_FIELD, "resume: not a session id");
            return null;
        }
        // "?events=" with no type means every type, as without the parameter.
        return new Handshake(token, events.isEmpty() ? null : events, resume);
    }

    /**
     * Collects the trimmed, non-empty entries of a comma-separated parameter that may be repeated. False when there
     * are more than {@link ClientMessageDecoder#MAX_LIST_SIZE} entries or one is longer than {@code maxLength}.
     */
    private static boolean commaList(QueryStringDecoder query, String name, List<String> into, int maxLength) {
        List<String> values = query.parameters().get(name);
        if (values == null) {
            return true;
        }
        for (String value : values) {
            for (String entry : value.split(",")) {
                String t = entry.trim();
                if (t.isEmpty()) {
                    continue;
                }
                if (t.length() > maxLength || into.size() >= ClientMessageDecoder.MAX_LIST_SIZE) {
                    return false;
                }
                into.add(t);
            }
        }
        return true;
    }

    /** Steps 3 and 4 of PROTOCOL.md 2.2 for a client endpoint: a GET, on a node that is not draining. */
    private boolean opening(ChannelHandlerContext ctx, FullHttpRequest request, boolean keepAlive, String endpoint) {
        if (request.method() != HttpMethod.GET) {
            HttpResponses.methodNotAllowed(ctx, keepAlive, "GET", "the " + endpoint + " endpoint takes GET");
            return false;
        }
        if (draining.getAsBoolean()) {
            HttpResponses.error(ctx, false, ErrorCode.UNAVAILABLE, "node is draining; connect to another node");
            return false;
        }
        return true;
    }

    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query,
                         boolean keepAlive) {
        if (!opening(ctx, request, keepAlive, "WebSocket")) {
            return;
        }
        if (!request.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            HttpResponses.error(ctx, keepAlive, ErrorCode.INVALID_FIELD,
                    "expected a WebSocket upgrade (Upgrade: websocket)");
            return;
        }
        Handshake handshake = authenticate(ctx, request, query, null);
        if (handshake == null) {
            return;
        }
        WebSocketServerHandshakerFactory factory = new WebSocketServerHandshakerFactory(
                "ws://" + request.headers().get(HttpHeaderNames.HOST, "localhost") + query.path(), null,
                decoderConfig);
        WebSocketServerHandshaker handshaker = factory.newHandshaker(request);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            return;
        }
        EventLoopLane lane = lanes.get(ctx.channel().eventLoop());
        WebSocketSession session = new WebSocketSession(gateway, lane, maxPendingBytes, maxFrameBytes,
                request.headers().get(HttpHeaderNames.USER_AGENT), query.path());
        ctx.pipeline().addAfter(ctx.name(), PipelineNames.WS_SESSION, session);
        ctx.pipeline().remove(this);
        handshaker.handshake(ctx.channel(), request).addListener(future -> {
            if (future.isSuccess()) {
                session.start(ctx.pipeline().context(session), handshake.token(), handshake.events(),
                        handshake.resume());
            } else {
                ctx.close();
            }
        });
    }

    /**
     * {@code GET /api/v1/sse} (PROTOCOL.md 15): the handshake checks, then {@code channels}, then a 200 whose body is
     * the event stream. Once the headers are written the HTTP handlers leave the pipeline: the body is raw bytes
     * written by the {@link SseSession} until the connection closes.
     */
    private void stream(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query,
                        boolean keepAlive) {
        if (!opening(ctx, request, keepAlive, "SSE")) {
            return;
        }
        Handshake handshake = authenticate(ctx, request, query, request.headers().get("Last-Event-ID"));
        if (handshake == null) {
            return;
        }
        List<String> channels = new ArrayList<>();
        if (!commaList(query, "channels", channels, Integer.MAX_VALUE)) {
            HttpResponses.error(ctx, false, ErrorCode.INVALID_FIELD,
                    "channels: at most " + ClientMessageDecoder.MAX_LIST_SIZE + " channels");
            return;
        }
        for (int i = 0; i < channels.size(); i++) {
            String problem = ChannelNames.problem(channels.get(i));
            if (problem != null) {
                HttpResponses.error(ctx, false, ErrorCode.INVALID_FIELD, "channels[" + i + "]: " + problem);
                return;
            }
        }
        for (String channel : channels) {
            if (!gateway.access().canRead(handshake.token(), channel)) {
                gateway.stats().forbidden.increment();
                HttpResponses.error(ctx, false, ErrorCode.FORBIDDEN, "not allowed to subscribe to " + channel);
                return;
            }
        }
        EventLoopLane lane = lanes.get(ctx.channel().eventLoop());
        SseSession session = new SseSession(gateway, lane, maxPendingBytes,
                request.headers().get(HttpHeaderNames.USER_AGENT), query.path(), channels);
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.addLast(PipelineNames.SSE_SESSION, session);
        // An allowed Origin (authenticate() refused the others) is echoed: EventSource needs CORS across origins.
        ctx.writeAndFlush(SseSession.responseHeaders(request.headers().get(HttpHeaderNames.ORIGIN)));
        pipeline.remove(PipelineNames.HTTP_AGGREGATOR);
        pipeline.remove(this);
        pipeline.remove(PipelineNames.HTTP_CODEC);
        session.start(pipeline.context(session), handshake.token(), handshake.events(), handshake.resume());
    }

    static String token(FullHttpRequest request, QueryStringDecoder query) {
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return header.substring(7).trim();
        }
        List<String> param = query.parameters().get("token");
        return param == null || param.isEmpty() ? null : param.get(0);
    }

    boolean originAllowed(String origin) {
        if (allowedOrigins.isEmpty() || allowedOrigins.contains("*")) {
            return true;
        }
        for (String allowed : allowedOrigins) {
            if (allowed.equalsIgnoreCase(origin)) {
                return true;
            }
        }
        return false;
    }

    static String remote(ChannelHandlerContext ctx) {
        return remote(ctx.channel());
    }

    static String remote(io.netty.channel.Channel channel) {
        return channel.remoteAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress() + ":" + a.getPort() : String.valueOf(channel.remoteAddress());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        org.slf4j.LoggerFactory.getLogger(HttpRouter.class).debug("http error remote={}", remote(ctx), cause);
        ctx.close();
    }
}
