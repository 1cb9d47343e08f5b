package io.eventgate.protocol;

/**
 * The catalogue of WebSocket close codes the gateway sends.
 *
 * <p>Ranges tell a client what to do (after Pusher's 4000/4100/4200 ranges):
 * <ul>
 *   <li>1000-1015: RFC 6455 codes; 1001 (going away) means reconnect, to any node.</li>
 *   <li>4000-4099: terminal, do not reconnect automatically (kicked, forbidden).</li>
 *   <li>4100-4199: reconnect with backoff (stale, slow consumer, rate limit).</li>
 *   <li>4200-4299: reconnect now and resume (the server lost the connection's state).</li>
 * </ul>
 */
public enum CloseCode {
    NORMAL(1000, "normal closure"),
    /** Server shutdown or restart: reconnect (any node) and resume. */
    GOING_AWAY(1001, "server shutting down, reconnect"),
    /** An inbound frame exceeded GATEWAY_MAX_FRAME_SIZE. */
    MESSAGE_TOO_BIG(1009, "message too big"),
    INTERNAL_ERROR(1011, "internal error"),
    /** The application disconnected the user (logout, ban): do not reconnect. */
    DISCONNECTED(4000, "disconnected by the application"),
    /** The connection's token expired ({@code exp}): reconnect only with a fresh token. */
    TOKEN_EXPIRED(4001, "token expired"),
    /** No inbound frame for GATEWAY_IDLE_TIMEOUT: reconnect with backoff. */
    STALE(4100, "no activity within the idle timeout"),
    /** The connection could not keep up with its events (write queue or unacked events over the cap). */
    SLOW_CONSUMER(4101, "slow consumer"),
    /** Sustained message rate over the limit (GATEWAY_RATE_LIMIT_CLOSE_AFTER refusals in a row). */
    POLICY_VIOLATION(4102, "rate limit exceeded repeatedly"),
    /** The server could not guarantee the stream (e.g. backend outage): reconnect now and resume. */
    INSUFFICIENT_STATE(4200, "stream state lost, reconnect and resume");

    private final int code;
    private final String reason;

    CloseCode(int code, String reason) {
        this.code = code;
        this.reason = reason;
    }

    public int code() {
        return code;
    }

    public String reason() {
        return reason;
    }

    /** Whether a client should reconnect automatically after this close. */
    public boolean reconnect() {
        return code < 4000 ? code != NORMAL.code : code >= 4100;
    }
}
