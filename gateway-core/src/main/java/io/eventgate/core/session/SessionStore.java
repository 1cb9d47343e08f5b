package io.eventgate.core.session;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Keeps sessions for resume, and the connection lifecycle where a durable store is configured.
 * Implementations never block the caller: writes are queued and batched; reads complete asynchronously.
 */
public interface SessionStore extends AutoCloseable {

    /** Saves (replaces) a session's snapshot: on subscription change and at disconnect. */
    void save(SessionSnapshot snapshot);

    /** Loads a session for resume; empty when unknown or expired. */
    CompletableFuture<Optional<SessionSnapshot>> load(String sessionId);

    /** Connection lifecycle record (durable stores keep them; the memory store ignores them). */
    default void connected(ConnectionInfo info) {}

    default void disconnected(String connectionId, long atMillis, int closeCode) {}

    /** Batched activity update; called at most once per sweep per connection. */
    default void active(String connectionId, long atMillis) {}

    /** Whether the store can currently write (readiness). */
    default boolean healthy() {
        return true;
    }

    default String describe() {
        return "memory";
    }

    @Override
    default void close() {}

    /** Connection lifecycle data. */
    record ConnectionInfo(String connectionId, String sessionId, String userId, String nodeId, String remoteAddress,
                          String userAgent, long connectedAtMillis) {}
}
