package io.eventgate.loadtest.publish;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.loadtest.Hist;
import io.eventgate.loadtest.Json;
import io.eventgate.loadtest.Target;
import io.eventgate.loadtest.client.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SynchronizedHistogram;

/**
 * HTTP publisher on Netty: {@code connections} keep-alive connections per server, one request in flight on each (no
 * pipelining). {@code http}: one event per {@code POST}; {@code http-batch}: up to {@code batchSize} queued items per
 * {@code POST /api/v1/publish/batch}, a partial batch waiting at most {@code linger}. The request body is built when
 * it is written, so {@code postedAtNanos} is the real send time (raw latency) next to the intended time.
 */
public final class HttpPublisher implements Publisher {
    private final Target target;
    private final PublishMode mode;
    private final List<String> urls;
    private final String apiKey;
    private final int connectionsPerNode;
    private final int batchSize;
    private final long lingerNanos;
    private final String padding;
    private final Ledger ledger;
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final Histogram roundTrip = new SynchronizedHistogram(Hist.MAX_MICROS, 3);
    private final ThreadLocal<List<HttpConn>> touched = ThreadLocal.withInitial(ArrayList::new);
    private EventLoopGroup group;
    private HttpConn[][] conns;
    private volatile boolean closing;

    public HttpPublisher(Target target, PublishMode mode, List<String> urls, String apiKey, int connectionsPerNode,
                         int batchSize, Duration linger, int payloadBytes, Ledger ledger) {
        if (mode == PublishMode.HTTP_BATCH && target != Target.EVENTGATE) {
            throw new IllegalArgumentException("--publish-mode http-batch needs --target eventgate (the peers have"
                    + " no batch endpoint)");
        }
        this.target = target;
        this.mode = mode;
        this.urls = List.copyOf(urls);
        this.apiKey = apiKey;
        this.connectionsPerNode = Math.max(1, connectionsPerNode);
        this.batchSize = Math.max(1, Math.min(1000, batchSize));
        this.lingerNanos = linger.toNanos();
        this.padding = payloadBytes > 0 ? ",\"pad\":\"" + "x".repeat(payloadBytes) + "\"" : "";
        this.ledger = ledger;
    }

    @Override
    public void start() throws Exception {
        group = Transports.group(1, "publisher-io");
        conns = new HttpConn[urls.size()][connectionsPerNode];
        List<io.netty.channel.ChannelFuture> futures = new ArrayList<>();
        for (int n = 0; n < urls.size(); n++) {
            URI u = URI.create(urls.get(n));
            InetSocketAddress address = new InetSocketAddress(u.getHost(), u.getPort() > 0 ? u.getPort() : 80);
            String host = u.getHost() + ":" + address.getPort();
            for (int c = 0; c < connectionsPerNode; c++) {
                HttpConn conn = new HttpConn(address, host, group.next());
                conns[n][c] = conn;
                futures.add(conn.connect());
            }
        }
        for (var f : futures) {
            if (!f.awaitUninterruptibly(30, TimeUnit.SECONDS) || !f.isSuccess()) {
                throw new java.io.IOException("publisher cannot connect: " + f.cause());
            }
        }
    }

    @Override
    public void submit(PublishItem item) {
        submitted.incrementAndGet();
        HttpConn conn = conns[Math.floorMod(item.node(), conns.length)][Math.floorMod(item.route(),
                connectionsPerNode)];
        conn.incoming.add(item);
        List<HttpConn> t = touched.get();
        if (!conn.listed) {
            conn.listed = true;
            t.add(conn);
        }
    }

    @Override
    public void flush() {
        List<HttpConn> t = touched.get();
        for (HttpConn c : t) {
            c.listed = false;
            c.wake();
        }
        t.clear();
    }

    @Override
    public PublisherStats stats() {
        Histogram copy = Hist.create();
        synchronized (roundTrip) {
            copy.add(roundTrip);
        }
        return new PublisherStats(submitted.get(), published.get(), failed.get(), requests.get(), copy);
    }

    @Override
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (submitted.get() > published.get() + failed.get()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    @Override
    public void close() {
        closing = true;
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
    }

    // ---------------------------------------------------------------- bodies

    private void appendEvent(StringBuilder sb, PublishItem it, long postedAt) {
        sb.append("{\"type\":\"bench\",\"eventId\":\"").append(it.eventId())
                .append("\",\"s\":").append(it.stream())
                .append(",\"k\":").append(it.k())
                .append(",\"ph\":").append(it.phase())
                .append(",\"sentAtNanos\":").append(it.intendedNanos())
                .append(",\"postedAtNanos\":").append(postedAt)
                .append(padding).append('}');
    }

    private void appendItem(StringBuilder sb, PublishItem it, long postedAt) {
        if (it.kind() == PublishItem.Kind.USER) {
            sb.append("{\"user\":\"").append(Json.escape(it.dest())).append("\",\"event\":");
        } else if (target == Target.EVENTGATE) {
            sb.append("{\"channel\":\"").append(Json.escape(it.dest())).append("\",\"event\":");
        } else {
            sb.append("{\"event\":");
        }
        appendEvent(sb, it, postedAt);
        sb.append('}');
    }

    private String path(List<PublishItem> items) {
        if (target == Target.EVENTGATE) {
            return mode == PublishMode.HTTP_BATCH ? "/api/v1/publish/batch" : "/api/v1/publish";
        }
        return items.get(0).kind() == PublishItem.Kind.USER ? "/publish" : "/broadcast";
    }

    // ---------------------------------------------------------------- one connection

    private final class HttpConn extends SimpleChannelInboundHandler<FullHttpResponse> {
        final ConcurrentLinkedQueue<PublishItem> incoming = new ConcurrentLinkedQueue<>();
        final AtomicBoolean scheduled = new AtomicBoolean();
        final InetSocketAddress address;
        final String host;
        final EventLoop loop;
        final ArrayDeque<PublishItem> queue = new ArrayDeque<>();
        boolean listed; // touched by the submitting thread only
        Channel channel;
        List<PublishItem> inFlight;
        long inFlightSince;
        boolean lingerScheduled;

        HttpConn(InetSocketAddress address, String host, EventLoop loop) {
            this.address = address;
            this.host = host;
            this.loop = loop;
        }

        io.netty.channel.ChannelFuture connect() {
            Bootstrap b = new Bootstrap().group(loop).channel(Transports.channelClass())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 22),
                                    HttpConn.this);
                        }
                    });
            io.netty.channel.ChannelFuture f = b.connect(address);
            f.addListener(x -> {
                if (x.isSuccess()) {
                    channel = f.channel();
                    pump();
                } else if (!closing) {
                    loop.schedule(this::connect, 500, TimeUnit.MILLISECONDS);
                }
            });
            return f;
        }

        @Override
        public boolean isSharable() {
            return true; // re-added to the pipeline of a reconnected channel
        }

        void wake() {
            if (scheduled.compareAndSet(false, true)) {
                loop.execute(() -> {
                    scheduled.set(false);
                    pump();
                });
            }
        }

        void pump() {
            PublishItem it;
            while ((it = incoming.poll()) != null) {
                queue.add(it);
            }
            if (inFlight != null || channel == null || !channel.isActive() || queue.isEmpty()) {
                return;
            }
            List<PublishItem> items;
            long now = System.nanoTime();
            if (mode == PublishMode.HTTP_BATCH) {
                if (queue.size() < batchSize && now - queue.peek().intendedNanos() < lingerNanos) {
                    if (!lingerScheduled) {
                        lingerScheduled = true;
                        long wait = lingerNanos - (now - queue.peek().intendedNanos());
                        loop.schedule(() -> {
                            lingerScheduled = false;
                            pump();
                        }, Math.max(1000, wait), TimeUnit.NANOSECONDS);
                    }
                    return;
                }
                int n = Math.min(batchSize, queue.size());
                items = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    items.add(queue.poll());
                }
            } else {
                items = List.of(queue.poll());
            }
            StringBuilder sb = new StringBuilder(256 * items.size());
            if (mode == PublishMode.HTTP_BATCH) {
                sb.append("{\"items\":[");
                for (int i = 0; i < items.size(); i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    appendItem(sb, items.get(i), now);
                }
                sb.append("]}");
            } else {
                appendItem(sb, items.get(0), now);
            }
            ByteBuf body = ByteBufUtil.writeUtf8(channel.alloc(), sb);
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path(items),
                    body);
            request.headers().set(HttpHeaderNames.HOST, host)
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            if (apiKey != null) {
                request.headers().set("X-API-Key", apiKey);
            }
            inFlight = items;
            inFlightSince = now;
            channel.writeAndFlush(request, channel.voidPromise());
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            List<PublishItem> items = inFlight;
            inFlight = null;
            if (items == null) {
                return;
            }
            requests.incrementAndGet();
            Hist.recordMicros(roundTrip, (System.nanoTime() - inFlightSince) / 1000);
            int status = response.status().code();
            if (status == 200) {
                for (PublishItem it : items) {
                    published.incrementAndGet();
                    ledger.published(it);
                }
            } else {
                String body = response.content().toString(StandardCharsets.UTF_8);
                boolean[] ok = new boolean[items.size()];
                if (mode == PublishMode.HTTP_BATCH && status == 503) {
                    try {
                        JsonNode results = Json.MAPPER.readTree(body).path("results");
                        for (int i = 0; i < ok.length && i < results.size(); i++) {
                            ok[i] = !results.get(i).has("error");
                        }
                    } catch (java.io.IOException e) {
                        // all failed
                    }
                }
                for (int i = 0; i < items.size(); i++) {
                    if (ok[i]) {
                        published.incrementAndGet();
                        ledger.published(items.get(i));
                    } else {
                        failed.incrementAndGet();
                        ledger.failed(items.get(i), "HTTP " + status + ": "
                                + (body.length() > 200 ? body.substring(0, 200) : body));
                    }
                }
            }
            pump();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (inFlight != null) {
                for (PublishItem it : inFlight) {
                    failed.incrementAndGet();
                    ledger.failed(it, "publisher connection closed");
                }
                inFlight = null;
            }
            channel = null;
            if (!closing) {
                loop.schedule(this::connect, 100, TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
