package io.eventgate.server.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The single table of configuration keys: name, kind, range, default (as text, parsed by the loader
 * exactly like a configured value) and description. {@link ConfigLoader#keys()}, the unknown-key
 * check and {@code docs/CONFIGURATION.md} (checked by a test) all come from here.
 */
enum Key {
    CONFIG_FILE("GATEWAY_CONFIG_FILE", Kind.PATH, "",
            "Path of an optional Java properties file with more settings (same key names). "
                    + "Read from the environment only."),
    HOST("GATEWAY_HOST", Kind.STRING, "0.0.0.0", "Address to listen on."),
    PORT("GATEWAY_PORT", Kind.INT, 0, 65_535, "8080", "TCP port to listen on; 0 picks a free port (tests)."),
    JWT_SECRET("GATEWAY_JWT_SECRET", Kind.SECRET, 32, 0, "",
            "HS256 secret used to verify client JWTs; at least 32 bytes (UTF-8). "
                    + "Exclusive with GATEWAY_JWT_PUBLIC_KEY_FILE."),
    JWT_PUBLIC_KEY_FILE("GATEWAY_JWT_PUBLIC_KEY_FILE", Kind.PATH, "",
            "PEM file with the RSA or EC P-256 public key (or certificate) used to verify client JWTs "
                    + "(RS256/ES256). Exclusive with GATEWAY_JWT_SECRET."),
    JWT_ISSUER("GATEWAY_JWT_ISSUER", Kind.STRING, "", "Required `iss` claim; unset = not checked."),
    JWT_AUDIENCE("GATEWAY_JWT_AUDIENCE", Kind.STRING, "", "Audience the `aud` claim must contain; unset = not checked."),
    JWT_LEEWAY("GATEWAY_JWT_LEEWAY", Kind.DURATION, 0, 10 * 60_000L, "5s",
            "Clock skew tolerated on `exp`, `nbf` and `iat`."),
    API_KEY("GATEWAY_API_KEY", Kind.SECRET, 16, 0, "",
            "Key that publishers must send to the REST API; at least 16 characters."),
    HEARTBEAT_INTERVAL("GATEWAY_HEARTBEAT_INTERVAL", Kind.DURATION, 1_000, 3_600_000L, "30s",
            "How often the server pings every WebSocket connection, active or not (`{\"type\":\"ping\"}`)."),
    IDLE_TIMEOUT("GATEWAY_IDLE_TIMEOUT", Kind.DURATION, 1, Long.MAX_VALUE, "75s",
            "A connection that sends nothing (not even a pong) for this long is closed; "
                    + "must be greater than GATEWAY_HEARTBEAT_INTERVAL."),
    ALLOWED_ORIGINS("GATEWAY_ALLOWED_ORIGINS", Kind.LIST, "",
            "Origins allowed to open a WebSocket, such as `https://app.example.com`, or `*`; empty = any origin "
                    + "allowed. Checked at the WebSocket handshake only (a request without `Origin` is always "
                    + "allowed); the REST API sends no CORS headers."),
    MAX_FRAME_SIZE("GATEWAY_MAX_FRAME_SIZE", Kind.SIZE, Sizes.KIB, 16 * Sizes.MIB, "64KiB",
            "Largest WebSocket frame (message) accepted from a client."),
    MAX_BODY_SIZE("GATEWAY_MAX_BODY_SIZE", Kind.SIZE, Sizes.KIB, 64 * Sizes.MIB, "1MiB",
            "Largest HTTP request body accepted by the REST API."),
    RATE_LIMIT_PER_MINUTE("GATEWAY_RATE_LIMIT_PER_MINUTE", Kind.INT, 1, 1_000_000, "100",
            "Messages each connection may send per minute (sustained rate)."),
    RATE_LIMIT_BURST("GATEWAY_RATE_LIMIT_BURST", Kind.INT, 1, 100_000, "20",
            "Messages a connection may send at once above the sustained rate."),
    RATE_LIMIT_CLOSE_AFTER("GATEWAY_RATE_LIMIT_CLOSE_AFTER", Kind.INT, 1, 1_000_000, "50",
            "Consecutive rate-limited (refused) messages after which the connection is closed."),
    WRITE_BUFFER_LOW("GATEWAY_WRITE_BUFFER_LOW", Kind.SIZE, 0, 64 * Sizes.MIB, "8KiB",
            "Per-connection outbound buffer low water mark (writable again below it); "
                    + "must be less than GATEWAY_WRITE_BUFFER_HIGH."),
    WRITE_BUFFER_HIGH("GATEWAY_WRITE_BUFFER_HIGH", Kind.SIZE, 1, 64 * Sizes.MIB, "32KiB",
            "Per-connection outbound buffer high water mark (unwritable above it)."),
    MAX_PENDING_BYTES("GATEWAY_MAX_PENDING_BYTES", Kind.SIZE, 1, Sizes.GIB, "1MiB",
            "Bytes queued for one connection before it is closed as a slow consumer; "
                    + "must be at least GATEWAY_WRITE_BUFFER_HIGH."),
    HISTORY_MEMORY_LIMIT("GATEWAY_HISTORY_MEMORY_LIMIT", Kind.SIZE, Sizes.MIB, 1024 * Sizes.GIB, "256MiB",
            "Most bytes of history the in-memory engine holds across all channels (each event's JSON plus about "
                    + "200 bytes); above it the oldest events of any channel are dropped first. Not used with "
                    + "GATEWAY_REDIS_URL (Redis holds the history)."),
    SHUTDOWN_TIMEOUT("GATEWAY_SHUTDOWN_TIMEOUT", Kind.DURATION, 0, 10 * 60_000L, "10s",
            "How long a graceful shutdown waits for connections to drain."),
    IO_THREADS("GATEWAY_IO_THREADS", Kind.INT, 0, 256, "0", "Netty I/O threads; 0 = number of CPU cores."),
    LOG_FORMAT("GATEWAY_LOG_FORMAT", Kind.LOG_FORMAT, "text", "Log output: `text` or `json`."),

    ACK_TIMEOUT("GATEWAY_ACK_TIMEOUT", Kind.DURATION, 100, 10 * 60_000L, "10s",
            "An event the client has not acknowledged is redelivered after this long "
                    + "(namespaces that require ACK)."),
    MAX_REDELIVERIES("GATEWAY_MAX_REDELIVERIES", Kind.INT, 0, 100, "3",
            "How many times an unacknowledged event is redelivered; 0 = never redelivered."),
    PENDING_TTL("GATEWAY_PENDING_TTL", Kind.DURATION, 1_000, 7 * 86_400_000L, "60s",
            "How long unacknowledged events are kept; then they are dropped and counted "
                    + "(critical events go to the fallback webhook). Must be at least GATEWAY_ACK_TIMEOUT."),
    MAX_PENDING_PER_CONNECTION("GATEWAY_MAX_PENDING_PER_CONNECTION", Kind.INT, 1, 1_000_000, "1000",
            "Unacknowledged events one connection may hold before it is closed as a slow consumer "
                    + "(close code 4101)."),
    MAX_PENDING_PER_USER("GATEWAY_MAX_PENDING_PER_USER", Kind.INT, 1, 10_000_000, "10000",
            "Unacknowledged events kept per user for resume (in memory); when full, the oldest is evicted "
                    + "and counted."),
    SESSION_TTL("GATEWAY_SESSION_TTL", Kind.DURATION, 1_000, 7 * 86_400_000L, "10m",
            "How long a disconnected session can be resumed."),
    MAX_SESSIONS("GATEWAY_MAX_SESSIONS", Kind.INT, 1, 100_000_000, "1000000",
            "Sessions kept in memory for resume."),
    FALLBACK_WEBHOOK_URL("GATEWAY_FALLBACK_WEBHOOK_URL", Kind.URL, "",
            "Webhook that receives critical events which could not be delivered; unset = no fallback. "
                    + "Requires GATEWAY_FALLBACK_WEBHOOK_SECRET."),
    FALLBACK_WEBHOOK_SECRET("GATEWAY_FALLBACK_WEBHOOK_SECRET", Kind.SECRET, 16, 0, "",
            "Secret with which the gateway authenticates its fallback webhook requests; at least 16 characters. "
                    + "Required when GATEWAY_FALLBACK_WEBHOOK_URL is set."),
    FALLBACK_MAX_ATTEMPTS("GATEWAY_FALLBACK_MAX_ATTEMPTS", Kind.INT, 1, 100, "5",
            "Attempts to deliver one event to the fallback webhook before giving up."),
    FALLBACK_QUEUE_SIZE("GATEWAY_FALLBACK_QUEUE_SIZE", Kind.INT, 1, 1_000_000, "10000",
            "Events that may wait for the fallback webhook."),

    DB_URL("GATEWAY_DB_URL", Kind.STRING, "",
            "PostgreSQL JDBC URL, e.g. `jdbc:postgresql://db:5432/eventgate`; unset = no database."),
    DB_USER("GATEWAY_DB_USER", Kind.STRING, "", "Database user."),
    DB_PASSWORD("GATEWAY_DB_PASSWORD", Kind.SECRET, 0, 0, "", "Database password."),
    DB_POOL_SIZE("GATEWAY_DB_POOL_SIZE", Kind.INT, 1, 100, "8", "Database connections in the pool (writers, reads, housekeeping and the outbox listener share it)."),
    DB_BATCH_SIZE("GATEWAY_DB_BATCH_SIZE", Kind.INT, 1, 10_000, "500", "Rows per database write round trip."),
    DB_BUFFER_SIZE("GATEWAY_DB_BUFFER_SIZE", Kind.INT, 100, 10_000_000, "100000",
            "Writes held for retry while the database is unreachable; when full, publishes that need "
                    + "durability are answered with 503."),

    NODE_ID("GATEWAY_NODE_ID", Kind.STRING, "",
            "Id of this gateway among gateways that share Redis or the database; "
                    + "unset = `node-` + 8 random characters, generated once per process."),
    REDIS_URL("GATEWAY_REDIS_URL", Kind.STRING, "",
            "Redis URL, e.g. `redis://redis:6379` (`rediss://` for TLS); unset = no Redis (single node)."),
    REDIS_PREFIX("GATEWAY_REDIS_PREFIX", Kind.STRING, "gateway",
            "Prefix of every Redis key and channel, so several gateways can share one Redis."),
    REDIS_DEDUPE_TTL("GATEWAY_REDIS_DEDUPE_TTL", Kind.DURATION, 1_000, 7 * 86_400_000L, "24h",
            "How long the Redis engine remembers an event's `eventId` per channel, so that publishing the same "
                    + "`eventId` again publishes nothing (REST retries, ingress and outbox redelivery); one Redis key "
                    + "per event that has an `eventId` (every ingress and outbox event has one) lives this long."),
    OUTBOX_POLL_INTERVAL("GATEWAY_OUTBOX_POLL_INTERVAL", Kind.DURATION, 10, 10 * 60_000L, "1s",
            "How often the PostgreSQL outbox is polled when no NOTIFY arrives (only with GATEWAY_DB_URL)."),

    NAMESPACE_VISIBILITY("GATEWAY_NAMESPACE_<NAME>_VISIBILITY", Kind.VISIBILITY, "private",
            "Who may subscribe to channels of the namespace: `public` (anyone), `private` (token must grant it) "
                    + "or `owner` (only the user the channel is named after)."),
    NAMESPACE_HISTORY_SIZE("GATEWAY_NAMESPACE_<NAME>_HISTORY_SIZE", Kind.INT, 0, 1_000_000, "1000",
            "Events kept per channel for recovery; 0 disables history."),
    NAMESPACE_HISTORY_TTL("GATEWAY_NAMESPACE_<NAME>_HISTORY_TTL", Kind.DURATION, 0, Long.MAX_VALUE, "10m",
            "How long events are kept in the history; 0 disables history."),
    NAMESPACE_ACK("GATEWAY_NAMESPACE_<NAME>_ACK", Kind.BOOLEAN, "false",
            "Whether clients must acknowledge events (redelivered until acked).");

    /** Value kinds; each has one parser in {@link ConfigLoader}. */
    enum Kind { STRING, SECRET, PATH, URL, INT, DURATION, SIZE, BOOLEAN, LIST, LOG_FORMAT, VISIBILITY }

    static final String NAMESPACE_PREFIX = "GATEWAY_NAMESPACE_";

    private static final Map<String, Key> BY_NAME = Arrays.stream(values())
            .filter(k -> !k.isNamespacePattern())
            .collect(Collectors.toUnmodifiableMap(k -> k.keyName, Function.identity()));

    final String keyName;
    final Kind kind;
    /** INT: range; DURATION: range in milliseconds; SIZE: range in bytes; SECRET: minimum length (0 = none). */
    final long min;
    final long max;
    final String defaultText;
    final String description;

    Key(String keyName, Kind kind, String defaultText, String description) {
        this(keyName, kind, 0, 0, defaultText, description);
    }

    Key(String keyName, Kind kind, long min, long max, String defaultText, String description) {
        this.keyName = keyName;
        this.kind = kind;
        this.min = min;
        this.max = max;
        this.defaultText = defaultText;
        this.description = description;
    }

    boolean isNamespacePattern() {
        return keyName.startsWith(NAMESPACE_PREFIX);
    }

    boolean isSecret() {
        return kind == Kind.SECRET;
    }

    /** Suffix after {@code GATEWAY_NAMESPACE_<NAME>} for namespace keys, e.g. {@code _HISTORY_SIZE}. */
    String namespaceSuffix() {
        return keyName.substring((NAMESPACE_PREFIX + "<NAME>").length());
    }

    /** The concrete key of this namespace setting for a namespace NAME as written in keys. */
    String forNamespace(String upperName) {
        return NAMESPACE_PREFIX + upperName + namespaceSuffix();
    }

    /** A fixed (non-namespace) key by name, or null. */
    static Key byName(String name) {
        return BY_NAME.get(name);
    }

    static List<Key> namespaceKeys() {
        return Arrays.stream(values()).filter(Key::isNamespacePattern).toList();
    }

    /** Accepted form and range, e.g. {@code integer 0-65535}. */
    String typeText() {
        return switch (kind) {
            case STRING -> switch (this) {
                case DB_URL -> "`jdbc:postgresql://` URL";
                case REDIS_URL -> "`redis://` or `rediss://` URL";
                case NODE_ID -> "1-64 characters of `[A-Za-z0-9_.-]`";
                case REDIS_PREFIX -> "1-64 characters of `[A-Za-z0-9_.:-]`";
                default -> "string";
            };
            case SECRET -> min == 0 ? "secret string"
                    : keyName.contains("JWT") ? "secret string, >= " + min + " bytes"
                    : "secret string, >= " + min + " characters";
            case PATH -> "file path";
            case URL -> "`http` or `https` URL";
            case INT -> "integer " + min + "-" + max;
            case DURATION -> this == IDLE_TIMEOUT ? "duration > GATEWAY_HEARTBEAT_INTERVAL"
                    : max == Long.MAX_VALUE
                    ? "duration >= " + Durations.format(Duration.ofMillis(min))
                    : "duration " + Durations.format(Duration.ofMillis(min)) + "-"
                            + Durations.format(Duration.ofMillis(max));
            case SIZE -> "size " + Sizes.format(min) + "-" + Sizes.format(max);
            case BOOLEAN -> "boolean";
            case LIST -> "comma-separated list";
            case LOG_FORMAT -> "`text` or `json`";
            case VISIBILITY -> "`public`, `private` or `owner`";
        };
    }

    ConfigKey describe() {
        return new ConfigKey(keyName, typeText(), defaultText, description, isSecret());
    }
}
