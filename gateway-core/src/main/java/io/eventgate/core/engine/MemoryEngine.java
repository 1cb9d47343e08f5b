package io.eventgate.core.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.core.channel.NamespaceSettings;
import io.eventgate.core.channel.Namespaces;
import io.eventgate.protocol.EventEncoder;
import io.eventgate.protocol.StreamPosition;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The single-node engine: per-channel sequence, epoch and bounded history in this process.
 *
 * <p>Each channel's publish runs under that channel's lock: sequencing, history append and the hand-off to the
 * listener happen in one critical section, so the listener sees every channel's events in seq order even with
 * concurrent publishers. The hand-off only enqueues; it never writes to sockets.
 *
 * <p>Every stream's epoch is random per process, so positions from before a restart are never trusted.
 * Streams with no event in history and no publish for longer than their namespace's history TTL (or one minute
 * when history is disabled) are dropped by {@link #sweep()}; a later publish starts a new epoch.
 */
public final class MemoryEngine implements Engine {
    private static final long IDLE_STREAM_MILLIS_WITHOUT_HISTORY = 60_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Namespaces namespaces;
    private final LongSupplier clock;
    private final ConcurrentHashMap<String, Stream> streams = new ConcurrentHashMap<>();
    private volatile EngineListener listener = event -> {};
    private final java.util.Set<String> interested = ConcurrentHashMap.newKeySet();

    public MemoryEngine(Namespaces namespaces, LongSupplier clockMillis) {
        this.namespaces = namespaces;
        this.clock = clockMillis;
    }

    public MemoryEngine(Namespaces namespaces) {
        this(namespaces, System::currentTimeMillis);
    }

    @Override
    public void start(EngineListener listener) {
        this.listener = listener;
    }

    @Override
    public CompletableFuture<Event> publish(String channel, ObjectNode node, PublishOptions options) {
        NamespaceSettings settings = namespaces.ofChannel(channel);
        boolean ack = options.ack() != null ? options.ack() : settings.ackRequired();
        while (true) {
            Stream stream = streams.computeIfAbsent(channel, c -> new Stream(newEpoch()));
            synchronized (stream) {
                if (stream.removed) {
                    continue;
                }
                long now = clock.getAsLong();
                long seq = ++stream.seq;
                String eventId = EventEncoder.stamp(node, channel, seq, now);
                Event event = new Event(channel, seq, stream.epoch, eventId, node.get("type").textValue(), node,
                        EventEncoder.encode(node), ack, options.critical(), now);
                stream.lastPublishMillis = now;
                stream.append(event, settings, now);
                listener.onEvent(event);
                return CompletableFuture.completedFuture(event);
            }
        }
    }

    @Override
    public CompletableFuture<HistoryPage> history(String channel, long afterSeq, int limit) {
        Stream stream = streams.get(channel);
        if (stream == null) {
            // Never published in this process's lifetime (or swept): an empty stream in a fresh epoch.
            stream = streams.computeIfAbsent(channel, c -> new Stream(newEpoch()));
        }
        synchronized (stream) {
            NamespaceSettings settings = namespaces.ofChannel(channel);
            long now = clock.getAsLong();
            stream.expire(settings, now);
            long firstAvailable = stream.ring.isEmpty() ? stream.seq + 1 : stream.ring.peekFirst().seq();
            boolean complete = afterSeq >= firstAvailable - 1 && afterSeq <= stream.seq;
            List<Event> events = new ArrayList<>(Math.min(limit, stream.ring.size()));
            if (afterSeq < stream.seq) {
                for (Event e : stream.ring) {
                    if (e.seq() > afterSeq) {
                        if (events.size() >= limit) {
                            break;
                        }
                        events.add(e);
                    }
                }
            }
            return CompletableFuture.completedFuture(
                    new HistoryPage(channel, stream.epoch, stream.seq, List.copyOf(events), complete));
        }
    }

    @Override
    public CompletableFuture<StreamPosition> position(String channel) {
        Stream stream = streams.computeIfAbsent(channel, c -> new Stream(newEpoch()));
        synchronized (stream) {
            return CompletableFuture.completedFuture(new StreamPosition(stream.seq, stream.epoch));
        }
    }

    @Override
    public void interest(String channel, boolean on) {
        // Every event reaches the listener on this node; interest only keeps a subscribed stream (and its epoch)
        // from being swept while idle.
        if (on) {
            interested.add(channel);
        } else {
            interested.remove(channel);
        }
    }

    /** Drops expired history and idle streams; called periodically by the gateway's housekeeping thread. */
    public void sweep() {
        long now = clock.getAsLong();
        for (Iterator<java.util.Map.Entry<String, Stream>> it = streams.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            Stream stream = entry.getValue();
            NamespaceSettings settings = namespaces.ofChannel(entry.getKey());
            synchronized (stream) {
                stream.expire(settings, now);
                long idleLimit = settings.historyEnabled() ? settings.historyTtl().toMillis()
                        : IDLE_STREAM_MILLIS_WITHOUT_HISTORY;
                if (stream.ring.isEmpty() && now - stream.lastPublishMillis > idleLimit
                        && !interested.contains(entry.getKey())) {
                    stream.removed = true;
                    it.remove();
                }
            }
        }
    }

    /** Number of streams held (for stats and tests). */
    public int streamCount() {
        return streams.size();
    }

    @Override
    public boolean healthy() {
        return true;
    }

    @Override
    public String describe() {
        return "memory";
    }

    @Override
    public void close() {
        streams.clear();
    }

    static String newEpoch() {
        long bits = RANDOM.nextLong();
        return Long.toString(bits >>> 1, 36);
    }

    private final class Stream {
        final String epoch;
        // Sized 1: most user streams are created by a position read and stay empty (a default deque is 17 slots).
        final ArrayDeque<Event> ring = new ArrayDeque<>(1);
        long seq;
        long lastPublishMillis = clock.getAsLong();
        boolean removed;

        Stream(String epoch) {
            this.epoch = epoch;
        }

        void append(Event event, NamespaceSettings settings, long now) {
            if (!settings.historyEnabled()) {
                return;
            }
            ring.addLast(event);
            while (ring.size() > settings.historySize()) {
                ring.pollFirst();
            }
            expire(settings, now);
        }

        void expire(NamespaceSettings settings, long now) {
            if (!settings.historyEnabled()) {
                ring.clear();
                return;
            }
            long oldest = now - settings.historyTtl().toMillis();
            while (!ring.isEmpty() && ring.peekFirst().publishedAtMillis() < oldest) {
                ring.pollFirst();
            }
        }
    }
}
