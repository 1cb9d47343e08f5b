package io.eventgate.loadtest;

/**
 * How an eventgate client carries the protocol: one WebSocket, or a Server-Sent Events stream for the server's
 * messages plus HTTP POSTs for its own (PROTOCOL.md section 15). The peers of {@link Target#WS} and
 * {@link Target#SOCKETIO} have no SSE endpoint, so {@link #SSE} is for {@link Target#EVENTGATE} only.
 */
public enum Transport {
    WS("ws"),
    SSE("sse");

    private final String id;

    Transport(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    /** {@code null} is {@link #WS}: fleet specs written before the option existed. */
    public static Transport parse(String s) {
        if (s == null) {
            return WS;
        }
        for (Transport t : values()) {
            if (t.id.equalsIgnoreCase(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException("--transport: expected ws or sse, got \"" + s + "\"");
    }

    /** Refuses a combination the target cannot serve, with the option error the harness prints. */
    public static Transport parse(String s, Target target) {
        Transport t = parse(s);
        if (t == SSE && target != Target.EVENTGATE) {
            throw new IllegalArgumentException("--transport sse needs --target eventgate: the " + target.id()
                    + " peer speaks WebSocket only");
        }
        return t;
    }
}
