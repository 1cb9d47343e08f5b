package io.eventgate.server.transport;

import io.eventgate.core.GatewayStats;
import io.eventgate.protocol.ErrorCode;
import io.eventgate.protocol.ServerMessages;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * Netty's aggregator with a JSON 413 ({@code PAYLOAD_TOO_LARGE}) instead of its bare one, counted in the stats.
 *
 * <p>The connection is closed afterwards, but not at once: closing a socket that still has unread bytes makes the
 * kernel answer with a TCP reset, which can destroy the 413 before the client has read it. So the rest of the
 * oversized body is read and dropped (at most {@link #MAX_DISCARD_BYTES}, for at most {@link #LINGER_MILLIS}), and
 * the connection is closed when it ends. A request with {@code Expect: 100-continue} gets the JSON 413 instead of
 * the {@code 100 Continue} and never sends its body.
 */
final class JsonBodyAggregator extends HttpObjectAggregator {
    /** Bytes of an oversized body read and dropped before the connection is closed anyway. */
    static final long MAX_DISCARD_BYTES = 8L * 1024 * 1024;
    /** How long the rest of an oversized body may take before the connection is closed anyway. */
    static final long LINGER_MILLIS = 5_000;

    private final GatewayStats stats;
    private final int maxBodyBytes;
    /** The message being handed to the aggregator is the last of its request. */
    private boolean readingLast;
    /** A 413 was sent; the rest of the request is dropped, then the connection closed. */
    private boolean discarding;
    private long discarded;

    JsonBodyAggregator(int maxBodyBytes, GatewayStats stats) {
        super(maxBodyBytes);
        this.maxBodyBytes = maxBodyBytes;
        this.stats = stats;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (!discarding) {
            readingLast = msg instanceof LastHttpContent;
            super.channelRead(ctx, msg);
            return;
        }
        try {
            if (msg instanceof HttpContent content) {
                discarded += content.content().readableBytes();
            }
            if (!(msg instanceof HttpContent) || msg instanceof LastHttpContent || discarded > MAX_DISCARD_BYTES) {
                ctx.close();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        stats.oversizeBodies.increment();
        if (!(oversized instanceof HttpRequest)) {
            ctx.close();
            return;
        }
        FullHttpResponse response = tooLarge();
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (readingLast) {
            // The whole request has been read: nothing is left unread, close right after the response.
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        discarding = true;
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        ctx.executor().schedule(() -> {
            ctx.close();
        }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object response = super.newContinueResponse(start, maxContentLength, pipeline);
        if (response instanceof HttpResponse r && r.status().code() == HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE.code()) {
            ReferenceCountUtil.release(response);
            stats.oversizeBodies.increment();
            // Netty keeps the connection and skips the body the client should no longer send.
            return tooLarge();
        }
        return response;
    }

    private FullHttpResponse tooLarge() {
        byte[] body = ServerMessages.httpError(ErrorCode.PAYLOAD_TOO_LARGE,
                "request body larger than " + maxBodyBytes + " bytes (GATEWAY_MAX_BODY_SIZE)");
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Unpooled.wrappedBuffer(body));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }
}
