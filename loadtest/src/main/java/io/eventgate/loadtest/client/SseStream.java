package io.eventgate.loadtest.client;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * The SSE side of a {@link Conn}, between the HTTP codec and the Conn: sends the stream's GET, opens the Conn's
 * protocol on a 200 {@code text/event-stream}, and hands each event's data to the Conn as the WebSocket side hands
 * a text frame. No aggregator in front of it: the body is close-delimited and endless, so it is decoded chunk by
 * chunk. A refusal is an ordinary HTTP error response: its status and body become the attempt's failure reason.
 */
final class SseStream extends ChannelInboundHandlerAdapter {
    /** An event is one gateway message; a WebSocket frame of the harness may carry 1 MiB. */
    static final int MAX_EVENT_BYTES = 1 << 20;
    private static final int MAX_REFUSAL_CHARS = 300;

    private final Conn conn;
    private final HttpRequest request;
    private final SseDecoder decoder;
    /** Null until the response head came; then the status line unless the stream opened. */
    private StringBuilder refusal;
    private boolean open;

    SseStream(Conn conn, HttpRequest request, SseDecoder.Scratch scratch) {
        this.conn = conn;
        this.request = request;
        this.decoder = new SseDecoder(conn::onPayload, scratch, MAX_EVENT_BYTES);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.fireChannelActive();
        ctx.writeAndFlush(request, ctx.voidPromise());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpResponse response) {
                head(response);
            }
            if (msg instanceof HttpContent content) {
                if (open) {
                    decoder.decode(content.content());
                } else if (refusal != null) {
                    refusalBody(content);
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void head(HttpResponse response) {
        if (response.decoderResult().isFailure()) {
            conn.fail("malformed HTTP response: " + response.decoderResult().cause());
            return;
        }
        String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        if (response.status().code() == 200 && type.startsWith("text/event-stream")) {
            open = true;
            conn.streamOpened();
        } else {
            refusal = new StringBuilder("HTTP ").append(response.status().code());
            if (response.status().code() == 200) {
                refusal.append(" with content-type \"").append(type).append('"');
            }
            refusal.append(": ");
        }
    }

    private void refusalBody(HttpContent content) {
        int room = MAX_REFUSAL_CHARS - refusal.length();
        if (room > 0 && content.content().isReadable()) {
            int n = Math.min(room, content.content().readableBytes());
            refusal.append(content.content().toString(content.content().readerIndex(), n, StandardCharsets.UTF_8));
        }
        if (content instanceof LastHttpContent) {
            conn.fail(refusal.toString());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (refusal != null) {
            conn.fail(refusal.toString()); // closed before the refusal's body ended; a no-op once failed
        }
        ctx.fireChannelInactive();
    }
}
