package io.eventgate.core.ack;

import io.eventgate.core.engine.Event;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Unacknowledged events of owner channels ({@code user:{sub}}), kept per user until a connection of that user acks
 * them or they expire after {@code GATEWAY_PENDING_TTL}. A resuming session of the user gets every one of them again.
 *
 * <p>{@link #append} completes once the event is durable (committed, for a database store), or is held in the
 * store's bounded retry buffer while the database is unreachable; it completes exceptionally with
 * {@link io.eventgate.core.engine.EngineUnavailableException} when that buffer is full, and the publish is then
 * answered 503.
 */
public interface PendingStore extends AutoCloseable {

    CompletableFuture<Void> append(String userId, Event event);

    /** Marks events acknowledged (idempotent; unknown ids are ignored). */
    void acked(String userId, List<String> eventIds, long atMillis);

    /** The user's unacked, unexpired events, ordered by channel then seq. */
    CompletableFuture<List<Event>> pending(String userId, long nowMillis);

    /** Removes expired entries and returns only the critical ones among them (for the fallback webhook). */
    List<Expired> expire(long nowMillis);

    /** False when an append would be refused now (its bounded buffer is full): publish fails before sequencing. */
    default boolean accepting() {
        return true;
    }

    default boolean healthy() {
        return true;
    }

    default String describe() {
        return "memory";
    }

    @Override
    default void close() {}

    /** An event that expired unacknowledged. */
    record Expired(String userId, Event event) {}
}
