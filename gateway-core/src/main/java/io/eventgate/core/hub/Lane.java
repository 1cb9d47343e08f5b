package io.eventgate.core.hub;

import io.eventgate.core.engine.Event;

/**
 * A delivery lane: one per I/O thread (event loop). Every {@link Connection} belongs to exactly one lane, and all
 * of a connection's state is touched only on its lane's thread.
 *
 * <p>Fan-out submits one batch per lane per event ({@link #enqueue}); the lane filters, encodes the frame once for
 * all its recipients and flushes each connection once per drained batch (write coalescing).
 */
public interface Lane {

    /**
     * Thread-safe. Queues {@code event} for the given subscribers (an immutable snapshot: the lane must not modify it).
     * Returns false when the lane's queue is full; the event was not queued.
     */
    boolean enqueue(Event event, Subscription[] subscribers);

    /** Runs a task on the lane's thread. */
    void execute(Runnable task);

    /** Whether the caller runs on this lane's thread. */
    boolean inLane();
}
