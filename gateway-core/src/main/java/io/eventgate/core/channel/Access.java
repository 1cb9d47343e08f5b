package io.eventgate.core.channel;

/** Who may subscribe to the channels of a namespace. */
public enum Access {
    /** Any authenticated user. */
    PUBLIC,
    /** Only tokens whose {@code channels} claim lists the channel or a prefix pattern ending in {@code *}. */
    PRIVATE,
    /** Only the user whose id is the channel name ({@code user:{sub}}), or a token that grants the channel. */
    OWNER
}
