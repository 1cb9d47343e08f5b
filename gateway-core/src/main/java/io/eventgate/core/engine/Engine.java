package io.eventgate.core.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.protocol.StreamPosition;
import java.util.concurrent.CompletableFuture;

/**
 * The engine SPI: sequences events per channel, keeps history, and hands every event of a channel with local
 * interest to the listener, in seq order. The in-memory engine serves one node; a distributed engine (Redis)
 * does the same across nodes.
 *
 * <p>A publish completes successfully only after the event is sequenced and stored in history (where history is
 * enabled); otherwise it completes exceptionally with {@link EngineUnavailableException}. Never a silent loss.
 */
public interface Engine extends AutoCloseable {

    /** Starts the engine; {@code listener} receives sequenced events. */
    void start(EngineListener listener);

    /**
     * Sequences, stamps, stores and distributes an event. The given node is stamped in place and must not be used
     * by the caller afterwards.
     */
    CompletableFuture<Event> publish(String channel, ObjectNode event, PublishOptions options);

    /** Up to {@code limit} events with {@code seq > afterSeq}. */
    CompletableFuture<HistoryPage> history(String channel, long afterSeq, int limit);

    /** The channel's current position (last seq and epoch). */
    CompletableFuture<StreamPosition> position(String channel);

    /** This node gained its first ({@code true}) or lost its last ({@code false}) subscriber of a channel. */
    void interest(String channel, boolean interested);

    /** Whether the engine can currently sequence events (readiness). */
    boolean healthy();

    /** A short description for health output, e.g. {@code "memory"} or {@code "redis: connection refused"}. */
    String describe();

    @Override
    void close();
}
