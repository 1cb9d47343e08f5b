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
import java.util.ArrayDeque;
import java.util.function.Function;

/**
 * Up to {@link #size} keep-alive HTTP/1.1 connections of one client event loop to one server, shared by the loop's SSE
 * streams to POST their acks ({@link SsePoster}). Each connection carries one request at a time; streams with acks
 * wait in a FIFO queue for the next free one. Opened lazily, reopened after a close. Runs on its loop only.
 */
final class SseAckPool {
    private final int size;
    private final String host;
    /** Opens a connection with the given initializer, on this pool's loop, to its server. */
    private final Function<ChannelInitializer<SocketChannel>, ChannelFuture> connector;
    private final LocalFleet fleet;
    private final ArrayDeque<SsePoster> waiting = new ArrayDeque<>();
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();
    private int open;

    SseAckPool(LocalFleet fleet, int size, String host,
               Function<ChannelInitializer<SocketChannel>, ChannelFuture> connector) {
        this.fleet = fleet;
        this.size = size;
        this.host = host;
        this.connector = connector;
    }

    void submit(SsePoster poster) {
        waiting.add(poster);
        pump();
    }

    private void pump() {
        while (!waiting.isEmpty() && !idle.isEmpty()) {
            Channel channel = idle.poll();
            if (!channel.isActive()) {
                continue;
            }
            SsePoster poster = waiting.poll();
            if (poster.closed || poster.queued.isEmpty()) {
                poster.sent();
                idle.add(channel);
                continue;
            }
            post(channel, poster);
        }
        if (!waiting.isEmpty() && open < size) {
            open();
        }
    }

    private void post(Channel channel, SsePoster poster) {
        int n = Math.min(poster.queued.size(), Conn.MAX_ACK_IDS);
        String body = Conn.ackMessage(poster.queued, 0, n, fleet.spec.ackConfirm());
        poster.queued.subList(0, n).clear();
        ByteBuf content = ByteBufUtil.writeUtf8(channel.alloc(), body);
        FullHttpRequest post = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, poster.path, content);
        post.headers()
                .set(HttpHeaderNames.HOST, host)
                .set(HttpHeaderNames.AUTHORIZATION, poster.authorization)
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        poster.conn.ts.acksSent++;
        poster.conn.ts.ackedIds += n;
        channel.attr(Responses.IN_FLIGHT).set(poster);
        channel.writeAndFlush(post, channel.voidPromise());
    }

    private void open() {
        open++;
        Responses responses = new Responses();
        ChannelFuture f = connector.apply(new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536), responses);
            }
        });
        f.addListener(done -> {
            if (!done.isSuccess()) {
                open--;
                // Every waiting stream's acks are dropped (their events are redelivered): a client error each.
                fleet.error("ack connection: " + done.cause() + " (" + waiting.size() + " streams' acks dropped)");
                while (!waiting.isEmpty()) {
                    SsePoster p = waiting.poll();
                    p.queued.clear();
                    p.sent();
                }
                return;
            }
            idle.add(f.channel());
            pump();
        });
    }

    /** Answers on one pooled connection. */
    private final class Responses extends SimpleChannelInboundHandler<FullHttpResponse> {
        static final io.netty.util.AttributeKey<SsePoster> IN_FLIGHT = io.netty.util.AttributeKey.valueOf("ackPost");

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            SsePoster poster = ctx.channel().attr(IN_FLIGHT).getAndSet(null);
            int status = response.status().code();
            if (status != 202 && poster != null) {
                String body = response.content().toString(response.content().readerIndex(),
                        Math.min(200, response.content().readableBytes()), StandardCharsets.UTF_8);
                fleet.error("connection " + poster.conn.index + ": POST " + poster.path + ": HTTP " + status + " "
                        + body);
            }
            if (HttpUtil.isKeepAlive(response)) {
                idle.add(ctx.channel());
            } else {
                ctx.close();
            }
            if (poster != null) {
                poster.sent();
            }
            pump();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            open--;
            SsePoster poster = ctx.channel().attr(IN_FLIGHT).getAndSet(null);
            if (poster != null) {
                if (!fleet.closing) {
                    fleet.error("connection " + poster.conn.index + ": POST " + poster.path
                            + ": connection closed before the response");
                }
                poster.sent();
            }
            pump();
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!fleet.closing) {
                fleet.error("ack connection: " + cause);
            }
            ctx.close();
        }
    }
}
