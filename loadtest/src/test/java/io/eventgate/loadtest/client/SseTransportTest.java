package io.eventgate.loadtest.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventgate.loadtest.Json;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The SSE transport of a fleet against a scripted server speaking PROTOCOL.md section 15 (no gateway needed): what
 * the client requests, when it goes ready, how its acks leave, and how refusals and server closes are reported.
 */
class SseTransportTest {
    private static final String SECRET = "sse-transport-test-secret-0123456789abcdef";
    private static final String CONNECTED = "retry: 1000\nid: S-1\ndata: {\"type\":\"connected\",\"connectionId\":"
            + "\"C-1\",\"userId\":\"u0\",\"sessionId\":\"S-1\",\"heartbeatInterval\":30}\n\n";
    private static final String SUBSCRIBED = "data: {\"type\":\"subscribed\",\"ref\":\"sse\",\"subscriptions\":[]}\n\n";

    private final ScriptedServer server = new ScriptedServer();
    private LocalFleet fleet;

    @AfterEach
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
        server.close();
    }

    private LocalFleet fleet(List<String> channels) {
        return fleet(channels, 1);
    }

    private LocalFleet fleet(List<String> channels, int connections) {
        fleet = new LocalFleet(new FleetSpec("eventgate", List.of("http://127.0.0.1:" + server.port), List.of(), 0,
                connections, SECRET, null, 1000, 16, 10_000, 0, channels, "auto", 1, false, "sse"));
        fleet.start();
        return fleet;
    }

    private static String event(int k) {
        return "data: {\"type\":\"bench\",\"eventId\":\"e" + k + "\",\"s\":0,\"k\":" + k + ",\"ph\":0,\"sentAtNanos\":"
                + System.nanoTime() + ",\"channel\":\"user:u0\",\"seq\":" + (k + 1) + "}\n\n";
    }

    @Test
    void theStreamIsRequestedWithTheTokenAndChannelsAndGoesReadyOnItsSubscribedReply() throws Exception {
        server.onStream = CONNECTED; // subscribed not yet
        LocalFleet f = fleet(List.of("market:x", "market:y"));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.stream != null);
        Request get = server.requests.peek();
        assertEquals("GET /api/v1/sse?channels=market%3Ax,market%3Ay", get.method + " " + get.uri);
        assertTrue(get.authorization.startsWith("Bearer ey"), get.authorization);
        assertEquals("text/event-stream", get.accept);
        assertNull(get.lastEventId, "a fresh stream resumes nothing");
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() -> f.progress().opened() == 0);
        server.send(SUBSCRIBED);
        await().atMost(Duration.ofSeconds(10)).until(() -> f.progress().opened() == 1);
    }

    @Test
    void eventsAreCountedAndTheirAcksPostedToTheStreamsConnection() throws Exception {
        LocalFleet f = fleet(List.of("market:x"));
        await().atMost(Duration.ofSeconds(10)).until(() -> f.progress().opened() == 1);
        String events = event(0) + "data: {\"type\":\"ping\"}\n\n" + event(1) + event(2);
        int cut = events.length() / 2 + 3; // the chunks split an event
        server.send(events.substring(0, cut));
        server.send(events.substring(cut));
        await().atMost(Duration.ofSeconds(10)).until(() -> f.progress().received() == 3);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.ackedIds().size() == 3);
        assertEquals(List.of("e0", "e1", "e2"), server.ackedIds());
        for (Request post : server.posts()) {
            assertEquals("POST /api/v1/sse/C-1", post.method + " " + post.uri);
            assertEquals(server.requests.peek().authorization, post.authorization, "the stream's token");
        }
        ReceiveStats rs = f.finish();
        assertEquals(0, rs.errors, () -> "errors " + rs.errorSamples);
        assertEquals(1, rs.pings);
        assertEquals(3, rs.counter("ackedIds"));
        assertEquals(0, rs.duplicates);
        assertEquals(1, server.requests.stream().filter(r -> r.method.equals("GET")).count(),
                "nothing but POSTs after the stream's GET (no pong over SSE)");
    }

    @Test
    void acksArrivingWhileAPostIsInFlightLeaveTogetherInTheNextPost() throws Exception {
        LocalFleet f = fleet(List.of());
        server.holdPosts = true;
        await().atMost(Duration.ofSeconds(10)).until(() -> f.progress().opened() == 1);
        server.send(event(0));
        await().atMost(Duration.ofSeconds(10)).until(() -> server.posts().size() == 1);
        for (int k = 1; k <= 4; k++) {
            server.send(event(k));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> f.progress().received() == 5);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> server.posts().size() == 1);
        server.release();
        await().atMost(Duration.ofSeconds(10)).until(() -> server.posts().size() == 2);
        assertEquals("{\"type\":\"ack\",\"eventIds\":[\"e1\",\"e2\",\"e3\",\"e4\"]}", server.posts().get(1).body);
        server.release();
        assertEquals(0, f.finish().errors);
    }

    @Test
    void theStreamsOfALoopShareAFewPooledConnectionsForTheirAcks() throws Exception {
        int streams = 3 * LocalFleet.ACK_CONNECTIONS_PER_LOOP;
        LocalFleet f = fleet(List.of(), streams);
        await().atMost(Duration.ofSeconds(20)).until(() -> f.progress().opened() == streams);
        int k = 0;
        for (Channel stream : server.streams) {
            String text = event(k++);
            stream.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8)));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> server.ackedIds().size() == streams);
        assertEquals(streams, new java.util.HashSet<>(server.ackedIds()).size(), "every stream's ack, once");
        assertTrue(server.postConnections.size() <= LocalFleet.ACK_CONNECTIONS_PER_LOOP,
                "ack connections: " + server.postConnections.size() + " for " + streams + " streams");
        assertEquals(0, f.finish().errors);
    }

    @Test
    void aPostAnsweredOtherwiseThan202IsAClientError() throws Exception {
        server.postStatus = HttpResponseStatus.NOT_FOUND;
        LocalFleet f = fleet(List.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> f.progress().opened() == 1);
        server.send(event(0));
        await().atMost(Duration.ofSeconds(10)).until(() -> f.progress().errors() == 1);
        ReceiveStats rs = f.finish();
        assertTrue(rs.errorSamples.get(0).contains("POST /api/v1/sse/C-1: HTTP 404 {\"error\""),
                rs.errorSamples::toString);
    }

    @Test
    void aRefusedStreamFailsItsAttemptWithTheStatusAndTheBody() throws Exception {
        server.refusal = "{\"error\":{\"code\":\"FORBIDDEN\",\"message\":\"not allowed to subscribe to market:x\"}}";
        LocalFleet f = fleet(List.of("market:x"));
        await().atMost(Duration.ofSeconds(10)).until(() -> f.progress().failed() == 1);
        ReceiveStats rs = f.finish();
        assertEquals(List.of("connection 0 failed after 1 attempt(s): HTTP 403: " + server.refusal), rs.errorSamples);
    }

    @Test
    void aServerCloseIsCountedByCodeAndNamedInTheDrop() throws Exception {
        LocalFleet f = fleet(List.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> f.progress().opened() == 1);
        server.send("retry: 5000\ndata: {\"type\":\"close\",\"code\":4101,\"reason\":\"slow consumer\"}\n\n");
        server.stream.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> f.progress().closedUnexpectedly() == 1);
        ReceiveStats rs = f.finish();
        assertEquals(java.util.Map.of("4101", 1L), rs.serverCloses());
        assertEquals(List.of("connection 0 closed by the server or the network (close 4101: slow consumer)"),
                rs.errorSamples);
    }

    @Test
    void aResumeSendsTheSessionIdAsLastEventId() throws Exception {
        LocalFleet f = fleet(List.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> f.progress().opened() == 1);
        Channel first = server.stream;
        f.abortAll(Duration.ofSeconds(10));
        f.reconnectAll(0, true);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.stream != first && f.progress().opened() == 1);
        List<Request> gets = server.requests.stream().filter(r -> r.method.equals("GET")).toList();
        assertEquals(2, gets.size());
        assertEquals("S-1", gets.get(1).lastEventId);
        assertEquals("/api/v1/sse", gets.get(1).uri, "the session id travels in the header only");
    }

    private record Request(String method, String uri, String authorization, String accept, String lastEventId,
                           String body) {}

    /** Answers the stream's GET with {@link #onStream} (or {@link #refusal}) and each POST with {@link #postStatus}. */
    private static final class ScriptedServer implements AutoCloseable {
        final Queue<Request> requests = new ConcurrentLinkedQueue<>();
        final Queue<ChannelHandlerContext> held = new ConcurrentLinkedQueue<>();
        final EventLoopGroup group = Transports.group(1, "scripted-sse-server");
        final int port;
        volatile String onStream = CONNECTED + SUBSCRIBED;
        volatile String refusal;
        volatile HttpResponseStatus postStatus = HttpResponseStatus.ACCEPTED;
        volatile boolean holdPosts;
        volatile Channel stream;
        final Queue<Channel> streams = new ConcurrentLinkedQueue<>();
        final java.util.Set<Channel> postConnections = java.util.concurrent.ConcurrentHashMap.newKeySet();

        ScriptedServer() {
            Channel bound = new ServerBootstrap().group(group)
                    .channel(Transports.epoll() ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16),
                                    new Handler());
                        }
                    })
                    .bind("127.0.0.1", 0).syncUninterruptibly().channel();
            port = ((InetSocketAddress) bound.localAddress()).getPort();
        }

        void send(String text) {
            stream.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8)))
                    .syncUninterruptibly();
        }

        List<Request> posts() {
            return requests.stream().filter(r -> r.method.equals("POST")).toList();
        }

        List<String> ackedIds() throws Exception {
            List<String> ids = new ArrayList<>();
            for (Request post : posts()) {
                Json.MAPPER.readTree(post.body).path("eventIds").forEach(id -> ids.add(id.asText()));
            }
            return ids;
        }

        /** Answers the held POSTs and stops holding them. */
        void release() {
            holdPosts = false;
            ChannelHandlerContext ctx;
            while ((ctx = held.poll()) != null) {
                ChannelHandlerContext c = ctx;
                c.executor().execute(() -> answer(c, HttpResponseStatus.ACCEPTED));
            }
        }

        private void answer(ChannelHandlerContext ctx, HttpResponseStatus status) {
            String body = status == HttpResponseStatus.ACCEPTED ? "{\"accepted\":true,\"connectionId\":\"C-1\"}"
                    : "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no SSE connection C-1\"}}";
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
            ctx.writeAndFlush(r);
        }

        private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                requests.add(new Request(req.method().name(), req.uri(),
                        req.headers().get(HttpHeaderNames.AUTHORIZATION), req.headers().get(HttpHeaderNames.ACCEPT),
                        req.headers().get("Last-Event-ID"), req.content().toString(StandardCharsets.UTF_8)));
                if (req.method().name().equals("POST")) {
                    postConnections.add(ctx.channel());
                    if (holdPosts) {
                        held.add(ctx);
                    } else {
                        answer(ctx, postStatus);
                    }
                } else if (refusal != null) {
                    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                            HttpResponseStatus.FORBIDDEN, Unpooled.copiedBuffer(refusal, StandardCharsets.UTF_8));
                    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                            .setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
                    ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
                } else {
                    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                            .set(HttpHeaderNames.CONNECTION, "close");
                    ctx.write(head);
                    ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(onStream, StandardCharsets.UTF_8)));
                    stream = ctx.channel();
                    streams.add(ctx.channel());
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close(); // the client's abort (RST) is part of the script
            }
        }

        @Override
        public void close() {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
