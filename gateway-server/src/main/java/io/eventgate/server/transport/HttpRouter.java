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
 * Routes every aggregated HTTP request: the WebSocket endpoints are authenticated and upgraded here; everything
 * else goes to the {@link RestApi}. Stateless and shared by all connections.
 *
 * <p>The upgrade authenticates before the handshake, so a refused client gets a plain HTTP 401/403 with a JSON
 * body and never a WebSocket. Tokens are never logged: only the path, without its query string, is.
 */
@ChannelHandler.Sharable
public final class HttpRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
    public static final Set<String> WEBSOCKET_PATHS = Set.of("/api/v1/ws", "/api/v1/ws/transactions");

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
        api.handle(ctx, request, path, query, keepAlive);
    }

    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query,
                         boolean keepAlive) {
        if (request.method() != HttpMethod.GET) {
            io.netty.handler.codec.http.FullHttpResponse response = new io.netty.handler.codec.http.DefaultFullHttpResponse(
                    io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
                    io.netty.handler.codec.http.HttpResponseStatus.METHOD_NOT_ALLOWED,
                    io.netty.buffer.Unpooled.wrappedBuffer(io.eventgate.protocol.ServerMessages.httpError(
                            ErrorCode.METHOD_NOT_ALLOWED, "the WebSocket endpoint takes GET")));
            response.headers().set(HttpHeaderNames.ALLOW, "GET")
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            HttpResponses.send(ctx, keepAlive, response);
            return;
        }
        if (draining.getAsBoolean()) {
            HttpResponses.error(ctx, false, ErrorCode.UNAVAILABLE, "node is draining; connect to another node");
            return;
        }
        if (!request.headers().containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            HttpResponses.error(ctx, keepAlive, ErrorCode.INVALID_FIELD,
                    "expected a WebSocket upgrade (Upgrade: websocket)");
            return;
        }
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null && !originAllowed(origin)) {
            gateway.stats().originRefused.increment();
            HttpResponses.error(ctx, false, ErrorCode.FORBIDDEN, "origin not allowed");
            return;
        }
        VerifiedToken token;
        try {
            token = verifier.verify(token(request, query));
        } catch (TokenException e) {
            gateway.stats().authFailures.increment();
            HttpResponses.error(ctx, false, ErrorCode.UNAUTHORIZED, e.getMessage());
            return;
        }
        if (ChannelNames.problem(ChannelNames.userChannel(token.userId())) != null) {
            gateway.stats().authFailures.increment();
            HttpResponses.error(ctx, false, ErrorCode.UNAUTHORIZED, "token subject cannot be used as a user id"
                    + " (at most " + ChannelNames.MAX_NAME_LENGTH + " letters, digits and _ - . : @ = + |)");
            return;
        }
        List<String> events = null;
        List<String> eventsParam = query.parameters().get("events");
        if (eventsParam != null) {
            events = new ArrayList<>();
            for (String value : eventsParam) {
                for (String type : value.split(",")) {
                    String t = type.trim();
                    if (t.isEmpty()) {
                        continue;
                    }
                    if (t.length() > ClientMessageDecoder.MAX_EVENT_TYPE_LENGTH || events.size() >= ClientMessageDecoder.MAX_LIST_SIZE) {
                        HttpResponses.error(ctx, false, ErrorCode.INVALID_FIELD, "events: at most "
                                + ClientMessageDecoder.MAX_LIST_SIZE + " types of at most "
                                + ClientMessageDecoder.MAX_EVENT_TYPE_LENGTH + " characters");
                        return;
                    }
                    events.add(t);
                }
            }
            if (events.isEmpty()) {
                events = null; // "?events=" with no type means every type, as without the parameter
            }
        }
        List<String> resumeParam = query.parameters().get("resume");
        String resume = resumeParam == null || resumeParam.isEmpty() || resumeParam.get(0).isBlank() ? null
                : resumeParam.get(0);
        if (resume != null && resume.length() > 64) {
            HttpResponses.error(ctx, false, ErrorCode.INVALID_FIELD, "resume: not a session id");
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
        List<String> initialEvents = events;
        handshaker.handshake(ctx.channel(), request).addListener(future -> {
            if (future.isSuccess()) {
                session.start(ctx.pipeline().context(session), token, initialEvents, resume);
            } else {
                ctx.close();
            }
        });
    }

    private static String token(FullHttpRequest request, QueryStringDecoder query) {
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return header.substring(7).trim();
        }
        List<String> param = query.parameters().get("token");
        return param == null || param.isEmpty() ? null : param.get(0);
    }

    private boolean originAllowed(String origin) {
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
