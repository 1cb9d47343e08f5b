package io.eventgate.core.ack;

import io.eventgate.core.engine.Event;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Pending events in this process. Bounded per user ({@code maxPerUser}; the oldest entry is evicted and counted
 * when a new one arrives at the cap) and by time ({@code ttlMillis}).
 */
public final class MemoryPendingStore implements PendingStore {
    private final ConcurrentHashMap<String, LinkedHashMap<String, Entry>> users = new ConcurrentHashMap<>();
    private final long ttlMillis;
    private final int maxPerUser;
    private final LongAdder evicted = new LongAdder();
    private final LongAdder expiredCount = new LongAdder();

    public MemoryPendingStore(long ttlMillis, int maxPerUser) {
        this.ttlMillis = ttlMillis;
        this.maxPerUser = maxPerUser;
    }

    private record Entry(Event event, long expiresAtMillis) {}

    @Override
    public CompletableFuture<Void> append(String userId, Event event) {
        users.compute(userId, (u, map) -> {
            LinkedHashMap<String, Entry> m = map != null ? map : new LinkedHashMap<>();
            m.putIfAbsent(event.eventId(), new Entry(event.compact(), event.publishedAtMillis() + ttlMillis));
            while (m.size() > maxPerUser) {
                Iterator<String> it = m.keySet().iterator();
                it.next();
                it.remove();
                evicted.increment();
            }
            return m;
        });
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void acked(String userId, List<String> eventIds, long atMillis) {
        users.computeIfPresent(userId, (u, map) -> {
            for (String id : eventIds) {
                map.remove(id);
            }
            return map.isEmpty() ? null : map;
        });
    }

    @Override
    public CompletableFuture<List<Event>> pending(String userId, long nowMillis) {
        List<Event> events = new ArrayList<>();
        users.computeIfPresent(userId, (u, map) -> {
            for (Entry e : map.values()) {
                if (e.expiresAtMillis > nowMillis) {
                    events.add(e.event);
                }
            }
            return map;
        });
        events.sort(Comparator.comparing(Event::channel).thenComparingLong(Event::seq));
        return CompletableFuture.completedFuture(events);
    }

    @Override
    public List<Expired> expire(long nowMillis) {
        List<Expired> expired = new ArrayList<>();
        for (String userId : users.keySet()) {
            users.computeIfPresent(userId, (u, map) -> {
                for (Iterator<Map.Entry<String, Entry>> it = map.entrySet().iterator(); it.hasNext(); ) {
                    Entry e = it.next().getValue();
                    if (e.expiresAtMillis <= nowMillis) {
                        it.remove();
                        expiredCount.increment();
                        if (e.event.critical()) {
                            expired.add(new Expired(u, e.event));
                        }
                    }
                }
                return map.isEmpty() ? null : map;
            });
        }
        return expired;
    }

    /** Entries that expired unacknowledged. */
    public long expired() {
        return expiredCount.sum();
    }

    /** Entries evicted at the per-user cap. */
    public long evicted() {
        return evicted.sum();
    }

    public int userCount() {
        return users.size();
    }
}
