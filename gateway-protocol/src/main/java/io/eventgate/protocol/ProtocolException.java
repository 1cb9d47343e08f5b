package io.eventgate.protocol;

/** An input the gateway refuses, with its catalogue code; the message is safe to send to the client. */
public final class ProtocolException extends Exception {
    private final ErrorCode code;
    private final String ref;

    public ProtocolException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public ProtocolException(ErrorCode code, String message, String ref) {
        super(message, null, false, false);
        this.code = code;
        this.ref = ref;
    }

    public ErrorCode code() {
        return code;
    }

    /** The client's message id, echoed as {@code ref}, or null. */
    public String ref() {
        return ref;
    }

    public ProtocolException withRef(String newRef) {
        return new ProtocolException(code, getMessage(), newRef);
    }
}
