package io.eventgate.protocol;

/**
 * The catalogue of every error code the gateway sends, in error frames
 * ({@code {"type":"error","code":...}}) and in HTTP error bodies ({@code {"error":...}}).
 *
 * <p>Codes are stable identifiers: clients may switch on them. Messages are for humans and may change.
 * Each constant documents where it is used; docs/PROTOCOL.md lists the same table.
 */
public enum ErrorCode {
    /** HTTP 400 / frame: the input is not valid JSON. */
    MALFORMED_JSON(400, "the message is not valid JSON"),
    /** Frame: the message has no string {@code type}, or a type the server does not know. */
    UNKNOWN_TYPE(400, "unknown message type"),
    /** HTTP 400 / frame: a field is missing, has the wrong JSON type or an invalid value; the message names the field. */
    INVALID_FIELD(400, "invalid field"),
    /** HTTP 401: missing or invalid token (handshake) or API key (REST). */
    UNAUTHORIZED(401, "unauthorized"),
    /** HTTP 403 / frame: the token does not grant the channel, or the Origin is not allowed. */
    FORBIDDEN(403, "forbidden"),
    /** HTTP 404: no such route or resource. */
    NOT_FOUND(404, "not found"),
    /** HTTP 405: the route exists but not for this method. */
    METHOD_NOT_ALLOWED(405, "method not allowed"),
    /** HTTP 413: the request body exceeds GATEWAY_MAX_BODY_SIZE. */
    PAYLOAD_TOO_LARGE(413, "payload too large"),
    /** Frame: a binary frame arrived; the protocol is JSON in text frames. */
    UNSUPPORTED_FRAME(400, "binary frames are not supported; send JSON text frames"),
    /** Frame: the connection exceeded its message rate; the message was dropped. */
    RATE_LIMITED(429, "rate limit exceeded"),
    /** Frame / HTTP 400: a limit was reached (subscriptions per connection, batch items, broadcast channels). */
    LIMIT_EXCEEDED(400, "limit exceeded"),
    /** HTTP 503: the node cannot take the request now (draining, or a configured backend is unreachable). */
    UNAVAILABLE(503, "service unavailable"),
    /** HTTP 500 / frame: an unexpected server fault; details are only in the server log. */
    INTERNAL(500, "internal error");

    private final int httpStatus;
    private final String defaultMessage;

    ErrorCode(int httpStatus, String defaultMessage) {
        this.httpStatus = httpStatus;
        this.defaultMessage = defaultMessage;
    }

    /** The HTTP status used when this error answers a REST request. */
    public int httpStatus() {
        return httpStatus;
    }

    public String defaultMessage() {
        return defaultMessage;
    }
}
