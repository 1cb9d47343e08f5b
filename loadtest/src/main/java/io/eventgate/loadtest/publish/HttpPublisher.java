package io.eventgate.loadtest.publish;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.loadtest.Json;
import io.eventgate.loadtest.Target;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
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
import java.util.concurrent.TimeUnit;

/**
 * HTTP publisher on Netty: {@code connections} keep-alive connections per server, one request in flight on each (no
 * pipelining). {@code http}: one event per {@code POST}; {@code http-batch}: up to {@code batchSize} queued items per
 * {@code POST /api/v1/publish/batch}, a partial batch waiting at most {@code linger}. The request body is built when
 * it is written, so {@code postedAtNanos} is the real send time (raw latency) next to the intended time.
 */
public final class HttpPublisher extends QueuedPublisher<HttpPublisher.HttpConn> {
    private final Target target;
    private final PublishMode mode;
    private final List<String> urls;
    private final String apiKey;
    private final int connectionsPerNode;
    private final int batchSize;
    private final long lingerNanos;
    private final EventBodies bodies;
    private HttpConn[][] conns;

    public HttpPublisher(Target target, PublishMode mode, List<String> urls, String apiKey, int connectionsPerNode,
                         int batchSize, Duration linger, int payloadBytes, Ledger ledger) {
        super(ledger);
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
        this.bodies = new EventBodies(target, payloadBytes);
    }

    @Override
    public void start() throws Exception {
        conns = new HttpConn[urls.size()][connectionsPerNode];
        List<HttpConn> all = new ArrayList<>();
        for (int n = 0; n < urls.size(); n++) {
            URI u = URI.create(urls.get(n));
            InetSocketAddress address = new InetSocketAddress(u.getHost(), u.getPort() > 0 ? u.getPort() : 80);
            String host = u.getHost() + ":" + address.getPort();
            for (int c = 0; c < connectionsPerNode; c++) {
                conns[n][c] = new HttpConn(address, host);
                all.add(conns[n][c]);
            }
        }
        connectAll("publisher-io", all, String.join(", ", urls));
    }

    @Override
    protected HttpConn connectionFor(PublishItem item) {
        return conns[Math.floorMod(item.node(), conns.length)][Math.floorMod(item.route(), connectionsPerNode)];
    }

    private String path(List<PublishItem> items) {
        if (target == Target.EVENTGATE) {
            return mode == PublishMode.HTTP_BATCH ? "/api/v1/publish/batch" : "/api/v1/publish";
        }
        return items.get(0).kind() == PublishItem.Kind.USER ? "/publish" : "/broadcast";
    }

    // ---------------------------------------------------------------- one connection

    final class HttpConn extends QueuedPublisher.Conn<FullHttpResponse> {
        final String host;
        final ArrayDeque<PublishItem> queue = new ArrayDeque<>();
        List<PublishItem> inFlight;
        long inFlightSince;
        boolean lingerScheduled;

        HttpConn(InetSocketAddress address, String host) {
            super(HttpPublisher.this, address);
            this.host = host;
        }

        @Override
        protected ChannelHandler[] codec() {
            return new ChannelHandler[] {new HttpClientCodec(), new HttpObjectAggregator(1 << 22)};
        }

        @Override
        protected void pump() {
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
                    bodies.appendItem(sb, items.get(i), now);
                }
                sb.append("]}");
            } else {
                bodies.appendItem(sb, items.get(0), now);
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
            answered(System.nanoTime() - inFlightSince);
            int status = response.status().code();
            if (status == 200) {
                for (PublishItem it : items) {
                    succeeded(it);
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
                        succeeded(items.get(i));
                    } else {
                        failed(items.get(i), "HTTP " + status + ": "
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
                    failed(it, "publisher connection closed");
                }
                inFlight = null;
            }
            reconnectLater();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
