package io.eventgate.core.engine;

/** The engine could not sequence or store an event; the publisher must get an error (HTTP 503), never a 200. */
public final class EngineUnavailableException extends RuntimeException {
    public EngineUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public EngineUnavailableException(String message) {
        super(message);
    }
}
