package io.eventgate.server.redis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.core.channel.NamespaceSettings;
import io.eventgate.core.channel.Namespaces;
import io.eventgate.core.engine.Engine;
import io.eventgate.core.engine.EngineListener;
import io.eventgate.core.engine.EngineUnavailableException;
import io.eventgate.core.engine.Event;
import io.eventgate.core.engine.HistoryPage;
import io.eventgate.core.engine.PublishOptions;
import io.eventgate.protocol.EventEncoder;
import io.eventgate.protocol.Json;
import io.eventgate.protocol.StreamPosition;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The distributed engine: every node sequences, stores and distributes events through one Redis (6.2 or newer), so
 * any node may publish to any channel and every node with subscribers of a channel receives its events in seq order.
 *
 * <h2>Keys</h2>
 * {@code P} is the prefix (default {@value #DEFAULT_PREFIX}); {@code {channel}} is written with its braces, a Redis
 * hash tag, so one channel's keys share a cluster slot.
 * <ul>
 *   <li>{@code P:meta:{channel}} — hash {@code seq} (last sequence number), {@code epoch} (the stream's epoch).
 *       Expires {@code max(historyTtl, 24h)} after the last publish (kept alive longer than history, and touched
 *       hourly while a node has subscribers of the channel). A missing hash (Redis restarted, key expired, history
 *       lost) starts a new epoch at seq 0: positions of the old epoch are never trusted.</li>
 *   <li>{@code P:history:{channel}} — stream; entry id {@code 0-<seq>}, fields {@code d} (the event JSON exactly as
 *       delivered), {@code t} (publish time, epoch millis) and {@code f} (flags: 1 = ACK required, 2 = critical).
 *       Trimmed to the namespace's history size on every publish (exact MAXLEN), expires {@code historyTtl} after
 *       the last publish, and entries older than {@code historyTtl} are dropped (XTRIM MINID) when history is
 *       read.</li>
 *   <li>{@code P:dedupe:{channel}:<eventId>} — {@code "<seq>:<epoch>"}, for {@code dedupeTtl}
 *       ({@code GATEWAY_REDIS_DEDUPE_TTL}, 24 h by default). Only for events that carry an {@code eventId}: publishing
 *       an event with the same {@code eventId} to the same channel within that time is
 *       idempotent (REST publish retries, the durable ingress) and returns the original event (seq and epoch) without
 *       publishing it again. Ids are per channel because seq and epoch are.</li>
 *   <li>pub/sub channel {@code P:ch:{channel}} — payload {@code <epoch>\n<flags>\n<publishMillis>\n<event JSON>};
 *       each node subscribes the channels it has local subscribers of.</li>
 * </ul>
 *
 * <h2>Publish</h2>
 * One Lua script (EVALSHA, EVAL on NOSCRIPT), atomic: dedupe check; {@code HINCRBY seq} (a new hash gets the epoch
 * passed in by the caller and drops any stale history); the final JSON is the caller's JSON without {@code seq} with
 * {@code ,"seq":N} spliced in before its last {@code }} (byte-identical to {@link EventEncoder#appendSeq}); XADD to
 * history; PEXPIREs; PUBLISH. The publish future completes only after the script ran (sequenced and stored), else
 * exceptionally with {@link EngineUnavailableException}. While Redis is unreachable, publishes fail at once.
 *
 * <h2>Delivery and gaps</h2>
 * One dedicated pub/sub connection (RESP3) carries SUBSCRIBE/UNSUBSCRIBE, issued in call order from one thread, and
 * the messages, which are parsed once per node and handed to the listener on that connection's thread in arrival
 * (= seq) order. Per channel the engine remembers the last (seq, epoch) it saw. A message that is not
 * {@code last + 1} in the same epoch means this node missed events: the listener's {@code onStreamGap} is called
 * first (its subscribers resume and recover from history), then the message is delivered as usual. Older or repeated
 * messages are dropped. After every SUBSCRIBE (first interest, or after the pub/sub connection came back) the engine
 * reads the channel's position <em>on the pub/sub connection</em>, so the reply is ordered with the messages: if the
 * stream moved past what this node saw, or its epoch changed (Redis restarted empty), {@code onStreamGap} is called.
 * {@link #position} and {@link #history} of a channel whose subscription is being set up wait for it (at most the
 * command timeout), so a position handed to a new subscriber is never older than the subscription.
 *
 * <h2>Health</h2>
 * {@link #healthy()} is false while either connection is down or a PING (every second, on both) failed or timed
 * out; commands time out after the command timeout (2 s by default). Lettuce reconnects on its own (and TCP
 * keep-alive/user timeout drop half-open connections); nothing is buffered while disconnected.
 */
public final class RedisEngine implements Engine {
    public static final String DEFAULT_PREFIX = "gateway";
    /** How long a Redis command may take before the publish (or read) fails. */
    static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(2);
    /** Default of {@code GATEWAY_REDIS_DEDUPE_TTL}. */
    public static final Duration DEFAULT_DEDUPE_TTL = Duration.ofHours(24);
    static final long MIN_META_TTL_MILLIS = Duration.ofHours(24).toMillis();
    private static final long TOUCH_INTERVAL_MILLIS = Duration.ofHours(1).toMillis();
    private static final int SUBSCRIBE_BATCH = 500;
    /** Lua numbers are doubles: larger positions are clamped (no stream gets anywhere near). */
    private static final long MAX_LUA_SEQ = 1L << 52;
    private static final Logger LOG = LoggerFactory.getLogger(RedisEngine.class);

    static final LuaScript PUBLISH = new LuaScript("""
            -- KEYS: meta, history[, dedupe]
            -- ARGV: json without seq, new epoch, now, history size (0 = none), history ttl ms, meta ttl ms,
            --       pub/sub channel, flags, dedupe ttl ms
            if KEYS[3] then
              local prev = redis.call('GET', KEYS[3])
              if prev then
                local sep = string.find(prev, ':', 1, true)
                local pseq = string.sub(prev, 1, sep - 1)
                local pepoch = string.sub(prev, sep + 1)
                local stored = false
                if redis.call('HGET', KEYS[1], 'epoch') == pepoch then
                  local r = redis.call('XRANGE', KEYS[2], '0-' .. pseq, '0-' .. pseq)
                  if r[1] then stored = r[1][2] end
                end
                return {tonumber(pseq), pepoch, 1, stored}
              end
            end
            local epoch = redis.call('HGET', KEYS[1], 'epoch')
            if not epoch then
              epoch = ARGV[2]
              redis.call('DEL', KEYS[2])
              redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0)
            end
            local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
            local seqs = string.format('%d', seq)
            local json = string.sub(ARGV[1], 1, -2) .. ',"seq":' .. seqs .. '}'
            if tonumber(ARGV[4]) > 0 then
              redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[4], '0-' .. seqs, 'd', json, 't', ARGV[3], 'f', ARGV[8])
              redis.call('PEXPIRE', KEYS[2], ARGV[5])
            end
            redis.call('PEXPIRE', KEYS[1], ARGV[6])
            if KEYS[3] then
              redis.call('SET', KEYS[3], seqs .. ':' .. epoch, 'PX', ARGV[9])
            end
            redis.call('PUBLISH', ARGV[7], epoch .. '\\n' .. ARGV[8] .. '\\n' .. ARGV[3] .. '\\n' .. json)
            return {seq, epoch, 0}
            """);

    static final LuaScript POSITION = new LuaScript("""
            -- KEYS: meta, history; ARGV: new epoch, meta ttl ms
            local m = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
            if not m[1] then
              redis.call('DEL', KEYS[2])
              redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'seq', 0)
              redis.call('PEXPIRE', KEYS[1], ARGV[2])
              return {0, ARGV[1]}
            end
            return {tonumber(m[2]), m[1]}
            """);

    static final LuaScript HISTORY = new LuaScript("""
            -- KEYS: meta, history
            -- ARGV: after seq, limit, new epoch, cutoff millis (-1: history disabled), meta ttl ms
            local m = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
            local epoch = m[1]
            local seq = 0
            if not epoch then
              epoch = ARGV[3]
              redis.call('DEL', KEYS[2])
              redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0)
              redis.call('PEXPIRE', KEYS[1], ARGV[5])
            else
              seq = tonumber(m[2])
            end
            local cutoff = tonumber(ARGV[4])
            local first = seq + 1
            if cutoff >= 0 then
              local start = '-'
              local keep = nil
              local expired = false
              while true do
                local head = redis.call('XRANGE', KEYS[2], start, '+', 'COUNT', 100)
                for i = 1, #head do
                  local f = head[i][2]
                  local t = nil
                  for j = 1, #f, 2 do
                    if f[j] == 't' then t = tonumber(f[j + 1]) end
                  end
                  if t ~= nil and t < cutoff then
                    expired = true
                  else
                    keep = head[i][1]
                    break
                  end
                end
                if keep or #head < 100 then break end
                start = '(' .. head[#head][1]
              end
              if keep then
                if expired then redis.call('XTRIM', KEYS[2], 'MINID', keep) end
                first = tonumber(string.match(keep, '%-(%d+)$'))
              elseif expired then
                redis.call('DEL', KEYS[2])
              end
            end
            local after = tonumber(ARGV[1])
            local limit = tonumber(ARGV[2])
            local complete = 0
            if after >= first - 1 and after <= seq then complete = 1 end
            local events = {}
            if cutoff >= 0 and after < seq and limit > 0 then
              events = redis.call('XRANGE', KEYS[2], '0-' .. string.format('%d', after + 1), '+', 'COUNT', limit)
            end
            return {seq, epoch, complete, events}
            """);

    private final String prefix;
    private final String nodeId;
    private final Namespaces namespaces;
    private final LongSupplier clock;
    private final long dedupeTtlMillis;
    private final Duration commandTimeout;
    private final String channelPrefix;
    private final RedisClient client;
    private final ScheduledExecutorService scheduler;
    private final ConcurrentHashMap<String, ChannelState> interested = new ConcurrentHashMap<>();
    /** Channels whose UNSUBSCRIBE could not be sent; retried after the pub/sub connection is back. Scheduler only. */
    private final Set<String> staleSubscriptions = new HashSet<>();
    private final RateLimitedLog badMessageLog = new RateLimitedLog(LOG, 10_000);
    private final RateLimitedLog connectLog = new RateLimitedLog(LOG, 30_000);
    private final LongAdder published = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder received = new LongAdder();
    private final LongAdder gaps = new LongAdder();
    private final LongAdder invalidMessages = new LongAdder();

    private volatile EngineListener listener = event -> {};
    private volatile StatefulRedisConnection<String, byte[]> commands;
    private volatile StatefulRedisPubSubConnection<String, byte[]> pubsub;
    private volatile String connectProblem = "not started";
    private volatile String commandPingProblem;
    private volatile String pubsubPingProblem;
    private volatile boolean started;
    private volatile boolean closed;
    private long lastTouchMillis;

    /**
     * @param redisUrl {@code redis://[user:password@]host:port[/db]} or {@code rediss://...}
     * @param prefix key prefix ({@value #DEFAULT_PREFIX} unless configured)
     * @param nodeId this node's id (the connections' client name)
     */
    public RedisEngine(String redisUrl, String prefix, String nodeId, Namespaces namespaces) {
        this(redisUrl, prefix, nodeId, namespaces, System::currentTimeMillis, DEFAULT_COMMAND_TIMEOUT, DEFAULT_DEDUPE_TTL);
    }

    public RedisEngine(String redisUrl, String prefix, String nodeId, Namespaces namespaces, LongSupplier clockMillis,
                       Duration commandTimeout) {
        this(redisUrl, prefix, nodeId, namespaces, clockMillis, commandTimeout, DEFAULT_DEDUPE_TTL);
    }

    /** A node's engine: system clock, default command timeout, the configured dedupe window. */
    public static RedisEngine of(String redisUrl, String prefix, String nodeId, Namespaces namespaces,
                                 Duration dedupeTtl) {
        return new RedisEngine(redisUrl, prefix, nodeId, namespaces, System::currentTimeMillis,
                DEFAULT_COMMAND_TIMEOUT, dedupeTtl);
    }

    /** @param dedupeTtl how long a published {@code eventId} is remembered per channel (GATEWAY_REDIS_DEDUPE_TTL) */
    public RedisEngine(String redisUrl, String prefix, String nodeId, Namespaces namespaces, LongSupplier clockMillis,
                       Duration commandTimeout, Duration dedupeTtl) {
        this.dedupeTtlMillis = dedupeTtl.toMillis();
        this.prefix = prefix == null || prefix.isEmpty() ? DEFAULT_PREFIX : prefix;
        this.nodeId = nodeId;
        this.namespaces = namespaces;
        this.clock = clockMillis;
        this.commandTimeout = commandTimeout;
        this.channelPrefix = this.prefix + ":ch:{";
        this.client = RedisSupport.client(redisUrl, commandTimeout, 2);
        this.client.addListener(new StateListener());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "eventgate-redis");
            t.setDaemon(true);
            return t;
        });
    }

    // ---------------------------------------------------------------- lifecycle

    /** Connects (retrying every second in the background while Redis is unreachable) and starts the health checks. */
    @Override
    public void start(EngineListener listener) {
        this.listener = listener;
        this.started = true;
        connect();
        scheduler.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    private synchronized void connect() {
        if (closed) {
            return;
        }
        try {
            if (commands == null) {
                StatefulRedisConnection<String, byte[]> c = client.connect(RedisSupport.CODEC);
                commands = c;
            }
            if (pubsub == null) {
                StatefulRedisPubSubConnection<String, byte[]> p = client.connectPubSub(RedisSupport.CODEC);
                p.addListener(new MessageListener());
                pubsub = p;
                execute(this::resubscribeAll);
            }
            connectProblem = null;
            LOG.info("redis engine connected (node {}, prefix {})", nodeId, prefix);
        } catch (RedisException e) {
            connectProblem = RedisSupport.reason(e);
            connectLog.warn("redis engine cannot connect: {}; retrying", connectProblem);
        }
    }

    /** Every second: connect if never connected, PING both connections, touch subscribed channels hourly. */
    private void tick() {
        try {
            if (closed) {
                return;
            }
            if (commands == null || pubsub == null) {
                connect();
            }
            ping();
            long now = clock.getAsLong();
            if (now - lastTouchMillis >= TOUCH_INTERVAL_MILLIS) {
                lastTouchMillis = now;
                touchInterested();
            }
        } catch (RuntimeException e) {
            LOG.warn("redis engine housekeeping failed", e);
        }
    }

    private void ping() {
        StatefulRedisConnection<String, byte[]> c = commands;
        if (c != null) {
            c.async().ping().toCompletableFuture().orTimeout(commandTimeout.toMillis(), TimeUnit.MILLISECONDS)
                    .whenComplete((pong, error) -> commandPingProblem = error == null ? null
                            : "PING failed: " + RedisSupport.reason(error));
        }
        StatefulRedisPubSubConnection<String, byte[]> p = pubsub;
        if (p != null) {
            p.async().ping().toCompletableFuture().orTimeout(commandTimeout.toMillis(), TimeUnit.MILLISECONDS)
                    .whenComplete((pong, error) -> pubsubPingProblem = error == null ? null
                            : "pub/sub PING failed: " + RedisSupport.reason(error));
        }
    }

    /** Keeps the meta hash of channels this node has subscribers of alive even when nobody publishes for a day. */
    private void touchInterested() {
        StatefulRedisConnection<String, byte[]> c = commands;
        if (c == null || !c.isOpen()) {
            return;
        }
        for (String channel : interested.keySet()) {
            c.async().pexpire(metaKey(channel), metaTtlMillis(namespaces.ofChannel(channel)));
        }
    }

    @Override
    public boolean healthy() {
        return problem() == null;
    }

    @Override
    public String describe() {
        String problem = problem();
        return problem == null ? "redis: ok" : "redis: " + problem;
    }

    private String problem() {
        if (closed) {
            return "closed";
        }
        if (!started) {
            return "not started";
        }
        StatefulRedisConnection<String, byte[]> c = commands;
        StatefulRedisPubSubConnection<String, byte[]> p = pubsub;
        if (c == null || p == null) {
            return connectProblem != null ? connectProblem : "not connected";
        }
        if (!c.isOpen()) {
            return "disconnected";
        }
        if (!p.isOpen()) {
            return "pub/sub connection disconnected";
        }
        String ping = commandPingProblem;
        if (ping != null) {
            return ping;
        }
        return pubsubPingProblem;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        scheduler.shutdownNow();
        StatefulRedisPubSubConnection<String, byte[]> p = pubsub;
        if (p != null && p.isOpen() && !interested.isEmpty()) {
            try {
                p.async().unsubscribe().get(commandTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                // closing anyway
            }
        }
        for (ChannelState state : interested.values()) {
            state.ready.complete(null);
        }
        interested.clear();
        closeQuietly(p);
        closeQuietly(commands);
        RedisSupport.shutdown(client);
    }

    private static void closeQuietly(io.lettuce.core.api.StatefulConnection<?, ?> connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (RuntimeException e) {
                // best effort
            }
        }
    }

    // ---------------------------------------------------------------- publish, history, position

    @Override
    public CompletableFuture<Event> publish(String channel, ObjectNode node, PublishOptions options) {
        StatefulRedisConnection<String, byte[]> c = commands;
        String problem = problem();
        if (problem != null || c == null) {
            return CompletableFuture.failedFuture(new EngineUnavailableException("redis: " + problem));
        }
        NamespaceSettings settings = namespaces.ofChannel(channel);
        boolean ack = options.ack() != null ? options.ack() : settings.ackRequired();
        boolean critical = options.critical();
        long now = clock.getAsLong();
        boolean dedupe = EventEncoder.eventId(node) != null;
        String eventId = EventEncoder.stampExceptSeq(node, channel, now);
        String type = node.get("type").textValue();
        byte[] json = EventEncoder.encode(node);
        int flags = (ack ? 1 : 0) | (critical ? 2 : 0);
        String[] keys = dedupe
                ? new String[] {metaKey(channel), historyKey(channel), dedupeKey(channel, eventId)}
                : new String[] {metaKey(channel), historyKey(channel)};
        long historySize = settings.historyEnabled() ? settings.historySize() : 0;
        CompletableFuture<List<Object>> reply;
        try {
            reply = PUBLISH.run(c.async(), keys, json, ascii(RedisSupport.newEpoch()), ascii(now), ascii(historySize),
                    ascii(Math.max(1, settings.historyTtl().toMillis())), ascii(metaTtlMillis(settings)),
                    ascii(pubsubChannel(channel)), ascii(flags), ascii(dedupeTtlMillis));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(unavailable(e));
        }
        CompletableFuture<Event> result = new CompletableFuture<>();
        reply.whenComplete((r, error) -> {
            if (error != null) {
                result.completeExceptionally(unavailable(error));
                return;
            }
            try {
                long seq = RedisSupport.number(r.get(0));
                String epoch = RedisSupport.string(r.get(1));
                boolean duplicate = RedisSupport.number(r.get(2)) == 1;
                if (duplicate) {
                    duplicates.increment();
                    if (r.size() > 3 && r.get(3) instanceof List<?> fields) {
                        result.complete(fromFields(channel, seq, epoch, fields));
                        return;
                    }
                } else {
                    published.increment();
                }
                node.put("seq", seq);
                result.complete(new Event(channel, seq, epoch, eventId, type, node, EventEncoder.appendSeq(json, seq),
                        ack, critical, now));
            } catch (RuntimeException | IOException e) {
                result.completeExceptionally(new EngineUnavailableException("redis: unexpected publish reply", e));
            }
        });
        return result;
    }

    @Override
    public CompletableFuture<HistoryPage> history(String channel, long afterSeq, int limit) {
        StatefulRedisConnection<String, byte[]> c = commands;
        if (c == null || closed) {
            return CompletableFuture.failedFuture(new EngineUnavailableException("redis: " + problem()));
        }
        NamespaceSettings settings = namespaces.ofChannel(channel);
        long cutoff = settings.historyEnabled() ? Math.max(0, clock.getAsLong() - settings.historyTtl().toMillis())
                : -1;
        long after = Math.max(0, Math.min(afterSeq, MAX_LUA_SEQ));
        return afterSubscribed(channel).thenCompose(v -> HISTORY.run(c.async(),
                        new String[] {metaKey(channel), historyKey(channel)}, ascii(after), ascii(Math.max(0, limit)),
                        ascii(RedisSupport.newEpoch()), ascii(cutoff), ascii(metaTtlMillis(settings))))
                .handle((r, error) -> {
                    if (error != null) {
                        throw unavailable(error);
                    }
                    long seq = RedisSupport.number(r.get(0));
                    String epoch = RedisSupport.string(r.get(1));
                    boolean complete = RedisSupport.number(r.get(2)) == 1 && afterSeq <= seq;
                    List<?> entries = r.get(3) instanceof List<?> l ? l : List.of();
                    List<Event> events = new ArrayList<>(entries.size());
                    for (Object entry : entries) {
                        List<?> pair = (List<?>) entry;
                        long entrySeq = seqOfId(RedisSupport.string(pair.get(0)));
                        try {
                            events.add(fromFields(channel, entrySeq, epoch, (List<?>) pair.get(1)));
                        } catch (IOException | RuntimeException e) {
                            throw new EngineUnavailableException("redis: unreadable history entry " + entrySeq
                                    + " of " + channel, e);
                        }
                    }
                    return new HistoryPage(channel, epoch, seq, List.copyOf(events), complete);
                });
    }

    @Override
    public CompletableFuture<StreamPosition> position(String channel) {
        StatefulRedisConnection<String, byte[]> c = commands;
        if (c == null || closed) {
            return CompletableFuture.failedFuture(new EngineUnavailableException("redis: " + problem()));
        }
        return afterSubscribed(channel).thenCompose(v -> readPosition(c.async(), channel))
                .handle((p, error) -> {
                    if (error != null) {
                        throw unavailable(error);
                    }
                    return p;
                });
    }

    private CompletableFuture<StreamPosition> readPosition(
            io.lettuce.core.api.async.RedisScriptingAsyncCommands<String, byte[]> commands, String channel) {
        return POSITION.run(commands, new String[] {metaKey(channel), historyKey(channel)},
                        ascii(RedisSupport.newEpoch()), ascii(metaTtlMillis(namespaces.ofChannel(channel))))
                .thenApply(r -> new StreamPosition(RedisSupport.number(r.get(0)), RedisSupport.string(r.get(1))));
    }

    /** Completes once the channel's subscription (if this node has interest) is active; fails after the timeout. */
    private CompletableFuture<Void> afterSubscribed(String channel) {
        ChannelState state = interested.get(channel);
        if (state == null || state.ready.isDone()) {
            return CompletableFuture.completedFuture(null);
        }
        return state.ready.copy().orTimeout(commandTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    // ---------------------------------------------------------------- interest and pub/sub

    @Override
    public void interest(String channel, boolean interestedNow) {
        if (closed) {
            return;
        }
        if (interestedNow) {
            ChannelState previous = interested.put(channel, new ChannelState());
            if (previous != null) {
                previous.ready.complete(null);
            }
            execute(() -> subscribe(List.of(channel)));
        } else {
            ChannelState previous = interested.remove(channel);
            if (previous != null) {
                previous.ready.complete(null);
            }
            execute(() -> unsubscribe(channel));
        }
    }

    private void execute(Runnable task) {
        try {
            scheduler.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.warn("redis engine task failed", e);
                }
            });
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    /** Scheduler thread: SUBSCRIBEs the channels still of interest, then checks each one's position. */
    private void subscribe(List<String> channels) {
        StatefulRedisPubSubConnection<String, byte[]> p = pubsub;
        if (p == null || !p.isOpen() || closed) {
            return; // resubscribeAll runs when the connection is (back) up
        }
        List<String> wanted = new ArrayList<>(channels.size());
        for (String channel : channels) {
            if (interested.containsKey(channel)) {
                wanted.add(channel);
                staleSubscriptions.remove(channel);
            }
        }
        if (wanted.isEmpty()) {
            return;
        }
        String[] names = wanted.stream().map(this::pubsubChannel).toArray(String[]::new);
        p.async().subscribe(names).toCompletableFuture().whenComplete((ok, error) -> {
            if (error != null) {
                LOG.warn("redis engine: SUBSCRIBE of {} channel(s) failed ({}); retrying", wanted.size(),
                        RedisSupport.reason(error));
                retryLater(() -> subscribe(wanted));
                return;
            }
            for (String channel : wanted) {
                ChannelState state = interested.get(channel);
                if (state != null) {
                    checkPosition(p, channel, state);
                }
            }
        });
    }

    /**
     * Reads the channel's position on the pub/sub connection: the reply comes after every message published before
     * the read, so a position ahead of what this node saw (or another epoch) means events were missed.
     */
    private void checkPosition(StatefulRedisPubSubConnection<String, byte[]> p, String channel, ChannelState state) {
        readPosition(p.async(), channel).whenComplete((position, error) -> {
            if (error != null) {
                LOG.warn("redis engine: position check of {} failed ({}); retrying", channel,
                        RedisSupport.reason(error));
                retryLater(() -> subscribe(List.of(channel)));
                return;
            }
            synchronized (state) {
                if (interested.get(channel) != state) {
                    return;
                }
                if (state.epoch == null) {
                    state.epoch = position.epoch();
                    state.seq = position.seq();
                } else if (!state.epoch.equals(position.epoch()) || position.seq() > state.seq) {
                    LOG.info("redis engine: stream {} moved from {}@{} to {}@{} while not subscribed", channel,
                            state.seq, state.epoch, position.seq(), position.epoch());
                    state.epoch = position.epoch();
                    state.seq = position.seq();
                    gap(channel);
                }
                state.ready.complete(null);
            }
        });
    }

    private void retryLater(Runnable task) {
        try {
            scheduler.schedule(() -> execute(task), 1, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    /** Scheduler thread. */
    private void unsubscribe(String channel) {
        if (interested.containsKey(channel)) {
            return; // interest came back before this ran
        }
        StatefulRedisPubSubConnection<String, byte[]> p = pubsub;
        if (p == null || !p.isOpen()) {
            staleSubscriptions.add(channel);
            return;
        }
        p.async().unsubscribe(pubsubChannel(channel)).toCompletableFuture().whenComplete((ok, error) -> {
            if (error != null) {
                execute(() -> {
                    if (!interested.containsKey(channel)) {
                        staleSubscriptions.add(channel);
                    }
                });
            }
        });
    }

    /** Scheduler thread, after the pub/sub connection (re)connected: re-subscribes and re-checks every channel. */
    private void resubscribeAll() {
        StatefulRedisPubSubConnection<String, byte[]> p = pubsub;
        if (p == null || !p.isOpen() || closed) {
            return;
        }
        if (!staleSubscriptions.isEmpty()) {
            List<String> stale = new ArrayList<>(staleSubscriptions);
            staleSubscriptions.clear();
            p.async().unsubscribe(stale.stream().map(this::pubsubChannel).toArray(String[]::new));
        }
        List<String> channels = new ArrayList<>(interested.keySet());
        for (int i = 0; i < channels.size(); i += SUBSCRIBE_BATCH) {
            subscribe(channels.subList(i, Math.min(channels.size(), i + SUBSCRIBE_BATCH)));
        }
    }

    private void onMessage(String redisChannel, byte[] payload) {
        if (!redisChannel.startsWith(channelPrefix) || !redisChannel.endsWith("}")) {
            return;
        }
        String channel = redisChannel.substring(channelPrefix.length(), redisChannel.length() - 1);
        ChannelState state = interested.get(channel);
        if (state == null) {
            return; // interest ended while the message was in flight
        }
        Event event;
        try {
            event = decode(channel, payload);
        } catch (IOException | RuntimeException e) {
            invalidMessages.increment();
            badMessageLog.warn("redis engine: unreadable message on {}: {}", redisChannel, e.toString());
            return;
        }
        received.increment();
        synchronized (state) {
            if (state.epoch != null) {
                if (state.epoch.equals(event.epoch())) {
                    if (event.seq() <= state.seq) {
                        return; // already seen (or older than the position this node started from)
                    }
                    if (event.seq() != state.seq + 1) {
                        LOG.info("redis engine: {} jumped from {} to {}: events were missed", channel, state.seq,
                                event.seq());
                        gap(channel);
                    }
                } else {
                    LOG.info("redis engine: {} changed epoch from {} to {}", channel, state.epoch, event.epoch());
                    gap(channel);
                }
            }
            state.epoch = event.epoch();
            state.seq = event.seq();
            try {
                listener.onEvent(event);
            } catch (RuntimeException e) {
                LOG.warn("engine listener failed on {}", channel, e);
            }
        }
    }

    private void gap(String channel) {
        gaps.increment();
        try {
            listener.onStreamGap(channel);
        } catch (RuntimeException e) {
            LOG.warn("engine listener failed on stream gap of {}", channel, e);
        }
    }

    /** Payload {@code <epoch>\n<flags>\n<publishMillis>\n<json>}. */
    private static Event decode(String channel, byte[] payload) throws IOException {
        int a = indexOf(payload, 0);
        int b = indexOf(payload, a + 1);
        int c = indexOf(payload, b + 1);
        if (a <= 0 || b < 0 || c < 0) {
            throw new IOException("malformed payload");
        }
        String epoch = new String(payload, 0, a, StandardCharsets.US_ASCII);
        int flags = Integer.parseInt(new String(payload, a + 1, b - a - 1, StandardCharsets.US_ASCII));
        long millis = Long.parseLong(new String(payload, b + 1, c - b - 1, StandardCharsets.US_ASCII));
        byte[] json = Arrays.copyOfRange(payload, c + 1, payload.length);
        ObjectNode body = parseObject(json);
        return event(channel, body.path("seq").asLong(-1), epoch, body, json, flags, millis);
    }

    private static int indexOf(byte[] bytes, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** An event from a history entry's fields ({@code d}, {@code t}, {@code f}). */
    private static Event fromFields(String channel, long seq, String epoch, List<?> fields) throws IOException {
        byte[] json = null;
        long millis = 0;
        int flags = 0;
        for (int i = 0; i + 1 < fields.size(); i += 2) {
            String name = RedisSupport.string(fields.get(i));
            Object value = fields.get(i + 1);
            switch (name) {
                case "d" -> json = value instanceof byte[] b ? b : RedisSupport.utf8(RedisSupport.string(value));
                case "t" -> millis = RedisSupport.number(value);
                case "f" -> flags = (int) RedisSupport.number(value);
                default -> { }
            }
        }
        if (json == null) {
            throw new IOException("history entry without event");
        }
        return event(channel, seq, epoch, parseObject(json), json, flags, millis);
    }

    private static Event event(String channel, long seq, String epoch, ObjectNode body, byte[] json, int flags,
                               long millis) throws IOException {
        if (seq <= 0) {
            throw new IOException("event without seq");
        }
        JsonNode type = body.get("type");
        JsonNode eventId = body.get("eventId");
        return new Event(channel, seq, epoch, eventId == null ? null : eventId.asText(),
                type == null ? null : type.asText(), body, json, (flags & 1) != 0, (flags & 2) != 0, millis);
    }

    private static ObjectNode parseObject(byte[] json) throws IOException {
        JsonNode node = Json.MAPPER.readTree(json);
        if (!(node instanceof ObjectNode object)) {
            throw new IOException("event is not a JSON object");
        }
        return object;
    }

    private static long seqOfId(String id) {
        return Long.parseLong(id.substring(id.indexOf('-') + 1));
    }

    // ---------------------------------------------------------------- keys and helpers

    String metaKey(String channel) {
        return prefix + ":meta:{" + channel + "}";
    }

    String historyKey(String channel) {
        return prefix + ":history:{" + channel + "}";
    }

    String dedupeKey(String channel, String eventId) {
        return prefix + ":dedupe:{" + channel + "}:" + eventId;
    }

    String pubsubChannel(String channel) {
        return channelPrefix + channel + "}";
    }

    private static long metaTtlMillis(NamespaceSettings settings) {
        return Math.max(settings.historyTtl().toMillis(), MIN_META_TTL_MILLIS);
    }

    private static byte[] ascii(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private EngineUnavailableException unavailable(Throwable error) {
        Throwable cause = RedisSupport.unwrap(error);
        if (cause instanceof EngineUnavailableException e) {
            return e;
        }
        String reason = cause instanceof TimeoutException ? "timed out" : RedisSupport.reason(cause);
        return new EngineUnavailableException("redis: " + reason, cause);
    }

    // ---------------------------------------------------------------- stats

    /** Events this node sequenced (not counting duplicates). */
    public long publishedCount() {
        return published.sum();
    }

    /** Publishes answered with an earlier event because its eventId was already published to the channel. */
    public long duplicateCount() {
        return duplicates.sum();
    }

    /** Events received from Redis for channels with local interest. */
    public long receivedCount() {
        return received.sum();
    }

    /** Times {@code onStreamGap} was called. */
    public long streamGapCount() {
        return gaps.sum();
    }

    /** Unreadable pub/sub messages dropped. */
    public long invalidMessageCount() {
        return invalidMessages.sum();
    }

    /** Channels this node has interest in (subscribed, or being subscribed). */
    public Set<String> interestedChannels() {
        return Set.copyOf(interested.keySet());
    }

    public String prefix() {
        return prefix;
    }

    // ---------------------------------------------------------------- inner types

    /** Per-channel state of a local interest; guarded by itself. */
    private static final class ChannelState {
        /** Completes when the subscription is active and the position was read; renewed when it is lost. */
        volatile CompletableFuture<Void> ready = new CompletableFuture<>();
        String epoch;
        long seq;
    }

    private final class MessageListener extends RedisPubSubAdapter<String, byte[]> {
        @Override
        public void message(String channel, byte[] message) {
            onMessage(channel, message);
        }
    }

    private final class StateListener implements RedisConnectionStateListener {
        @Override
        public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress socketAddress) {
            if (connection == pubsub) {
                LOG.info("redis engine: pub/sub connection re-established");
                execute(RedisEngine.this::resubscribeAll);
            }
            if (connection == pubsub || connection == commands) {
                execute(RedisEngine.this::ping);
            }
        }

        @Override
        public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
            if (closed) {
                return;
            }
            if (connection == pubsub) {
                LOG.warn("redis engine: pub/sub connection lost");
                // Positions of channels wait for the re-subscription (resubscribeAll) again.
                for (ChannelState state : interested.values()) {
                    synchronized (state) {
                        if (state.ready.isDone()) {
                            state.ready = new CompletableFuture<>();
                        }
                    }
                }
            } else if (connection == commands) {
                LOG.warn("redis engine: connection lost");
            }
        }
    }
}
