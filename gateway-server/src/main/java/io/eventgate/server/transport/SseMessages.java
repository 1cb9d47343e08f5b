package io.eventgate.server.transport;

import io.eventgate.core.Gateway;
import io.eventgate.core.auth.TokenException;
import io.eventgate.core.auth.TokenVerifier;
import io.eventgate.core.auth.VerifiedToken;
import io.eventgate.core.hub.Connection;
import io.eventgate.protocol.ClientMessageDecoder;
import io.eventgate.protocol.ErrorCode;
import io.eventgate.protocol.ProtocolException;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;

/**
 * {@code POST /api/v1/sse/{connectionId}} (PROTOCOL.md 15.4): a client message for a Server-Sent Events stream of
 * this node. The request is checked and the message decoded here, so a bad one gets an HTTP error naming the problem;
 * a good one is handed to the stream's lane and handled exactly like a WebSocket frame of that connection, and its
 * reply goes out on the stream. Stateless; called on the POST's event loop.
 */
final class SseMessages {
    private final Gateway gateway;
    private final TokenVerifier verifier;
    private final int maxMessageBytes;
    private final Predicate<String> originAllowed;

    SseMessages(Gateway gateway, TokenVerifier verifier, int maxMessageBytes, Predicate<String> originAllowed) {
        this.gateway = gateway;
        this.verifier = verifier;
        this.maxMessageBytes = maxMessageBytes;
        this.originAllowed = originAllowed;
    }

    /**
     * Answers one request to {@code /api/v1/sse/{connectionId}}. A browser page of another origin sends
     * {@code Authorization} and a JSON body, so its POST is preceded by a CORS preflight ({@code OPTIONS}); both get
     * the CORS headers when the {@code Origin} is allowed ({@code GATEWAY_ALLOWED_ORIGINS}), and a 403 when it is not.
     */
    void post(ChannelHandlerContext ctx, FullHttpRequest request, QueryStringDecoder query, String connectionId,
              boolean keepAlive) {
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (origin != null && !originAllowed.test(origin)) {
            gateway.stats().originRefused.increment();
            HttpResponses.error(ctx, keepAlive, ErrorCode.FORBIDDEN, "origin not allowed");
            return;
        }
        if (request.method() == HttpMethod.OPTIONS) {
            preflight(ctx, keepAlive, origin);
            return;
        }
        if (request.method() != HttpMethod.POST) {
            HttpResponses.methodNotAllowed(ctx, keepAlive, "POST", "use POST", origin);
            return;
        }
        if (request.content().readableBytes() > maxMessageBytes) {
            gateway.stats().oversizeBodies.increment();
            HttpResponses.error(ctx, keepAlive, ErrorCode.PAYLOAD_TOO_LARGE,
                    "message larger than " + maxMessageBytes + " bytes (GATEWAY_MAX_FRAME_SIZE)", origin);
            return;
        }
        VerifiedToken token;
        try {
            token = verifier.verify(HttpRouter.token(request, query));
        } catch (TokenException e) {
            gateway.stats().authFailures.increment();
            HttpResponses.error(ctx, keepAlive, ErrorCode.UNAUTHORIZED, e.getMessage(), origin);
            return;
        }
        Connection connection = stream(token.userId(), connectionId);
        if (connection == null) {
            HttpResponses.error(ctx, keepAlive, ErrorCode.NOT_FOUND, "no SSE connection "
                    + (connectionId.length() > 64 ? connectionId.substring(0, 64) + "..." : connectionId)
                    + " of this user on this node", origin);
            return;
        }
        byte[] body = ByteBufUtil.getBytes(request.content());
        try {
            ClientMessageDecoder.decode(body);
        } catch (ProtocolException e) {
            gateway.stats().invalidMessages.increment();
            HttpResponses.error(ctx, keepAlive, e.code(), e.getMessage(), origin);
            return;
        }
        connection.transport().lane().execute(() -> {
            if (!connection.isClosed()) {
                gateway.onText(connection, body);
            }
        });
        HttpResponses.json(ctx, keepAlive, HttpResponseStatus.ACCEPTED,
                ("{\"accepted\":true,\"connectionId\":\"" + connection.id() + "\"}").getBytes(StandardCharsets.UTF_8),
                origin);
    }

    /** 204 to a CORS preflight: POST with {@code Authorization} and {@code Content-Type}, cached 10 minutes. */
    private static void preflight(ChannelHandlerContext ctx, boolean keepAlive, String origin) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
        HttpResponses.cors(response.headers(), origin);
        response.headers()
                .set(HttpHeaderNames.ALLOW, "POST, OPTIONS")
                .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "POST")
                .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, "Authorization, Content-Type")
                .set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "600")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        HttpResponses.send(ctx, keepAlive, response);
    }

    /** The user's open SSE connection with this id on this node, or null (also for another user's id). */
    private Connection stream(String userId, String connectionId) {
        for (Connection c : gateway.hub().connectionsOf(userId)) {
            if (c.id().equals(connectionId) && c.transport() instanceof SseSession && c.transport().isOpen()) {
                return c;
            }
        }
        return null;
    }
}
