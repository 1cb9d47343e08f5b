package io.eventgate.core.ack;

import io.eventgate.core.engine.Event;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Per-connection bookkeeping of events awaiting an ACK: when each was sent, how often. Lane thread only.
 *
 * <p>An entry not acknowledged within {@code ackTimeoutMillis} of its last send is due for redelivery (same
 * eventId, {@code "redelivered":true}), at most {@code maxRedeliveries} times; entries older than
 * {@code pendingTtlMillis} are dropped (until then an ACK still counts) (the {@link PendingStore} keeps the user-level record).
 */
public final class AckTracker {
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();

    /** One tracked event. */
    public static final class Entry {
        final Event event;
        final long firstSentMillis;
        long lastSentMillis;
        int redeliveries;

        Entry(Event event, long now) {
            this.event = event;
            this.firstSentMillis = now;
            this.lastSentMillis = now;
        }

        public Event event() {
            return event;
        }
    }

    /** Starts tracking; returns false if already tracked. */
    public boolean track(Event event, long nowMillis) {
        if (entries.containsKey(event.eventId())) {
            return false;
        }
        entries.put(event.eventId(), new Entry(event, nowMillis));
        return true;
    }

    /** Returns the acknowledged event, or null if the id was not pending here. */
    public Event ack(String eventId) {
        Entry e = entries.remove(eventId);
        return e == null ? null : e.event;
    }

    public boolean isTracked(String eventId) {
        return entries.containsKey(eventId);
    }

    public int size() {
        return entries.size();
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /**
     * Collects events due for redelivery (and marks them re-sent now); drops entries past the TTL or out of
     * redeliveries. Returns the number dropped through {@code droppedOut}.
     */
    public List<Event> due(long nowMillis, long ackTimeoutMillis, int maxRedeliveries, long pendingTtlMillis,
                           int[] droppedOut) {
        List<Event> due = null;
        int dropped = 0;
        for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
            Entry e = it.next();
            if (nowMillis - e.firstSentMillis >= pendingTtlMillis) {
                it.remove();
                dropped++;
                continue;
            }
            if (nowMillis - e.lastSentMillis >= ackTimeoutMillis) {
                if (e.redeliveries >= maxRedeliveries) {
                    continue; // no more redeliveries, but an ACK is still accepted until the TTL
                }
                e.redeliveries++;
                e.lastSentMillis = nowMillis;
                if (due == null) {
                    due = new ArrayList<>();
                }
                due.add(e.event);
            }
        }
        droppedOut[0] = dropped;
        return due == null ? List.of() : due;
    }

    /** Every tracked event, oldest first. */
    public List<Event> events() {
        List<Event> list = new ArrayList<>(entries.size());
        for (Entry e : entries.values()) {
            list.add(e.event);
        }
        return list;
    }
}
