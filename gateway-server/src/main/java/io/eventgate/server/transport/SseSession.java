package io.eventgate.server.transport;

import io.eventgate.core.Gateway;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.protocol.Json;
import io.eventgate.protocol.ServerMessages;
import io.eventgate.protocol.SseEncoding;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/**
 * The only handler of a Server-Sent Events stream once its response headers are written (the HTTP codec is removed:
 * the body is raw bytes until the connection closes) and the core's {@link io.eventgate.core.hub.Transport} for it.
 * Every server message is one SSE event whose data is the WebSocket frame's JSON; client messages arrive as POSTs
 * handled by {@link SseMessages}. Not sharable: one per connection; every method runs on the channel's event loop
 * except {@link #close}.
 */
public final class SseSession extends ClientSession {
    /** The channels of {@code ?channels=}, subscribed once {@code connected} is out; null after that. */
    private List<String> initialChannels;

    public SseSession(Gateway gateway, EventLoopLane lane, long maxPendingBytes, String userAgent, String path,
                      List<String> initialChannels) {
        super(gateway, lane, maxPendingBytes, userAgent, path);
        this.initialChannels = initialChannels.isEmpty() ? null : initialChannels;
    }

    /**
     * The 200 that starts a stream: no length and no chunking (the body ends when the connection closes, hence
     * {@code Connection: close}), so every event is the same bytes for every recipient; {@code X-Accel-Buffering: no}
     * asks a proxy in front not to hold events back. With an (allowed) {@code origin}, the CORS headers that let a
     * page of that origin read the stream.
     */
    static HttpResponse responseHeaders(String origin) {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        HttpResponses.cors(response.headers(), origin);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                .set("X-Accel-Buffering", "no");
        return response;
    }

    @Override
    void start(ChannelHandlerContext ctx, io.eventgate.core.auth.VerifiedToken token, List<String> initialEvents,
               String resumeSessionId) {
        super.start(ctx, token, initialEvents, resumeSessionId);
        if (connection != null) {
            gateway.stats().sseConnections.increment();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (connection != null) {
            gateway.stats().sseConnections.decrement();
        }
        super.channelInactive(ctx);
    }

    /** A stream carries nothing from the client: bytes sent after the request are dropped. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    int frameForm() {
        return SSE_FRAMES;
    }

    @Override
    int frameOverhead() {
        return SseEncoding.OVERHEAD;
    }

    @Override
    public boolean idleTimeoutApplies() {
        return false;
    }

    @Override
    public void sendControl(byte[] json) {
        if (channel == null || closing) {
            return;
        }
        channel.writeAndFlush(Frames.sse(channel.alloc(), json), channel.voidPromise());
    }

    /**
     * {@code connected} carries the session id as the SSE {@code id}: EventSource sends it back on reconnect. The
     * {@code ?channels=} subscribe follows in a task of its own, after what the caller sends in this one (a resume's
     * pending and replayed events), as if the client had sent it on receiving {@code connected}.
     */
    @Override
    public void sendConnected(String sessionId, byte[] json) {
        if (channel == null || closing) {
            return;
        }
        channel.writeAndFlush(Unpooled.wrappedBuffer(SseEncoding.message(json, sessionId, SseEncoding.RETRY_MILLIS)),
                channel.voidPromise());
        List<String> channels = initialChannels;
        initialChannels = null;
        if (channels != null) {
            channel.eventLoop().execute(() -> {
                if (connection != null && !connection.isClosed()) {
                    gateway.onText(connection, subscribeMessage(channels));
                }
            });
        }
    }

    /** {@code {"type":"subscribe","id":"sse","channels":[...]}}. */
    static byte[] subscribeMessage(List<String> channels) {
        ObjectNode message = Json.MAPPER.createObjectNode();
        message.put("type", "subscribe");
        message.put("id", "sse");
        ArrayNode array = message.putArray("channels");
        channels.forEach(array::add);
        return ServerMessages.bytes(message);
    }

    @Override
    void writeClose(int code, String reason) {
        channel.writeAndFlush(Unpooled.wrappedBuffer(SseEncoding.close(code, reason)))
                .addListener(ChannelFutureListener.CLOSE);
    }
}
