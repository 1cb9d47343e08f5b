package io.eventgate.loadtest.publish;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.redis.ArrayRedisMessage;
import io.netty.handler.codec.redis.ErrorRedisMessage;
import io.netty.handler.codec.redis.FullBulkStringRedisMessage;
import io.netty.handler.codec.redis.IntegerRedisMessage;
import io.netty.handler.codec.redis.RedisArrayAggregator;
import io.netty.handler.codec.redis.RedisBulkStringAggregator;
import io.netty.handler.codec.redis.RedisDecoder;
import io.netty.handler.codec.redis.RedisEncoder;
import io.netty.handler.codec.redis.RedisMessage;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Publishes through eventgate's Redis ingress (docs/SCALING.md, "Backend ingress"): {@code redis-xadd} appends each
 * event to the durable stream {@code <prefix>:ingress} ({@code XADD .. MAXLEN ~ 1000000 * payload <body>}),
 * {@code redis-publish} sends it on the best-effort channel {@code <prefix>:publish}. The body is the REST publish
 * body. Commands are pipelined on a few connections (events of one route on one connection, so Redis appends them
 * in order); an item counts as published when Redis answered the command (the entry id, or for PUBLISH the number of
 * nodes that received it; 0 receivers is a failure: nobody will publish it).
 */
public final class RedisPublisher extends QueuedPublisher<RedisPublisher.Conn> {
    /** Commands in flight per connection at most (pipelining depth). */
    private static final int MAX_IN_FLIGHT = 256;

    private final PublishMode mode;
    private final InetSocketAddress address;
    private final String key;
    private final int connections;
    private final EventBodies bodies;
    private Conn[] conns;

    /**
     * @param redisUrl {@code redis://host:port} of the gateway's Redis
     * @param prefix   the gateway's GATEWAY_REDIS_PREFIX
     */
    public RedisPublisher(PublishMode mode, String redisUrl, String prefix, int connections, int payloadBytes,
                          Ledger ledger) {
        super(ledger);
        if (!mode.redis()) {
            throw new IllegalArgumentException("not a Redis mode: " + mode.id());
        }
        URI u = URI.create(redisUrl);
        if (u.getUserInfo() != null || "rediss".equals(u.getScheme())) {
            throw new IllegalArgumentException("--redis-url: the harness speaks plain redis:// without a password,"
                    + " got " + u.getScheme() + "://" + (u.getUserInfo() != null ? "<credentials>@" : "") + u.getHost());
        }
        this.mode = mode;
        this.address = new InetSocketAddress(u.getHost() == null ? "127.0.0.1" : u.getHost(),
                u.getPort() > 0 ? u.getPort() : 6379);
        this.key = prefix + (mode == PublishMode.REDIS_XADD ? ":ingress" : ":publish");
        this.connections = Math.max(1, connections);
        this.bodies = new EventBodies(io.eventgate.loadtest.Target.EVENTGATE, payloadBytes);
    }

    @Override
    public void start() throws Exception {
        conns = new Conn[connections];
        for (int c = 0; c < connections; c++) {
            conns[c] = new Conn();
        }
        connectAll("redis-publisher-io", List.of(conns), "Redis at " + address);
    }

    @Override
    protected Conn connectionFor(PublishItem item) {
        return conns[Math.floorMod(item.route(), conns.length)];
    }

    private static FullBulkStringRedisMessage bulk(Channel ch, CharSequence s) {
        return new FullBulkStringRedisMessage(ByteBufUtil.writeUtf8(ch.alloc(), s));
    }

    /** One pipelined connection: commands go out in item order; replies come back in the same order. */
    final class Conn extends QueuedPublisher.Conn<RedisMessage> {
        final ArrayDeque<PublishItem> queue = new ArrayDeque<>();
        final ArrayDeque<PublishItem> inFlight = new ArrayDeque<>();
        final ArrayDeque<Long> sentAt = new ArrayDeque<>();

        Conn() {
            super(RedisPublisher.this, address);
        }

        @Override
        protected ChannelHandler[] codec() {
            return new ChannelHandler[] {new RedisDecoder(), new RedisBulkStringAggregator(),
                    new RedisArrayAggregator(), new RedisEncoder()};
        }

        @Override
        protected void pump() {
            PublishItem it;
            while ((it = incoming.poll()) != null) {
                queue.add(it);
            }
            if (channel == null || !channel.isActive()) {
                return;
            }
            boolean wrote = false;
            StringBuilder sb = new StringBuilder(256);
            while (inFlight.size() < MAX_IN_FLIGHT && (it = queue.poll()) != null) {
                long now = System.nanoTime();
                sb.setLength(0);
                bodies.appendItem(sb, it, now);
                List<RedisMessage> args = new ArrayList<>(8);
                if (mode == PublishMode.REDIS_XADD) {
                    for (String a : new String[] {"XADD", key, "MAXLEN", "~", "1000000", "*", "payload"}) {
                        args.add(bulk(channel, a));
                    }
                } else {
                    args.add(bulk(channel, "PUBLISH"));
                    args.add(bulk(channel, key));
                }
                args.add(bulk(channel, sb));
                inFlight.add(it);
                sentAt.add(now);
                channel.write(new ArrayRedisMessage(args), channel.voidPromise());
                wrote = true;
            }
            if (wrote) {
                channel.flush();
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, RedisMessage reply) {
            PublishItem it = inFlight.poll();
            Long at = sentAt.poll();
            if (it == null) {
                return;
            }
            answered(System.nanoTime() - at);
            String error = null;
            if (reply instanceof ErrorRedisMessage e) {
                error = "Redis: " + e.content();
            } else if (reply instanceof IntegerRedisMessage n && n.value() == 0) {
                error = "PUBLISH reached no gateway node (none subscribed to " + key + ")";
            }
            if (error == null) {
                succeeded(it);
            } else {
                failed(it, error);
            }
            pump();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            PublishItem it;
            while ((it = inFlight.poll()) != null) {
                failed(it, "Redis connection closed with the command unanswered");
            }
            sentAt.clear();
            reconnectLater();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
