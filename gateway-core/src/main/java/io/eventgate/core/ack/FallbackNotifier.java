package io.eventgate.core.ack;

import io.eventgate.core.engine.Event;

/**
 * Receives critical events that could not be delivered: the user had no live connection at publish time, or the
 * event expired unacknowledged. The server's implementation POSTs them to GATEWAY_FALLBACK_WEBHOOK_URL.
 * Must not block.
 */
public interface FallbackNotifier {
    FallbackNotifier NONE = (userId, event, reason) -> {};

    void notify(String userId, Event event, Reason reason);

    /** Why the event went to the fallback. */
    enum Reason { NO_CONNECTION, NOT_ACKNOWLEDGED }
}
