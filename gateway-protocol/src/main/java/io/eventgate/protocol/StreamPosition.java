package io.eventgate.protocol;

/**
 * A position in a channel's stream: the last {@code seq} seen and the stream's {@code epoch}.
 * A position whose epoch differs from the stream's current epoch is never trusted.
 */
public record StreamPosition(long seq, String epoch) {
    public StreamPosition {
        if (seq < 0) {
            throw new IllegalArgumentException("seq must be >= 0");
        }
        if (epoch == null) {
            throw new IllegalArgumentException("epoch must be set");
        }
    }
}
