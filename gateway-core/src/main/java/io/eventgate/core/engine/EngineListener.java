package io.eventgate.core.engine;

/** Receives every sequenced event of channels with local interest, in seq order per channel. */
@FunctionalInterface
public interface EngineListener {
    /** Called on the engine's thread; must not block (it enqueues to delivery lanes). */
    void onEvent(Event event);
}
