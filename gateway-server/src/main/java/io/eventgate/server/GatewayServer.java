package io.eventgate.server;

import io.eventgate.core.Gateway;
import io.eventgate.core.GatewaySettings;
import io.eventgate.core.auth.TokenSettings;
import io.eventgate.core.auth.TokenVerifier;
import io.eventgate.core.channel.Access;
import io.eventgate.core.channel.NamespaceSettings;
import io.eventgate.core.channel.Namespaces;
import io.eventgate.core.engine.Engine;
import io.eventgate.core.ack.FallbackNotifier;
import io.eventgate.core.ack.MemoryPendingStore;
import io.eventgate.core.engine.MemoryEngine;
import io.eventgate.core.ack.PendingStore;
import io.eventgate.core.session.MemorySessionStore;
import io.eventgate.core.session.SessionStore;
import io.eventgate.core.engine.PublishOptions;
import io.eventgate.server.outbox.OutboxPoller;
import io.eventgate.server.persistence.Database;
import io.eventgate.server.redis.RedisEngine;
import io.eventgate.server.redis.RedisIngress;
import io.eventgate.server.persistence.PgPendingStore;
import io.eventgate.server.persistence.PgSessionStore;
import io.eventgate.protocol.CloseCode;
import io.eventgate.server.api.RestApi;
import io.eventgate.server.config.GatewayConfig;
import io.eventgate.server.config.NamespaceConfig;
import io.eventgate.server.fallback.WebhookFallback;
import io.eventgate.server.transport.EventLoopLane;
import io.eventgate.server.transport.HttpRouter;
import io.eventgate.server.transport.PipelineNames;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gateway node: Netty bootstrap (native epoll on Linux, NIO elsewhere), the core {@link Gateway}, the lanes,
 * the REST API, and graceful shutdown.
 */
public final class GatewayServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);

    private final GatewayConfig config;
    private final Gateway gateway;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup ioGroup;
    private final Map<EventLoop, EventLoopLane> lanes;
    private final Channel serverChannel;
    private final ScheduledExecutorService housekeeping;
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final String transportName;
    private final WebhookFallback fallback;
    private final Database database;
    private final RedisIngress ingress;
    private final OutboxPoller outbox;

    private GatewayServer(GatewayConfig config) throws InterruptedException {
        this.config = config;
        Namespaces namespaces = namespaces(config);
        Engine engine = config.redisUrl() != null
                ? RedisEngine.of(config.redisUrl(), config.redisPrefix(), config.nodeId(), namespaces,
                        config.redisDedupeTtl())
                : new MemoryEngine(namespaces, System::currentTimeMillis, config.historyMemoryLimit());
        SessionStore sessions;
        PendingStore pending;
        List<RestApi.HealthComponent> components = new ArrayList<>();
        if (config.dbUrl() != null) {
            this.database = new Database(config.dbUrl(), config.dbUser(), config.dbPassword(), config.dbPoolSize());
            sessions = new PgSessionStore(database, config.sessionTtl(), config.dbBufferSize(), config.dbBatchSize(),
                    System::currentTimeMillis);
            pending = new PgPendingStore(database, config.pendingTtl(), config.dbBufferSize(), config.dbBatchSize());
            Database db = database;
            components.add(new RestApi.HealthComponent() {
                @Override
                public String name() {
                    return "database";
                }

                @Override
                public boolean up() {
                    return db.healthy();
                }

                @Override
                public String detail() {
                    return db.describe();
                }
            });
        } else {
            this.database = null;
            sessions = new MemorySessionStore(config.sessionTtl().toMillis(), config.maxSessions(),
                    System::currentTimeMillis);
            pending = new MemoryPendingStore(config.pendingTtl().toMillis(), config.maxPendingPerUser());
        }
        this.fallback = config.fallbackWebhookUrl() == null ? null : new WebhookFallback(config.fallbackWebhookUrl(),
                config.fallbackWebhookSecret(), config.fallbackMaxAttempts(), config.fallbackQueueSize());
        this.gateway = new Gateway(engine, namespaces, settings(config), System::currentTimeMillis, sessions, pending,
                fallback == null ? FallbackNotifier.NONE : fallback);
        gateway.nodeId(config.nodeId());
        TokenVerifier verifier = new TokenVerifier(new TokenSettings(config.jwtSecret(), config.jwtPublicKeyPem(),
                config.jwtIssuer(), config.jwtAudience(), config.jwtLeeway()));

        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory factory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelClass = epoll ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        this.transportName = epoll ? "epoll" : "nio";
        int threads = config.ioThreads() > 0 ? config.ioThreads() : Runtime.getRuntime().availableProcessors();
        this.bossGroup = new MultiThreadIoEventLoopGroup(1, factory);
        this.ioGroup = new MultiThreadIoEventLoopGroup(threads, factory);
        Map<EventLoop, EventLoopLane> laneMap = new HashMap<>();
        long sweepMillis = Math.max(100, Math.min(1000, config.heartbeatInterval().toMillis() / 4));
        for (EventExecutor executor : ioGroup) {
            EventLoopLane lane = new EventLoopLane((EventLoop) executor, EventLoopLane.DEFAULT_QUEUE_CAPACITY,
                    gateway);
            lane.startSweep(sweepMillis);
            laneMap.put((EventLoop) executor, lane);
        }
        this.lanes = Map.copyOf(laneMap);
        gateway.start();

        this.housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "eventgate-housekeeping");
            t.setDaemon(true);
            return t;
        });
        housekeeping.scheduleWithFixedDelay(() -> {
            try {
                if (engine instanceof MemoryEngine memory) {
                    memory.sweep();
                }
                if (sessions instanceof MemorySessionStore memory) {
                    memory.sweep();
                } else if (sessions instanceof PgSessionStore pg) {
                    pg.sweep(System.currentTimeMillis(), config.idleTimeout().multipliedBy(2));
                }
            } catch (RuntimeException e) {
                LOG.warn("history sweep failed", e);
            }
        }, 10, 10, TimeUnit.SECONDS);
        housekeeping.scheduleWithFixedDelay(() -> {
            try {
                gateway.expirePending();
            } catch (RuntimeException e) {
                LOG.warn("pending expiry failed", e);
            }
        }, 1, 1, TimeUnit.SECONDS);

        this.ingress = config.redisUrl() == null ? null : new RedisIngress(config.redisUrl(), config.redisPrefix(),
                config.nodeId(), (channel, event, ack, critical) ->
                        gateway.publish(channel, event, new PublishOptions(ack, critical)));
        if (ingress != null) {
            ingress.start();
        }
        this.outbox = database == null ? null : new OutboxPoller(database, gateway, config.outboxPollInterval());
        RestApi api = new RestApi(gateway, config.apiKey(), verifier, draining::get, components);
        if (sessions instanceof PgSessionStore pgSessions && pending instanceof PgPendingStore pgPending) {
            api.addStatsSource("database", () -> java.util.Map.of(
                    "sessionWriter", pgSessions.writerStats(), "pendingWriter", pgPending.writerStats()));
        }
        if (outbox != null) {
            api.addStatsSource("outbox", () -> java.util.Map.of("published", outbox.published(),
                    "invalid", outbox.invalid(), "failures", outbox.failures()));
        }
        if (ingress != null) {
            api.addStatsSource("redisIngress", () -> java.util.Map.of("published", ingress.published(),
                    "duplicates", ingress.duplicates(), "invalid", ingress.invalid(), "failures", ingress.failures()));
        }
        HttpRouter router = new HttpRouter(gateway, verifier, api, lanes, config.allowedOrigins(),
                config.maxFrameBytes(), config.maxPendingBytes(), draining::get);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(bossGroup, ioGroup)
                .channel(channelClass)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(config.writeBufferLowBytes(), config.writeBufferHighBytes()))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast(PipelineNames.HTTP_CODEC, new HttpServerCodec())
                                .addLast(PipelineNames.HTTP_AGGREGATOR,
                                        newAggregator(config.maxBodyBytes(), gateway))
                                .addLast(PipelineNames.HTTP_ROUTER, router);
                    }
                });
        this.serverChannel = bootstrap.bind(config.host(), config.port()).sync().channel();
        LOG.info("eventgate listening on {}:{} (transport {}, {} I/O threads, engine {})", config.host(), port(),
                transportName, threads, engine.describe());
    }

    private static io.netty.channel.ChannelHandler newAggregator(int maxBodyBytes, Gateway gateway) {
        return io.eventgate.server.transport.Aggregators.json(maxBodyBytes, gateway.stats());
    }

    /** Builds and binds a node. */
    public static GatewayServer start(GatewayConfig config) throws InterruptedException {
        return new GatewayServer(config);
    }

    static Namespaces namespaces(GatewayConfig config) {
        Map<String, NamespaceSettings> map = new HashMap<>();
        for (NamespaceConfig ns : config.namespaces().values()) {
            if (!ns.name().equals(NamespaceConfig.DEFAULT_NAME)) {
                map.put(ns.name(), toSettings(ns));
            }
        }
        return new Namespaces(map, toSettings(config.defaultNamespace()));
    }

    private static NamespaceSettings toSettings(NamespaceConfig ns) {
        Access access = switch (ns.visibility()) {
            case PUBLIC -> Access.PUBLIC;
            case PRIVATE -> Access.PRIVATE;
            case OWNER -> Access.OWNER;
        };
        return new NamespaceSettings(ns.name(), access, ns.historySize(), ns.historyTtl(), ns.ackRequired());
    }

    static GatewaySettings settings(GatewayConfig config) {
        return new GatewaySettings(config.heartbeatInterval(), config.idleTimeout(), config.rateLimitPerMinute(),
                config.rateLimitBurst(), config.rateLimitCloseAfter(),
                GatewaySettings.DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION, config.ackTimeout(),
                config.maxRedeliveries(), config.pendingTtl(), config.maxPendingPerConnection());
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public Gateway gateway() {
        return gateway;
    }

    public GatewayConfig config() {
        return config;
    }

    public String transportName() {
        return transportName;
    }

    /** The fallback webhook sender, or null when GATEWAY_FALLBACK_WEBHOOK_URL is unset. */
    public WebhookFallback fallback() {
        return fallback;
    }

    public boolean draining() {
        return draining.get();
    }

    /**
     * Graceful shutdown: readiness goes false, the listener stops accepting, every connection is closed with 1001
     * (reconnect), and the node waits up to {@code GATEWAY_SHUTDOWN_TIMEOUT} for connections to go before stopping
     * its threads.
     */
    public void shutdown() {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        draining.set(true);
        long deadline = System.nanoTime() + config.shutdownTimeout().toNanos();
        LOG.info("shutting down: closing {} connections", gateway.hub().connectionCount());
        serverChannel.close().awaitUninterruptibly();
        if (ingress != null) {
            ingress.close();
        }
        if (outbox != null) {
            outbox.close();
        }
        for (EventLoopLane lane : lanes.values()) {
            lane.execute(() -> lane.closeAll(CloseCode.GOING_AWAY));
        }
        while (gateway.hub().connectionCount() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int left = gateway.hub().connectionCount();
        if (left > 0) {
            LOG.warn("shutdown timeout: {} connections still open, closing them", left);
        }
        housekeeping.shutdownNow();
        long quietMillis = 0;
        long remaining = Math.max(100, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        bossGroup.shutdownGracefully(quietMillis, remaining, TimeUnit.MILLISECONDS);
        ioGroup.shutdownGracefully(quietMillis, remaining, TimeUnit.MILLISECONDS).awaitUninterruptibly();
        bossGroup.terminationFuture().awaitUninterruptibly();
        gateway.close();
        if (database != null) {
            database.close();
        }
        if (fallback != null) {
            fallback.close();
        }
        LOG.info("stopped");
    }

    @Override
    public void close() {
        shutdown();
    }

    List<EventLoopLane> lanes() {
        return new ArrayList<>(lanes.values());
    }
}
