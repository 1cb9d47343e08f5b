package io.eventgate.loadtest;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * What the harness talks to. {@link #EVENTGATE} speaks the gateway's public protocol; {@link #WS} and
 * {@link #SOCKETIO} speak the minimal peer contract of {@code loadtest/peers} (WebSocket {@code /ws?user=<id>}, or
 * Engine.IO v4 over WebSocket for Socket.IO; {@code POST /publish} and {@code POST /broadcast}).
 */
public enum Target {
    EVENTGATE("eventgate"),
    WS("ws"),
    SOCKETIO("socketio");

    private final String id;

    Target(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Target parse(String s) {
        for (Target t : values()) {
            if (t.id.equalsIgnoreCase(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException("--target: expected eventgate, ws or socketio, got \"" + s + "\"");
    }

    /** The WebSocket URI a client of {@code user} opens on the server at {@code baseHttpUrl}. */
    public URI wsUri(String baseHttpUrl, String user) {
        String base = baseHttpUrl.endsWith("/") ? baseHttpUrl.substring(0, baseHttpUrl.length() - 1) : baseHttpUrl;
        base = base.replaceFirst("^http", "ws");
        String u = URLEncoder.encode(user, StandardCharsets.UTF_8);
        return URI.create(switch (this) {
            case EVENTGATE -> base + "/api/v1/ws";
            case WS -> base + "/ws?user=" + u;
            case SOCKETIO -> base + "/socket.io/?EIO=4&transport=websocket&user=" + u;
        });
    }

    /**
     * The SSE endpoint of the eventgate server at {@code baseHttpUrl} (the stream is a GET of it, client messages
     * are POSTs to it plus {@code /<connectionId>}); the peers have none.
     */
    public URI sseUri(String baseHttpUrl) {
        if (this != EVENTGATE) {
            throw new IllegalStateException(id + " has no SSE endpoint");
        }
        String base = baseHttpUrl.endsWith("/") ? baseHttpUrl.substring(0, baseHttpUrl.length() - 1) : baseHttpUrl;
        return URI.create(base + "/api/v1/sse");
    }

    /** GET path that answers 200 once the server is ready. */
    public String readinessPath() {
        return this == EVENTGATE ? "/health/ready" : "/health";
    }

    /** Whether the target needs a JWT on the upgrade and an API key on publishes. */
    public boolean authenticated() {
        return this == EVENTGATE;
    }
}
