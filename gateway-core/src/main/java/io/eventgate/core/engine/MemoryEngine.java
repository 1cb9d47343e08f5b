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
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The single-node engine: per-channel sequence, epoch and bounded history in this process.
 *
 * <p>Each channel's publish runs under that channel's lock: sequencing, history append and the hand-off to the
 * listener happen in one critical section, so the listener sees every channel's events in seq order even with
 * concurrent publishers. The hand-off only enqueues; it never writes to sockets.
 *
 * <p>History is bounded per channel (size and TTL of its namespace) and across all channels by a byte budget: every
 * held event is {@linkplain Event#compact() compact} and counted as {@link Event#compactBytes()}; when the sum
 * exceeds the budget, the oldest held events of any channel are dropped first (one global queue in publish order).
 * A channel whose oldest events were dropped that way reports a later first available seq, so a recovery from
 * before it is answered {@code complete:false} / {@code recovered:false}, exactly as after a TTL expiry.
 *
 * <p>Every stream's epoch is random per process, so positions from before a restart are never trusted.
 * Streams with no event in history and no publish for longer than their namespace's history TTL (or one minute
 * when history is disabled) are dropped by {@link #sweep()}; a later publish starts a new epoch.
 */
public final class MemoryEngine implements Engine {
    private static final long IDLE_STREAM_MILLIS_WITHOUT_HISTORY = 60_000;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The history of every stream that never held an event; never modified. */
    private static final ArrayDeque<Held> NO_HISTORY = new ArrayDeque<>(1);
    /** Default byte budget of all channels' history together. */
    public static final long DEFAULT_HISTORY_MEMORY_LIMIT = 256L * 1024 * 1024;
    /** Bytes counted for a queue slot whose event was already dropped from its channel (until it leaves the queue). */
    static final int DROPPED_SLOT_BYTES = 32;

    private final Namespaces namespaces;
    private final LongSupplier clock;
    private final ConcurrentHashMap<String, Stream> streams = new ConcurrentHashMap<>();
    private volatile EngineListener listener = event -> {};
    private final java.util.Set<String> interested = ConcurrentHashMap.newKeySet();
    private final long historyMemoryLimit;
    /** Every held event in publish order, across channels; guarded by itself. */
    private final ArrayDeque<Held> heldInOrder = new ArrayDeque<>();
    /** Bytes of held events plus {@link #DROPPED_SLOT_BYTES} per dropped slot still queued. */
    private final AtomicLong heldBytes = new AtomicLong();
    private final LongAdder budgetDrops = new LongAdder();

    /**
     * @param historyMemoryLimit most bytes of history held across all channels (see the class comment)
     */
    public MemoryEngine(Namespaces namespaces, LongSupplier clockMillis, long historyMemoryLimit) {
        if (historyMemoryLimit <= 0) {
            throw new IllegalArgumentException("historyMemoryLimit must be positive, got " + historyMemoryLimit);
        }
        this.namespaces = namespaces;
        this.clock = clockMillis;
        this.historyMemoryLimit = historyMemoryLimit;
    }

    public MemoryEngine(Namespaces namespaces, LongSupplier clockMillis) {
        this(namespaces, clockMillis, DEFAULT_HISTORY_MEMORY_LIMIT);
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
            Event event;
            synchronized (stream) {
                if (stream.removed) {
                    continue;
                }
                long now = clock.getAsLong();
                long seq = ++stream.seq;
                String eventId = EventEncoder.stamp(node, channel, seq, now);
                event = new Event(channel, seq, stream.epoch, eventId, node.get("type").textValue(), node,
                        EventEncoder.encode(node), ack, options.critical(), now);
                stream.lastPublishMillis = now;
                stream.append(event, settings, now);
                listener.onEvent(event);
            }
            enforceBudget();
            return CompletableFuture.completedFuture(event);
        }
    }

    /** Drops the oldest held events of any channel while the held bytes exceed the budget. */
    private void enforceBudget() {
        while (heldBytes.get() > historyMemoryLimit) {
            Held victim;
            synchronized (heldInOrder) {
                victim = heldInOrder.pollFirst();
                if (victim == null) {
                    return;
                }
                heldBytes.addAndGet(-DROPPED_SLOT_BYTES);
            }
            // Stream lock after the queue lock is released: publish takes them in the other order.
            Stream stream = victim.stream;
            synchronized (stream) {
                if (victim.event != null) {
                    stream.dropFromBudget(victim);
                }
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
            long firstAvailable = stream.ring.isEmpty() ? stream.seq + 1 : stream.ring.peekFirst().event.seq();
            boolean complete = afterSeq >= firstAvailable - 1 && afterSeq <= stream.seq;
            List<Event> events = new ArrayList<>(Math.min(limit, stream.ring.size()));
            if (afterSeq < stream.seq) {
                for (Held held : stream.ring) {
                    Event e = held.event;
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

    /** Bytes of history held across channels, as counted against the budget (for stats and tests). */
    public long historyBytes() {
        return heldBytes.get();
    }

    /** Events dropped from history because the byte budget was exceeded (for stats and tests). */
    public long historyBudgetDrops() {
        return budgetDrops.sum();
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
        synchronized (heldInOrder) {
            heldInOrder.clear();
            heldBytes.set(0);
        }
    }

    static String newEpoch() {
        long bits = RANDOM.nextLong();
        return Long.toString(bits >>> 1, 36);
    }

    /** One held event: in its stream's ring and in the global queue; {@code event} is null once dropped. */
    private static final class Held {
        final Stream stream;
        /** Written under the stream's lock; read without it only to pass dropped slots (null is final). */
        volatile Event event;

        Held(Stream stream, Event event) {
            this.stream = stream;
            this.event = event;
        }
    }

    private final class Stream {
        final String epoch;
        // Most user streams are created by a position read and stay empty: they share one never-modified empty
        // deque until their first held event.
        ArrayDeque<Held> ring = NO_HISTORY;
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
            Event compact = event.compact();
            Held held = new Held(this, compact);
            if (ring == NO_HISTORY) {
                ring = new ArrayDeque<>(4);
            }
            ring.addLast(held);
            synchronized (heldInOrder) {
                // Slots at the head whose events left their rings (size, TTL) are passed here, so that only
                // slots behind a still held event wait in the queue.
                Held head;
                while ((head = heldInOrder.peekFirst()) != null && head.event == null) {
                    heldInOrder.pollFirst();
                    heldBytes.addAndGet(-DROPPED_SLOT_BYTES);
                }
                heldInOrder.addLast(held);
                heldBytes.addAndGet(compact.compactBytes() + DROPPED_SLOT_BYTES);
            }
            while (ring.size() > settings.historySize()) {
                release(ring.pollFirst());
            }
            expire(settings, now);
        }

        void expire(NamespaceSettings settings, long now) {
            if (ring == NO_HISTORY) {
                return;
            }
            if (!settings.historyEnabled()) {
                while (!ring.isEmpty()) {
                    release(ring.pollFirst());
                }
                return;
            }
            long oldest = now - settings.historyTtl().toMillis();
            while (!ring.isEmpty() && ring.peekFirst().event.publishedAtMillis() < oldest) {
                release(ring.pollFirst());
            }
        }

        /** The budget's victim leaves this ring (it is this ring's oldest: the global queue is in publish order). */
        void dropFromBudget(Held victim) {
            if (ring.peekFirst() == victim) {
                ring.pollFirst();
            } else {
                ring.remove(victim);
            }
            release(victim);
            budgetDrops.increment();
        }

        /** Frees a held event's bytes; its slot in the global queue stays counted until the queue passes it. */
        private void release(Held held) {
            Event event = held.event;
            if (event != null) {
                held.event = null;
                heldBytes.addAndGet(-event.compactBytes());
            }
        }
    }
}
