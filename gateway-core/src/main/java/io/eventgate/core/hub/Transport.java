package io.eventgate.core.hub;

import io.eventgate.core.engine.Event;
import io.eventgate.protocol.CloseCode;

/**
 * The seam between core and a network transport (a WebSocket, or a Server-Sent Events stream). Core never touches a socket except through it.
 * Methods other than {@link #close} and {@link #lane} must be called on the connection's lane thread.
 */
public interface Transport {

    /** The lane this connection lives on. */
    Lane lane();

    /** Writes and flushes a control message (UTF-8 JSON). */
    void sendControl(byte[] json);

    /**
     * Writes and flushes the {@code connected} message, the first of every connection. A transport that can carry
     * the session id beside the message (the SSE {@code id:} field, which EventSource echoes when it reconnects) does.
     */
    default void sendConnected(String sessionId, byte[] json) {
        sendControl(json);
    }

    /**
     * Whether the client can send on this connection, so that silence means it is gone (the idle timeout, close
     * 4100). False for a Server-Sent Events stream, whose client messages arrive as separate HTTP requests.
     */
    default boolean idleTimeoutApplies() {
        return true;
    }

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
