package io.eventgate.loadtest.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The client-to-server half of an SSE {@link Conn}: its acks, POSTed to {@code /api/v1/sse/{connectionId}} over one
 * keep-alive HTTP/1.1 connection of its own, opened at the first ack from the stream's loop and source address (so
 * a worker's connections per source address stay within its port range). One POST in flight at most: the gateway
 * handles a connection's messages in order anyway, and a stalled server then costs one queue, not a growing pile of
 * requests. Acks arriving meanwhile join that queue and leave in the next POST (at most {@link Conn#MAX_ACK_IDS} ids
 * each, as over the WebSocket). The reply of an ack with an id ({@code acked}) arrives on the stream, not here; a
 * POST answered otherwise than 202 is a client error. Runs on the Conn's event loop only.
 */
final class SsePoster {
    private final Conn conn;
    private final String basePath;
    private final String host;
    private final String authorization;
    private final ArrayList<String> queued = new ArrayList<>();
    private String path;
    private Channel channel;
    private boolean connecting;
    private boolean inFlight;
    private boolean closed;

    /** {@code basePath}: the stream's path ({@code /api/v1/sse}); {@code host}: its Host header. */
    SsePoster(Conn conn, String basePath, String host, String token) {
        this.conn = conn;
        this.basePath = basePath;
        this.host = host;
        this.authorization = "Bearer " + token;
    }

    /** From the stream's {@code connected} message: where the POSTs go. */
    void connectionId(String id) {
        path = basePath + "/" + id;
    }

    /** Queues {@code ids} for acknowledgement and POSTs them unless a POST is in flight. */
    void ack(List<String> ids) {
        if (closed) {
            return;
        }
        if (path == null) {
            conn.fleet.error("connection " + conn.index + ": acks before the stream's connected message");
            return;
        }
        queued.addAll(ids);
        pump();
    }

    /** The stream ended: no more POSTs; a POST in flight is abandoned (its events are redelivered at resume). */
    void close() {
        closed = true;
        queued.clear();
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    private void pump() {
        if (closed || inFlight || queued.isEmpty()) {
            return;
        }
        if (channel == null) {
            if (!connecting) {
                open();
            }
            return;
        }
        int n = Math.min(queued.size(), Conn.MAX_ACK_IDS);
        String body = Conn.ackMessage(queued, 0, n, conn.fleet.spec.ackConfirm());
        queued.subList(0, n).clear();
        ByteBuf content = ByteBufUtil.writeUtf8(channel.alloc(), body);
        FullHttpRequest post = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path, content);
        post.headers()
                .set(HttpHeaderNames.HOST, host)
                .set(HttpHeaderNames.AUTHORIZATION, authorization)
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        inFlight = true;
        conn.ts.acksSent++;
        conn.ts.ackedIds += n;
        channel.writeAndFlush(post, channel.voidPromise());
    }

    private void open() {
        connecting = true;
        Responses responses = new Responses();
        ChannelFuture f = conn.fleet.openSideChannel(conn, new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536), responses);
            }
        });
        f.addListener(done -> {
            connecting = false;
            if (closed) {
                f.channel().close();
            } else if (!done.isSuccess()) {
                conn.fleet.error("connection " + conn.index + ": ack channel: " + done.cause()
                        + " (" + queued.size() + " acks dropped)");
                queued.clear();
            } else {
                channel = f.channel();
                responses.channel = channel;
                pump();
            }
        });
    }

    /** Handles the answers on one side connection (a fresh one per connection opened, so stale ones are told apart). */
    private final class Responses extends SimpleChannelInboundHandler<FullHttpResponse> {
        Channel channel;

        private boolean current() {
            return channel != null && channel == SsePoster.this.channel;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            if (!current()) {
                return;
            }
            inFlight = false;
            int status = response.status().code();
            if (status != 202) {
                String body = response.content().toString(response.content().readerIndex(),
                        Math.min(200, response.content().readableBytes()), StandardCharsets.UTF_8);
                conn.fleet.error("connection " + conn.index + ": POST " + path + ": HTTP " + status + " " + body);
            }
            if (!HttpUtil.isKeepAlive(response)) {
                SsePoster.this.channel = null;
                ctx.close();
            }
            pump();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (current()) {
                SsePoster.this.channel = null;
                if (inFlight) {
                    inFlight = false;
                    conn.fleet.error("connection " + conn.index + ": POST " + path
                            + ": connection closed before the response");
                }
                pump(); // reopens for what is queued
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (current() && !closed) {
                conn.fleet.error("connection " + conn.index + ": ack channel: " + cause);
            }
            ctx.close();
        }
    }
}
