package io.eventgate.server.redis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.protocol.ChannelNames;
import io.eventgate.protocol.ClientMessageDecoder;
import io.eventgate.protocol.Json;
import io.eventgate.protocol.ProtocolException;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.SetArgs;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.XTrimArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.models.stream.ClaimedMessages;
import io.lettuce.core.models.stream.PendingMessages;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishing through Redis instead of the REST API, for backends that already talk to Redis. Both paths take the
 * REST publish body: {@code {"channel":"user:42","event":{...},"ack":true,"critical":false}}, or {@code "user":"42"}
 * instead of {@code channel}; {@code ack} and {@code critical} are optional.
 *
 * <h2>Best effort: pub/sub {@code P:publish}</h2>
 * Every node subscribes; exactly one sequences each message: the node that wins
 * {@code SET P:claim:<sha1 of the raw message> <nodeId> NX PX 60000}. So identical messages within 60 s are
 * deduplicated: give each event its own {@code eventId} to make events distinct. A message sent while no node is
 * subscribed, or whose publish fails, is lost (counted as a failure on the node that claimed it).
 *
 * <h2>Durable: stream {@code P:ingress}</h2>
 * Producers {@code XADD P:ingress MAXLEN ~ 1000000 * payload '<json>'}. Consumer group {@code P-ingress} (created at
 * {@code $} with MKSTREAM: entries added before any node ever started are not read); each node reads as consumer
 * {@code <nodeId>} ({@code XREADGROUP ... COUNT 100 BLOCK 1000}) on its own connection and thread
 * ({@code eventgate-ingress}), publishes each entry and XACKs it only after the publish succeeded; a failed one stays
 * pending and is retried. Every 5 s, {@code XAUTOCLAIM} (min idle 15 s) takes over entries pending for longer
 * (a dead node's, or this node's failed ones) and publishes them; processed entries are trimmed
 * ({@code XTRIM MINID ~}). Redelivery is harmless: an entry without an {@code eventId} gets {@code ING-<entry id>},
 * and the engine publishes an {@code eventId} at most once per channel (24 h). Invalid entries are acknowledged and
 * counted, never retried.
 */
public final class RedisIngress implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisIngress.class);
    private static final int BATCH = 100;
    private static final long CLAIM_TTL_MILLIS = 60_000;
    private static final Duration PUBLISH_WAIT = Duration.ofSeconds(30);

    /**
     * Timings (tests shorten them).
     *
     * @param claimMinIdle how long an entry must be pending before another consumer takes it over (15 s)
     * @param claimInterval how often XAUTOCLAIM runs (5 s)
     * @param block how long one XREADGROUP blocks (1 s)
     * @param commandTimeout timeout of every other command (2 s)
     */
    public record Settings(Duration claimMinIdle, Duration claimInterval, Duration block, Duration commandTimeout) {
        public static final Settings DEFAULT = new Settings(Duration.ofSeconds(15), Duration.ofSeconds(5),
                Duration.ofSeconds(1), Duration.ofSeconds(2));
    }

    private final String prefix;
    private final String nodeId;
    private final PublishTarget target;
    private final Settings settings;
    private final String publishChannel;
    private final String streamKey;
    private final String group;
    private final RedisClient client;
    private final ScheduledExecutorService claimer;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final RateLimitedLog invalidLog = new RateLimitedLog(LOG, 10_000);
    private final RateLimitedLog failureLog = new RateLimitedLog(LOG, 10_000);
    private final LongAdder published = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder invalid = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final Object connectLock = new Object();
    private volatile StatefulRedisConnection<String, byte[]> commands;
    private volatile StatefulRedisConnection<String, byte[]> reader;
    private volatile StatefulRedisPubSubConnection<String, byte[]> pubsub;
    private volatile boolean running;
    private volatile String lastReadId;
    private Thread thread;

    public RedisIngress(String redisUrl, String prefix, String nodeId, PublishTarget target) {
        this(redisUrl, prefix, nodeId, target, Settings.DEFAULT);
    }

    public RedisIngress(String redisUrl, String prefix, String nodeId, PublishTarget target, Settings settings) {
        this.prefix = prefix == null || prefix.isEmpty() ? RedisEngine.DEFAULT_PREFIX : prefix;
        this.nodeId = nodeId;
        this.target = target;
        this.settings = settings;
        this.publishChannel = this.prefix + ":publish";
        this.streamKey = this.prefix + ":ingress";
        this.group = this.prefix + "-ingress";
        this.client = RedisSupport.client(redisUrl, settings.commandTimeout(), 1);
        this.claimer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "eventgate-ingress-claim");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts reading (connecting in the background, retrying while Redis is unreachable). */
    public synchronized void start() {
        if (running || closing.getCount() == 0) {
            return;
        }
        running = true;
        thread = Thread.ofPlatform().name("eventgate-ingress").daemon(true).unstarted(this::readLoop);
        thread.start();
        long interval = settings.claimInterval().toMillis();
        claimer.scheduleWithFixedDelay(this::claimAbandoned, interval, interval, TimeUnit.MILLISECONDS);
    }

    // ---------------------------------------------------------------- connections

    /** Connects what is missing; true when everything is connected. Reader thread. */
    private boolean ensureConnected() {
        synchronized (connectLock) {
            try {
                if (commands == null) {
                    commands = client.connect(RedisSupport.CODEC);
                }
                if (reader == null) {
                    StatefulRedisConnection<String, byte[]> r = client.connect(RedisSupport.CODEC);
                    r.setTimeout(settings.block().plus(settings.commandTimeout()));
                    reader = r;
                    createGroup();
                    readOwnPending();
                }
                if (pubsub == null) {
                    StatefulRedisPubSubConnection<String, byte[]> p = client.connectPubSub(RedisSupport.CODEC);
                    p.addListener(new RedisPubSubAdapter<>() {
                        @Override
                        public void message(String channel, byte[] message) {
                            if (publishChannel.equals(channel)) {
                                onPubSubMessage(message);
                            }
                        }
                    });
                    try {
                        p.sync().subscribe(publishChannel); // Lettuce re-subscribes it after every reconnect
                    } catch (RedisException e) {
                        p.close();
                        throw e;
                    }
                    pubsub = p;
                    LOG.info("redis ingress started (node {}, channel {}, stream {}, group {})", nodeId,
                            publishChannel, streamKey, group);
                }
                return true;
            } catch (RedisException e) {
                failureLog.warn("redis ingress cannot connect: {}; retrying", RedisSupport.reason(e));
                return false;
            }
        }
    }

    private void createGroup() {
        try {
            commands.sync().xgroupCreate(XReadArgs.StreamOffset.latest(streamKey), group,
                    XGroupCreateArgs.Builder.mkstream());
        } catch (RedisBusyException e) {
            // BUSYGROUP: another node (or an earlier run) created it
        } catch (RedisException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith("BUSYGROUP")) {
                throw e;
            }
        }
    }

    // ---------------------------------------------------------------- best effort (pub/sub)

    /** Lettuce's I/O thread: claim, then parse and publish (claim first, so exactly one node counts each message). */
    private void onPubSubMessage(byte[] message) {
        StatefulRedisConnection<String, byte[]> c = commands;
        if (c == null || !running) {
            return;
        }
        String claimKey = prefix + ":claim:" + RedisSupport.sha1Hex(message);
        c.async().set(claimKey, RedisSupport.utf8(nodeId), SetArgs.Builder.nx().px(CLAIM_TTL_MILLIS))
                .toCompletableFuture().whenComplete((ok, error) -> {
                    if (error != null) {
                        failures.increment();
                        failureLog.warn("redis ingress: cannot claim a {} message: {}", publishChannel,
                                RedisSupport.reason(error));
                        return;
                    }
                    if (!"OK".equals(ok)) {
                        duplicates.increment();
                        return;
                    }
                    Parsed parsed;
                    try {
                        parsed = parse(message);
                    } catch (InvalidMessage e) {
                        rejected(publishChannel, e.getMessage());
                        return;
                    }
                    publish(parsed, publishChannel).whenComplete((outcome, e) -> {
                        if (outcome == Outcome.FAILED) {
                            failureLog.warn("redis ingress: message on {} not published: {}", publishChannel,
                                    RedisSupport.reason(e == null ? new IllegalStateException("failed") : e));
                        }
                    });
                });
    }

    // ---------------------------------------------------------------- durable (stream)

    private void readLoop() {
        while (running) {
            try {
                if (!ensureConnected()) {
                    pause();
                    continue;
                }
                List<StreamMessage<String, byte[]>> entries = reader.sync().xreadgroup(
                        Consumer.from(group, nodeId),
                        XReadArgs.Builder.block(settings.block()).count(BATCH),
                        XReadArgs.StreamOffset.lastConsumed(streamKey));
                if (entries != null && !entries.isEmpty()) {
                    lastReadId = entries.get(entries.size() - 1).getId();
                    if (!process(entries)) {
                        pause(); // the target is failing: do not race through the stream
                    }
                }
            } catch (RedisException e) {
                if (!running) {
                    break;
                }
                String message = String.valueOf(e.getMessage());
                if (message.startsWith("NOGROUP")) {
                    LOG.warn("redis ingress: consumer group {} is gone (Redis restarted?); recreating", group);
                    try {
                        createGroup();
                    } catch (RedisException again) {
                        failureLog.warn("redis ingress: cannot create group: {}", RedisSupport.reason(again));
                        pause();
                    }
                } else {
                    failureLog.warn("redis ingress: read failed: {}", RedisSupport.reason(e));
                    pause();
                }
            } catch (RuntimeException e) {
                LOG.warn("redis ingress: unexpected failure", e);
                pause();
            }
        }
    }

    /** After (re)connecting: entries this consumer read before but never acknowledged (a previous run's). */
    private void readOwnPending() {
        for (int round = 0; round < 1_000; round++) {
            List<StreamMessage<String, byte[]>> entries = reader.sync().xreadgroup(Consumer.from(group, nodeId),
                    XReadArgs.Builder.count(BATCH), XReadArgs.StreamOffset.from(streamKey, "0"));
            if (entries == null || entries.isEmpty() || !process(entries)) {
                return;
            }
        }
    }

    /** Every claim interval: takes over entries pending longer than the minimum idle time, and trims the stream. */
    private void claimAbandoned() {
        StatefulRedisConnection<String, byte[]> c = commands;
        if (!running || c == null || !c.isOpen()) {
            return;
        }
        try {
            String start = "0-0";
            for (int round = 0; round < 1_000 && running; round++) {
                ClaimedMessages<String, byte[]> claimed = c.sync().xautoclaim(streamKey, new XAutoClaimArgs<String>()
                        .consumer(Consumer.from(group, nodeId)).minIdleTime(settings.claimMinIdle())
                        .startId(start).count(BATCH));
                List<StreamMessage<String, byte[]>> entries = claimed.getMessages();
                if (!entries.isEmpty()) {
                    LOG.info("redis ingress: took over {} pending entries", entries.size());
                    if (!process(entries)) {
                        break;
                    }
                }
                start = claimed.getId();
                if (start == null || "0-0".equals(start)) {
                    break;
                }
            }
            trimProcessed(c);
        } catch (RedisException e) {
            if (String.valueOf(e.getMessage()).startsWith("NOGROUP")) {
                return; // the reader recreates it
            }
            failureLog.warn("redis ingress: XAUTOCLAIM failed: {}", RedisSupport.reason(e));
        } catch (RuntimeException e) {
            LOG.warn("redis ingress: claim failed", e);
        }
    }

    /**
     * Entries older than both the oldest pending one and the last one this node read were delivered (a group
     * delivers in id order) and acknowledged: they go.
     */
    private void trimProcessed(StatefulRedisConnection<String, byte[]> c) {
        String mine = lastReadId;
        if (mine == null) {
            return;
        }
        PendingMessages pending = c.sync().xpending(streamKey, group);
        String minId = mine;
        if (pending != null && pending.getCount() > 0 && pending.getMessageIds() != null
                && pending.getMessageIds().getLower().getValue() != null) {
            String lowest = pending.getMessageIds().getLower().getValue();
            if (compareIds(lowest, minId) < 0) {
                minId = lowest;
            }
        }
        c.sync().xtrim(streamKey, XTrimArgs.Builder.minId(minId).approximateTrimming());
    }

    static int compareIds(String a, String b) {
        int da = a.indexOf('-');
        int db = b.indexOf('-');
        int c = Long.compareUnsigned(Long.parseLong(a.substring(0, da)), Long.parseLong(b.substring(0, db)));
        return c != 0 ? c : Long.compare(Long.parseLong(a.substring(da + 1)), Long.parseLong(b.substring(db + 1)));
    }

    /**
     * Publishes the entries (concurrently) and acknowledges each one that was published or is invalid; waits for
     * all of them. Returns false when any publish failed (it stays pending and is retried later).
     */
    private boolean process(List<StreamMessage<String, byte[]>> entries) {
        List<CompletableFuture<Outcome>> outcomes = new ArrayList<>(entries.size());
        for (StreamMessage<String, byte[]> entry : entries) {
            outcomes.add(processEntry(entry));
        }
        boolean ok = true;
        long deadline = System.nanoTime() + PUBLISH_WAIT.toNanos();
        for (CompletableFuture<Outcome> outcome : outcomes) {
            try {
                long left = Math.max(1, deadline - System.nanoTime());
                ok &= outcome.get(left, TimeUnit.NANOSECONDS) != Outcome.FAILED;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (ExecutionException | TimeoutException e) {
                ok = false;
            }
        }
        return ok;
    }

    private CompletableFuture<Outcome> processEntry(StreamMessage<String, byte[]> entry) {
        String source = streamKey + " " + entry.getId();
        Map<String, byte[]> body = entry.getBody();
        byte[] payload = body == null ? null : body.get("payload");
        if (payload == null) {
            rejected(source, body == null ? "entry was deleted" : "no 'payload' field");
            return ack(entry.getId()).thenApply(v -> Outcome.INVALID);
        }
        Parsed parsed;
        try {
            parsed = parse(payload);
        } catch (InvalidMessage e) {
            rejected(source, e.getMessage());
            return ack(entry.getId()).thenApply(v -> Outcome.INVALID);
        }
        if (!parsed.event.hasNonNull("eventId")) {
            parsed.event.put("eventId", "ING-" + entry.getId());
        }
        return publish(parsed, source).thenCompose(outcome -> switch (outcome) {
            case PUBLISHED, INVALID -> ack(entry.getId()).thenApply(v -> outcome);
            case FAILED -> CompletableFuture.completedFuture(outcome);
        });
    }

    private CompletableFuture<Void> ack(String id) {
        StatefulRedisConnection<String, byte[]> c = commands;
        if (c == null) {
            return CompletableFuture.completedFuture(null);
        }
        return c.async().xack(streamKey, group, id).toCompletableFuture().handle((n, error) -> {
            if (error != null) {
                // Stays pending: claimed again later, and the engine's eventId dedupe makes the retry harmless.
                failureLog.warn("redis ingress: XACK of {} failed: {}", id, RedisSupport.reason(error));
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- publishing and parsing

    private enum Outcome { PUBLISHED, INVALID, FAILED }

    /** Publishes and counts; never completes exceptionally. */
    private CompletableFuture<Outcome> publish(Parsed p, String source) {
        CompletableFuture<?> future;
        try {
            future = target.publish(p.channel, p.event, p.ack, p.critical);
        } catch (ProtocolException e) {
            rejected(source, e.getMessage());
            return CompletableFuture.completedFuture(Outcome.INVALID);
        } catch (Exception e) {
            failed(source, e);
            return CompletableFuture.completedFuture(Outcome.FAILED);
        }
        return future.handle((v, error) -> {
            if (error == null) {
                published.increment();
                return Outcome.PUBLISHED;
            }
            Throwable cause = RedisSupport.unwrap(error);
            if (cause instanceof ProtocolException) {
                rejected(source, cause.getMessage());
                return Outcome.INVALID;
            }
            failed(source, cause);
            return Outcome.FAILED;
        });
    }

    private void rejected(String source, String reason) {
        invalid.increment();
        invalidLog.warn("redis ingress: invalid message from {}: {}", source, reason);
    }

    private void failed(String source, Throwable error) {
        failures.increment();
        failureLog.warn("redis ingress: publish from {} failed: {}", source, String.valueOf(error.getMessage()));
    }

    record Parsed(String channel, ObjectNode event, Boolean ack, boolean critical) {}

    static final class InvalidMessage extends Exception {
        InvalidMessage(String message) {
            super(message, null, false, false);
        }
    }

    /** Validates like the REST publish body. */
    static Parsed parse(byte[] payload) throws InvalidMessage {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(payload);
        } catch (IOException e) {
            throw new InvalidMessage("malformed JSON");
        }
        if (root == null || !root.isObject()) {
            throw new InvalidMessage("not a JSON object");
        }
        JsonNode channelNode = root.get("channel");
        JsonNode userNode = root.get("user");
        String channel;
        if (channelNode != null && userNode != null) {
            throw new InvalidMessage("give either 'channel' or 'user', not both");
        } else if (channelNode != null) {
            if (!channelNode.isTextual()) {
                throw new InvalidMessage("'channel' must be a string");
            }
            channel = channelNode.textValue();
        } else if (userNode != null) {
            if (!userNode.isTextual() && !userNode.isIntegralNumber() || userNode.asText().isEmpty()) {
                throw new InvalidMessage("'user' must be a non-empty string");
            }
            channel = ChannelNames.userChannel(userNode.asText());
        } else {
            throw new InvalidMessage("'channel' (or 'user') is required");
        }
        String problem = ChannelNames.problem(channel);
        if (problem != null) {
            throw new InvalidMessage("channel: " + problem);
        }
        ObjectNode event;
        try {
            event = ClientMessageDecoder.requireEvent(root.get("event"), "event");
        } catch (ProtocolException e) {
            throw new InvalidMessage(e.getMessage());
        }
        JsonNode ack = root.get("ack");
        if (ack != null && !ack.isNull() && !ack.isBoolean()) {
            throw new InvalidMessage("'ack' must be a boolean");
        }
        JsonNode critical = root.get("critical");
        if (critical != null && !critical.isNull() && !critical.isBoolean()) {
            throw new InvalidMessage("'critical' must be a boolean");
        }
        return new Parsed(channel, event, ack == null || ack.isNull() ? null : ack.booleanValue(),
                critical != null && critical.booleanValue());
    }

    // ---------------------------------------------------------------- lifecycle and stats

    private void pause() {
        try {
            closing.await(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            if (closing.getCount() == 0) {
                return;
            }
            running = false;
            closing.countDown();
            t = thread;
        }
        claimer.shutdownNow();
        if (t != null) {
            try {
                t.join(settings.block().plus(settings.commandTimeout()).plusSeconds(1).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (var c : new io.lettuce.core.api.StatefulConnection<?, ?>[] {pubsub, reader, commands}) {
            if (c != null) {
                try {
                    c.close();
                } catch (RuntimeException e) {
                    // best effort
                }
            }
        }
        RedisSupport.shutdown(client);
    }

    /** Events this node published from either path. */
    public long published() {
        return published.sum();
    }

    /** Pub/sub messages this node skipped because another node (or an identical message within 60 s) claimed them. */
    public long duplicates() {
        return duplicates.sum();
    }

    /** Invalid messages and entries (entries are acknowledged and dropped). */
    public long invalid() {
        return invalid.sum();
    }

    /** Publishes that failed (durable entries stay pending and are retried; pub/sub messages are lost). */
    public long failures() {
        return failures.sum();
    }

    public String publishChannel() {
        return publishChannel;
    }

    public String streamKey() {
        return streamKey;
    }

    public String group() {
        return group;
    }
}
