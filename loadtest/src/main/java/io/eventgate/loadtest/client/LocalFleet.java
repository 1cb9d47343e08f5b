package io.eventgate.loadtest.client;

import io.eventgate.loadtest.Hist;
import io.eventgate.loadtest.Json;
import io.eventgate.loadtest.Target;
import io.eventgate.loadtest.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Client connections in this process: a small Netty event loop group (epoll), no thread per connection. A connector
 * thread paces new connections ({@code connectRate}, at most {@code connectConcurrency} in flight, failed attempts
 * retried up to {@code connectRetries} times), spread round-robin over the server URLs and the local source
 * addresses. Eventgate clients speak WebSocket or, with transport {@code sse}, hold an SSE stream and POST their
 * acks ({@link SseStream}, {@link SsePoster}).
 */
public final class LocalFleet implements Fleet {
    enum AckMode { AUTO, ALL, NONE }

    private static final AsciiString LAST_EVENT_ID = AsciiString.cached("last-event-id");

    final FleetSpec spec;
    final Target target;
    final Transport transport;
    final List<String> channels;
    final String subscribeMessage;
    final AckMode ackMode;
    final LongAdder received = new LongAdder();
    final LongAdder pings = new LongAdder();
    final LongAdder errors = new LongAdder();
    volatile boolean closing;
    private volatile boolean aborting;
    private volatile boolean resumeMode;
    private final AtomicLong lastReadyNanos = new AtomicLong();
    private final String[] sessionIds;
    private final StreamTracker[][] trackers;

    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicLong closedUnexpectedly = new AtomicLong();
    private final AtomicLong attempts = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicIntegerArray openPerUrl;
    private final List<String> errorSamples = new ArrayList<>();
    private final Users users;
    private final Semaphore permits;
    private final ConcurrentLinkedQueue<int[]> retryQueue = new ConcurrentLinkedQueue<>();
    private final InetSocketAddress[] remotes;
    private final InetSocketAddress[] locals;
    private final boolean ownGroup;
    private EventLoopGroup group;
    private EventLoop[] loops;
    private ThreadStats[] stats;
    private Bootstrap[] bootstraps;
    /** Per loop, for connections the loop opens itself (SSE ack channels); {@link #bootstraps} are the connector's. */
    private Bootstrap[] sideBootstraps;
    /** Keep-alive connections per client loop and server that carry the SSE streams' ack POSTs. */
    static final int ACK_CONNECTIONS_PER_LOOP = 16;
    /** [loop][server]: made on first use, each touched on its loop only. */
    private SseAckPool[][] ackPools;
    /** SSE: the stream request's query ({@code ?channels=...}, or empty). */
    private final String sseQuery;
    private ChannelGroup allChannels;
    private Thread connector;
    private boolean finished;

    public LocalFleet(FleetSpec spec) {
        this(spec, null);
    }

    /** With {@code sharedGroup} non-null the fleet runs on it (and does not shut it down). */
    public LocalFleet(FleetSpec spec, EventLoopGroup sharedGroup) {
        this.spec = spec;
        this.target = Target.parse(spec.target());
        this.transport = Transport.parse(spec.transport(), target);
        this.channels = spec.channels() == null ? List.of() : List.copyOf(spec.channels());
        StringBuilder q = new StringBuilder();
        for (int i = 0; i < channels.size(); i++) {
            q.append(i == 0 ? "?channels=" : ",").append(URLEncoder.encode(channels.get(i), StandardCharsets.UTF_8));
        }
        this.sseQuery = q.toString();
        StringBuilder sub = new StringBuilder("{\"type\":\"subscribe\",\"id\":\"sub\",\"channels\":[");
        for (int i = 0; i < channels.size(); i++) {
            sub.append(i == 0 ? "" : ",").append('"').append(Json.escape(channels.get(i))).append('"');
        }
        this.subscribeMessage = sub.append("]}").toString();
        this.ackMode = AckMode.valueOf(spec.ack() == null ? "AUTO" : spec.ack().toUpperCase(java.util.Locale.ROOT));
        this.users = Users.of(spec.jwtSecret(), spec.tokensFile());
        this.permits = new Semaphore(Math.max(1, spec.connectConcurrency()));
        this.openPerUrl = new AtomicIntegerArray(spec.urls().size());
        this.remotes = new InetSocketAddress[spec.urls().size()];
        for (int i = 0; i < remotes.length; i++) {
            URI u = URI.create(spec.urls().get(i));
            int port = u.getPort() > 0 ? u.getPort() : 80;
            remotes[i] = new InetSocketAddress(u.getHost(), port);
        }
        List<String> src = spec.sourceAddresses() == null ? List.of() : spec.sourceAddresses();
        this.locals = new InetSocketAddress[src.size()];
        for (int i = 0; i < locals.length; i++) {
            locals[i] = new InetSocketAddress(src.get(i), 0);
        }
        this.group = sharedGroup;
        this.ownGroup = sharedGroup == null;
        this.sessionIds = new String[spec.size()];
        this.trackers = new StreamTracker[spec.size()][];
    }

    // ---------------------------------------------------------------- per connection index (its loop only)

    void sessionId(int index, String sid) {
        sessionIds[index - spec.from()] = sid;
    }

    StreamTracker[] trackers(int index) {
        StreamTracker[] t = trackers[index - spec.from()];
        return t == null ? new StreamTracker[0] : t;
    }

    void trackers(int index, StreamTracker[] t) {
        trackers[index - spec.from()] = t;
    }

    /** Connections that got a {@code sessionId} in their {@code connected} message. */
    public int sessionsKnown() {
        int c = 0;
        for (String s : sessionIds) {
            if (s != null) {
                c++;
            }
        }
        return c;
    }

    /** System.nanoTime of the last connection that became ready (0: none yet). */
    public long lastReadyNanos() {
        return lastReadyNanos.get();
    }

    /**
     * Aborts every open connection at once, client-side: SO_LINGER 0 then close, so the kernel sends RST (no
     * WebSocket close handshake; the server sees the connection reset). Returns the connections aborted.
     */
    public int abortAll(java.time.Duration timeout) throws InterruptedException {
        aborting = true;
        generation++;
        int n = 0;
        for (io.netty.channel.Channel ch : allChannels) {
            n++;
            ch.eventLoop().execute(() -> {
                try {
                    ch.config().setOption(ChannelOption.SO_LINGER, 0);
                } catch (RuntimeException e) {
                    // closed meanwhile
                }
                // past the pipeline: the WebSocket handler would send a close frame first (a clean close, not an abort)
                ch.unsafe().close(ch.unsafe().voidPromise());
            });
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!allChannels.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return n;
    }

    /** Incremented by {@link #abortAll}: closes of connections of an earlier generation are not "dropped". */
    volatile int generation;

    /**
     * After {@link #abortAll}: opens every connection again ({@code ?resume=<its last sessionId>} when
     * {@code resume}), at {@code rate} per second (0 = as fast as the connect concurrency allows). The counters of
     * {@link #progress} restart from zero for this round; received events keep their per-connection dedup.
     */
    public void reconnectAll(double rate, boolean resume) {
        if (connector != null && connector.isAlive()) {
            closing = true;
            try {
                connector.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            closing = false;
        }
        retryQueue.clear();
        opened.set(0);
        failed.set(0);
        closedUnexpectedly.set(0);
        for (int i = 0; i < openPerUrl.length(); i++) {
            openPerUrl.set(i, 0);
        }
        lastReadyNanos.set(0);
        resumeMode = resume;
        aborting = false;
        reconnectRate = rate;
        connector = new Thread(this::runConnector, "connector");
        connector.setDaemon(true);
        connector.start();
    }

    private volatile double reconnectRate = -1;

    @Override
    public void start() {
        if (group == null) {
            group = Transports.group(Math.max(1, spec.ioThreads()), "client-io");
        }
        allChannels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        List<EventLoop> list = new ArrayList<>();
        for (EventExecutor e : group) {
            list.add((EventLoop) e);
        }
        loops = list.toArray(EventLoop[]::new);
        stats = new ThreadStats[loops.length];
        bootstraps = new Bootstrap[loops.length];
        sideBootstraps = new Bootstrap[loops.length];
        ackPools = new SseAckPool[loops.length][remotes.length];
        for (int i = 0; i < loops.length; i++) {
            stats[i] = new ThreadStats();
            Bootstrap b = new Bootstrap().group(loops[i]).channel(Transports.channelClass())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                            spec.connectTimeoutMillis()));
            if (Transports.epoll() && locals.length > 0) {
                b.option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
            }
            bootstraps[i] = b;
            sideBootstraps[i] = b.clone();
            if (target == Target.EVENTGATE && ackMode != AckMode.NONE) {
                ThreadStats ts = stats[i];
                loops[i].scheduleAtFixedRate(() -> {
                    if (ts.ackDirty.isEmpty()) {
                        return;
                    }
                    for (Conn c : ts.ackDirty) {
                        c.flushAcks();
                    }
                    ts.ackDirty.clear();
                }, 50, 50, TimeUnit.MILLISECONDS);
            }
        }
        connector = new Thread(this::runConnector, "connector");
        connector.setDaemon(true);
        connector.start();
    }

    private void runConnector() {
        long start = System.nanoTime();
        int n = spec.size();
        double r = reconnectRate >= 0 ? reconnectRate : spec.connectRate();
        double rate = r > 0 ? r : 1e9;
        int next = 0;
        while (!closing) {
            int[] retry = retryQueue.poll();
            if (retry != null) {
                if (acquire()) {
                    connect(retry[0], retry[1]);
                }
                continue;
            }
            if (next < n) {
                long due = start + (long) (next * 1e9 / rate);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(Math.min(wait, 10_000_000L));
                    continue;
                }
                if (acquire()) {
                    connect(spec.from() + next, 0);
                    next++;
                }
                continue;
            }
            if (opened.get() + failed.get() >= n) {
                return;
            }
            LockSupport.parkNanos(10_000_000L);
        }
    }

    private boolean acquire() {
        try {
            while (!closing) {
                if (permits.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    private void connect(int index, int attempt) {
        int li = Math.floorMod(index, loops.length);
        int urlIndex = Math.floorMod(index, remotes.length);
        Conn conn = new Conn(this, index, urlIndex, attempt, stats[li], target, transport);
        attempts.incrementAndGet();
        if (attempt > 0) {
            retries.incrementAndGet();
        }
        String sid = resumeMode ? sessionIds[index - spec.from()] : null;
        conn.resumeAttempt = sid != null;
        String token = target.authenticated() ? users.token(index) : null;
        ChannelHandler pipeline = transport == Transport.SSE ? ssePipeline(conn, urlIndex, sid, token)
                : wsPipeline(conn, index, urlIndex, sid, token);
        Bootstrap b = bootstraps[li];
        b.handler(pipeline);
        ChannelFuture f = locals.length == 0 ? b.connect(remotes[urlIndex])
                : b.connect(remotes[urlIndex], local(index));
        allChannels.add(f.channel());
        f.addListener(fut -> {
            if (!fut.isSuccess() && conn.state != Conn.State.DONE) {
                conn.state = Conn.State.DONE;
                onAttemptFailed(conn, "connect: " + fut.cause());
            }
        });
        loops[li].schedule(() -> conn.fail("not ready after " + spec.connectTimeoutMillis() + " ms"),
                spec.connectTimeoutMillis(), TimeUnit.MILLISECONDS);
    }

    private InetSocketAddress local(int index) {
        return locals[Math.floorMod(index / remotes.length, locals.length)];
    }

    private ChannelHandler wsPipeline(Conn conn, int index, int urlIndex, String sid, String token) {
        URI uri = target.wsUri(spec.urls().get(urlIndex), users.user(index));
        if (sid != null) {
            uri = URI.create(uri + (uri.getRawQuery() == null ? "?" : "&") + "resume=" + sid);
        }
        HttpHeaders headers = new DefaultHttpHeaders();
        if (token != null) {
            headers.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
        }
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .version(WebSocketVersion.V13)
                .customHeaders(headers)
                .allowExtensions(false)
                .maxFramePayloadLength(1 << 20)
                .handshakeTimeoutMillis(spec.connectTimeoutMillis())
                .absoluteUpgradeUrl(false)
                .generateOriginHeader(false)
                .dropPongFrames(true)
                .build();
        return new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                conn.channel = ch;
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536),
                        new WebSocketClientProtocolHandler(config), conn);
            }
        };
    }

    /**
     * GET of the SSE stream: the token as a Bearer header (not in the URL, which servers log), the channels in the
     * query (subscribed by the server before the first event), a resume as {@code Last-Event-ID} as an EventSource
     * sends it. No aggregator: the body never ends.
     */
    private ChannelHandler ssePipeline(Conn conn, int urlIndex, String sid, String token) {
        URI uri = target.sseUri(spec.urls().get(urlIndex));
        String host = uri.getPort() > 0 ? uri.getHost() + ":" + uri.getPort() : uri.getHost();
        FullHttpRequest get = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                uri.getRawPath() + sseQuery, Unpooled.EMPTY_BUFFER);
        get.headers().set(HttpHeaderNames.HOST, host)
                .set(HttpHeaderNames.ACCEPT, HttpHeaderValues.TEXT_EVENT_STREAM)
                .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
        if (sid != null) {
            get.headers().set(LAST_EVENT_ID, sid);
        }
        conn.poster = new SsePoster(conn, uri.getRawPath(), token, ackPool(conn, host));
        SseDecoder.Scratch scratch = conn.ts.sseScratch;
        return new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                conn.channel = ch;
                ch.pipeline().addLast(new HttpClientCodec(), new SseStream(conn, get, scratch), conn);
            }
        };
    }

    /**
     * The SSE ack pool of {@code conn}'s loop for its server, made on first use (on that loop). Its connections come
     * from the source address of the connection that opens each.
     */
    private SseAckPool ackPool(Conn conn, String host) {
        int li = Math.floorMod(conn.index, loops.length);
        SseAckPool[] pools = ackPools[li];
        SseAckPool pool = pools[conn.urlIndex];
        if (pool == null) {
            Bootstrap b = sideBootstraps[li];
            InetSocketAddress remote = remotes[conn.urlIndex];
            InetSocketAddress from = locals.length == 0 ? null : local(conn.index);
            pool = pools[conn.urlIndex] = new SseAckPool(this, ACK_CONNECTIONS_PER_LOOP, host, init -> from == null
                    ? b.clone().handler(init).connect(remote) : b.clone().handler(init).connect(remote, from));
        }
        return pool;
    }

    // ---------------------------------------------------------------- callbacks from connections (their loop)

    void onReady(Conn conn, long nanos) {
        release(conn);
        Hist.recordMicros(conn.ts.connectTime, nanos / 1000);
        opened.incrementAndGet();
        openPerUrl.incrementAndGet(conn.urlIndex);
        lastReadyNanos.accumulateAndGet(System.nanoTime(), Math::max);
    }

    void onAttemptFailed(Conn conn, String reason) {
        release(conn);
        if (closing) {
            return;
        }
        if (conn.attempt < spec.connectRetries()) {
            int[] retry = {conn.index, conn.attempt + 1};
            group.schedule(() -> {
                retryQueue.add(retry);
            }, 200L * (conn.attempt + 1), TimeUnit.MILLISECONDS);
        } else {
            failed.incrementAndGet();
            error("connection " + conn.index + " failed after " + (conn.attempt + 1) + " attempt(s): " + reason);
        }
    }

    void onClosed(Conn conn) {
        if (closing) {
            return;
        }
        if (aborting || conn.generation != generation) {
            return; // aborted on purpose (reconnectAll resets the counters)
        }
        closedUnexpectedly.incrementAndGet();
        openPerUrl.decrementAndGet(conn.urlIndex);
        error("connection " + conn.index + " closed by the server or the network" + conn.closeNote());
    }

    private void release(Conn conn) {
        if (conn.permitHeld) {
            conn.permitHeld = false;
            permits.release();
        }
    }

    void error(String what) {
        errors.increment();
        synchronized (errorSamples) {
            if (errorSamples.size() < 10) {
                errorSamples.add(what);
            }
        }
    }

    // ---------------------------------------------------------------- Fleet

    @Override
    public Progress progress() {
        int[] per = new int[openPerUrl.length()];
        for (int i = 0; i < per.length; i++) {
            per[i] = openPerUrl.get(i);
        }
        return new Progress(spec.size(), opened.get(), failed.get(), closedUnexpectedly.get(), received.sum(),
                errors.sum(), pings.sum(), 0, per);
    }

    @Override
    public PhaseStats phase(int phase) throws Exception {
        List<Future<PhaseStats>> futures = new ArrayList<>();
        for (int i = 0; i < loops.length; i++) {
            ThreadStats ts = stats[i];
            futures.add(loops[i].submit(() -> {
                PhaseStats copy = new PhaseStats();
                PhaseStats src = ts.phases[Math.max(0, Math.min(ThreadStats.MAX_PHASES - 1, phase))];
                if (src != null) {
                    copy.merge(src);
                }
                return copy;
            }));
        }
        PhaseStats out = new PhaseStats();
        for (Future<PhaseStats> f : futures) {
            out.merge(f.get(30, TimeUnit.SECONDS));
        }
        return out;
    }

    /** The counters so far (resume outcomes, acks; see ThreadStats.counters), summed over the loops, taken on them. */
    public java.util.Map<String, Long> counters() throws Exception {
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        List<Future<java.util.Map<String, Long>>> futures = new ArrayList<>();
        for (int i = 0; i < loops.length; i++) {
            ThreadStats ts = stats[i];
            futures.add(loops[i].submit(ts::counters));
        }
        for (var f : futures) {
            f.get(30, TimeUnit.SECONDS).forEach((k, v) -> out.merge(k, v, Long::sum));
        }
        return out;
    }

    /** Copies of the broadcast spreads so far (consistent: taken on the loops). */
    public java.util.Map<Integer, Spread> spreads() throws Exception {
        java.util.Map<Integer, Spread> out = new java.util.TreeMap<>();
        List<Future<java.util.Map<Integer, Spread>>> futures = new ArrayList<>();
        for (int i = 0; i < loops.length; i++) {
            ThreadStats ts = stats[i];
            futures.add(loops[i].submit(() -> {
                java.util.Map<Integer, Spread> m = new java.util.HashMap<>();
                ts.spreads.forEach((k, v) -> m.put(k, v.copy()));
                return m;
            }));
        }
        for (var f : futures) {
            f.get(30, TimeUnit.SECONDS).forEach((k, v) -> out.computeIfAbsent(k, x -> new Spread()).merge(v));
        }
        return out;
    }

    @Override
    public synchronized ReceiveStats finish() throws Exception {
        if (finished) {
            throw new IllegalStateException("already finished");
        }
        closing = true;
        if (connector != null) {
            connector.join(5000);
        }
        ReceiveStats out = new ReceiveStats();
        List<Future<ReceiveStats>> futures = new ArrayList<>();
        for (int i = 0; i < loops.length; i++) {
            ThreadStats ts = stats[i];
            futures.add(loops[i].submit(() -> {
                ReceiveStats r = new ReceiveStats();
                r.connectTime.add(ts.connectTime);
                r.duplicates = ts.duplicates;
                r.redelivered = ts.redelivered;
                r.orderViolations = ts.orderViolations;
                r.acksSent = ts.acksSent;
                r.addCounters(ts.counters());
                for (int p = 0; p < ts.phases.length; p++) {
                    if (ts.phases[p] != null) {
                        r.phase(p).merge(ts.phases[p]);
                    }
                }
                ts.spreads.forEach((k, v) -> r.spreads.computeIfAbsent(k, x -> new Spread()).merge(v));
                return r;
            }));
        }
        for (Future<ReceiveStats> f : futures) {
            out.merge(f.get(30, TimeUnit.SECONDS));
        }
        out.connections = spec.size();
        out.opened = opened.get();
        out.failed = failed.get();
        out.attempts = attempts.get();
        out.retries = retries.get();
        out.closedUnexpectedly = closedUnexpectedly.get();
        out.errors = errors.sum();
        out.pings = pings.sum();
        synchronized (errorSamples) {
            out.errorSamples.addAll(errorSamples);
        }
        finished = true;
        shutdown();
        return out;
    }

    private void shutdown() {
        closing = true;
        if (allChannels != null) {
            allChannels.close().awaitUninterruptibly(20, TimeUnit.SECONDS);
        }
        if (ownGroup && group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public synchronized void close() {
        if (!finished) {
            finished = true;
            shutdown();
        }
    }
}
