package io.eventgate.server.config;

/** Who may subscribe to the channels of a namespace ({@code GATEWAY_NAMESPACE_<NAME>_VISIBILITY}). */
public enum Visibility {
    /** Any connection, authenticated or not. */
    PUBLIC,
    /** Only connections whose token grants the channel. */
    PRIVATE,
    /** Only the user the channel is named after ({@code user:<sub>}). */
    OWNER
}
