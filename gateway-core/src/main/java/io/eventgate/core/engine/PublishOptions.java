package io.eventgate.core.engine;

/**
 * Per-publish options.
 *
 * @param ack true/false overrides the namespace's ACK default; null keeps it
 * @param critical send to the fallback webhook when not acknowledged in time or when the user has no connection
 */
public record PublishOptions(Boolean ack, boolean critical) {
    public static final PublishOptions DEFAULT = new PublishOptions(null, false);
}
