package io.eventgate.core.engine;

/** Receives every sequenced event of channels with local interest, in seq order per channel. */
@FunctionalInterface
public interface EngineListener {
    /** Called on the engine's thread; must not block (it enqueues to delivery lanes). */
    void onEvent(Event event);

    /**
     * The engine may have missed events of {@code channel} (e.g. its subscription to a distributed engine was
     * interrupted): local subscribers must resume to recover them. Called from the engine's thread.
     */
    default void onStreamGap(String channel) {}
}
