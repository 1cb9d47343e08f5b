package io.eventgate.core.hub;

import io.eventgate.core.engine.Event;
import io.eventgate.protocol.CloseCode;

/**
 * The seam between core and a network transport (WebSocket today). Core never touches a socket except through it.
 * Methods other than {@link #close} and {@link #lane} must be called on the connection's lane thread.
 */
public interface Transport {

    /** The lane this connection lives on. */
    Lane lane();

    /** Writes and flushes a control message (UTF-8 JSON). */
    void sendControl(byte[] json);

    /** Writes one event without flushing; {@link #flush()} follows. */
    void writeEvent(Event event);

    void flush();

    /** Closes with a catalogue code; thread-safe and idempotent. {@code detail} may add to the code's reason. */
    void close(CloseCode code, String detail);

    /** False once the connection is closing or closed: nothing more will be written. */
    boolean isOpen();

    String remoteAddress();

    String userAgent();
}
