package io.eventgate.server.transport;

import io.eventgate.protocol.ErrorCode;
import io.eventgate.protocol.ServerMessages;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** Writes JSON responses with keep-alive handled; safe to call from any thread. */
public final class HttpResponses {
    private HttpResponses() {}

    public static void json(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, byte[] body) {
        json(ctx, keepAlive, status, body, null);
    }

    /** A JSON response; with {@code corsOrigin} (an allowed {@code Origin}), readable by that origin's pages. */
    public static void json(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, byte[] body,
                            String corsOrigin) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.wrappedBuffer(body));
        cors(response.headers(), corsOrigin);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        send(ctx, keepAlive, response);
    }

    public static void error(ChannelHandlerContext ctx, boolean keepAlive, ErrorCode code, String message) {
        error(ctx, keepAlive, code, message, null);
    }

    public static void error(ChannelHandlerContext ctx, boolean keepAlive, ErrorCode code, String message,
                             String corsOrigin) {
        json(ctx, keepAlive, HttpResponseStatus.valueOf(code.httpStatus()), ServerMessages.httpError(code, message),
                corsOrigin);
    }

    /** Adds {@code Access-Control-Allow-Origin: <origin>} and {@code Vary: Origin} when {@code origin} is not null. */
    static void cors(HttpHeaders headers, String origin) {
        if (origin != null) {
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin).set(HttpHeaderNames.VARY,
                    HttpHeaderNames.ORIGIN);
        }
    }

    /** A 405 naming the one accepted method in {@code Allow} (no {@code Cache-Control}, as documented). */
    public static void methodNotAllowed(ChannelHandlerContext ctx, boolean keepAlive, String allow, String message) {
        methodNotAllowed(ctx, keepAlive, allow, message, null);
    }

    public static void methodNotAllowed(ChannelHandlerContext ctx, boolean keepAlive, String allow, String message,
                                        String corsOrigin) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.METHOD_NOT_ALLOWED,
                Unpooled.wrappedBuffer(ServerMessages.httpError(ErrorCode.METHOD_NOT_ALLOWED, message)));
        cors(response.headers(), corsOrigin);
        response.headers().set(HttpHeaderNames.ALLOW, allow)
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        send(ctx, keepAlive, response);
    }

    public static void send(ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse response) {
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            ctx.writeAndFlush(response, ctx.voidPromise());
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
