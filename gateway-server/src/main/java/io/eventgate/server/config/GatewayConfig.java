package io.eventgate.server.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The gateway configuration: immutable and fully validated. Obtain one from
 * {@link ConfigLoader#load(Map)}, {@link ConfigLoader#fromMap(Map)} or {@link #defaults()}; see
 * {@code docs/CONFIGURATION.md} for every key. Optional strings, paths and URLs are {@code null} when unset.
 * {@link #toString()} lists every key with secrets redacted.
 */
public final class GatewayConfig {

    /** Mutable field holder used by {@link ConfigLoader} and {@link #withGeneratedSecrets}; never escapes the package. */
    static final class Draft {
        Path configFile;
        String host;
        int port;
        String jwtSecret;
        Path jwtPublicKeyFile;
        String jwtPublicKeyPem;
        String jwtIssuer;
        String jwtAudience;
        Duration jwtLeeway;
        String apiKey;
        Duration heartbeatInterval;
        Duration idleTimeout;
        List<String> allowedOrigins = List.of();
        int maxFrameBytes;
        int maxBodyBytes;
        int rateLimitPerMinute;
        int rateLimitBurst;
        int rateLimitCloseAfter;
        int writeBufferLowBytes;
        int writeBufferHighBytes;
        long maxPendingBytes;
        long historyMemoryLimit;
        Duration shutdownTimeout;
        int ioThreads;
        LogFormat logFormat;
        Duration ackTimeout;
        int maxRedeliveries;
        Duration pendingTtl;
        int maxPendingPerConnection;
        int maxPendingPerUser;
        Duration sessionTtl;
        int maxSessions;
        URI fallbackWebhookUrl;
        String fallbackWebhookSecret;
        int fallbackMaxAttempts;
        int fallbackQueueSize;
        String dbUrl;
        String dbUser;
        String dbPassword;
        int dbPoolSize;
        int dbBatchSize;
        int dbBufferSize;
        String nodeId;
        String redisUrl;
        String redisPrefix;
        Duration outboxPollInterval;
        Duration redisDedupeTtl;
        Map<String, NamespaceConfig> namespaces = Map.of();
        NamespaceConfig defaultNamespace;
        boolean developmentMode;
        List<String> unknownKeys = List.of();
    }

    private final Path configFile;
    private final String host;
    private final int port;
    private final String jwtSecret;
    private final Path jwtPublicKeyFile;
    private final String jwtPublicKeyPem;
    private final String jwtIssuer;
    private final String jwtAudience;
    private final Duration jwtLeeway;
    private final String apiKey;
    private final Duration heartbeatInterval;
    private final Duration idleTimeout;
    private final List<String> allowedOrigins;
    private final int maxFrameBytes;
    private final int maxBodyBytes;
    private final int rateLimitPerMinute;
    private final int rateLimitBurst;
    private final int rateLimitCloseAfter;
    private final int writeBufferLowBytes;
    private final int writeBufferHighBytes;
    private final long maxPendingBytes;
    private final long historyMemoryLimit;
    private final Duration shutdownTimeout;
    private final int ioThreads;
    private final LogFormat logFormat;
    private final Duration ackTimeout;
    private final int maxRedeliveries;
    private final Duration pendingTtl;
    private final int maxPendingPerConnection;
    private final int maxPendingPerUser;
    private final Duration sessionTtl;
    private final int maxSessions;
    private final URI fallbackWebhookUrl;
    private final String fallbackWebhookSecret;
    private final int fallbackMaxAttempts;
    private final int fallbackQueueSize;
    private final String dbUrl;
    private final String dbUser;
    private final String dbPassword;
    private final int dbPoolSize;
    private final int dbBatchSize;
    private final int dbBufferSize;
    private final String nodeId;
    private final String redisUrl;
    private final String redisPrefix;
    private final Duration outboxPollInterval;
    private final Duration redisDedupeTtl;
    private final Map<String, NamespaceConfig> namespaces;
    private final NamespaceConfig defaultNamespace;
    private final boolean developmentMode;
    private final List<String> unknownKeys;

    GatewayConfig(Draft d) {
        this.configFile = d.configFile;
        this.host = Objects.requireNonNull(d.host);
        this.port = d.port;
        this.jwtSecret = d.jwtSecret;
        this.jwtPublicKeyFile = d.jwtPublicKeyFile;
        this.jwtPublicKeyPem = d.jwtPublicKeyPem;
        this.jwtIssuer = d.jwtIssuer;
        this.jwtAudience = d.jwtAudience;
        this.jwtLeeway = Objects.requireNonNull(d.jwtLeeway);
        this.apiKey = d.apiKey;
        this.heartbeatInterval = Objects.requireNonNull(d.heartbeatInterval);
        this.idleTimeout = Objects.requireNonNull(d.idleTimeout);
        this.allowedOrigins = List.copyOf(d.allowedOrigins);
        this.maxFrameBytes = d.maxFrameBytes;
        this.maxBodyBytes = d.maxBodyBytes;
        this.rateLimitPerMinute = d.rateLimitPerMinute;
        this.rateLimitBurst = d.rateLimitBurst;
        this.rateLimitCloseAfter = d.rateLimitCloseAfter;
        this.writeBufferLowBytes = d.writeBufferLowBytes;
        this.writeBufferHighBytes = d.writeBufferHighBytes;
        this.maxPendingBytes = d.maxPendingBytes;
        this.historyMemoryLimit = d.historyMemoryLimit;
        this.shutdownTimeout = Objects.requireNonNull(d.shutdownTimeout);
        this.ioThreads = d.ioThreads;
        this.logFormat = Objects.requireNonNull(d.logFormat);
        this.ackTimeout = Objects.requireNonNull(d.ackTimeout);
        this.maxRedeliveries = d.maxRedeliveries;
        this.pendingTtl = Objects.requireNonNull(d.pendingTtl);
        this.maxPendingPerConnection = d.maxPendingPerConnection;
        this.maxPendingPerUser = d.maxPendingPerUser;
        this.sessionTtl = Objects.requireNonNull(d.sessionTtl);
        this.maxSessions = d.maxSessions;
        this.fallbackWebhookUrl = d.fallbackWebhookUrl;
        this.fallbackWebhookSecret = d.fallbackWebhookSecret;
        this.fallbackMaxAttempts = d.fallbackMaxAttempts;
        this.fallbackQueueSize = d.fallbackQueueSize;
        this.dbUrl = d.dbUrl;
        this.dbUser = d.dbUser;
        this.dbPassword = d.dbPassword;
        this.dbPoolSize = d.dbPoolSize;
        this.dbBatchSize = d.dbBatchSize;
        this.dbBufferSize = d.dbBufferSize;
        this.nodeId = Objects.requireNonNull(d.nodeId);
        this.redisUrl = d.redisUrl;
        this.redisPrefix = Objects.requireNonNull(d.redisPrefix);
        this.outboxPollInterval = Objects.requireNonNull(d.outboxPollInterval);
        this.redisDedupeTtl = Objects.requireNonNull(d.redisDedupeTtl);
        this.namespaces = Collections.unmodifiableMap(new TreeMap<>(d.namespaces));
        this.defaultNamespace = Objects.requireNonNull(d.defaultNamespace);
        this.developmentMode = d.developmentMode;
        this.unknownKeys = List.copyOf(d.unknownKeys);
    }

    private Draft toDraft() {
        Draft d = new Draft();
        d.configFile = configFile;
        d.host = host;
        d.port = port;
        d.jwtSecret = jwtSecret;
        d.jwtPublicKeyFile = jwtPublicKeyFile;
        d.jwtPublicKeyPem = jwtPublicKeyPem;
        d.jwtIssuer = jwtIssuer;
        d.jwtAudience = jwtAudience;
        d.jwtLeeway = jwtLeeway;
        d.apiKey = apiKey;
        d.heartbeatInterval = heartbeatInterval;
        d.idleTimeout = idleTimeout;
        d.allowedOrigins = allowedOrigins;
        d.maxFrameBytes = maxFrameBytes;
        d.maxBodyBytes = maxBodyBytes;
        d.rateLimitPerMinute = rateLimitPerMinute;
        d.rateLimitBurst = rateLimitBurst;
        d.rateLimitCloseAfter = rateLimitCloseAfter;
        d.writeBufferLowBytes = writeBufferLowBytes;
        d.writeBufferHighBytes = writeBufferHighBytes;
        d.maxPendingBytes = maxPendingBytes;
        d.historyMemoryLimit = historyMemoryLimit;
        d.shutdownTimeout = shutdownTimeout;
        d.ioThreads = ioThreads;
        d.logFormat = logFormat;
        d.ackTimeout = ackTimeout;
        d.maxRedeliveries = maxRedeliveries;
        d.pendingTtl = pendingTtl;
        d.maxPendingPerConnection = maxPendingPerConnection;
        d.maxPendingPerUser = maxPendingPerUser;
        d.sessionTtl = sessionTtl;
        d.maxSessions = maxSessions;
        d.fallbackWebhookUrl = fallbackWebhookUrl;
        d.fallbackWebhookSecret = fallbackWebhookSecret;
        d.fallbackMaxAttempts = fallbackMaxAttempts;
        d.fallbackQueueSize = fallbackQueueSize;
        d.dbUrl = dbUrl;
        d.dbUser = dbUser;
        d.dbPassword = dbPassword;
        d.dbPoolSize = dbPoolSize;
        d.dbBatchSize = dbBatchSize;
        d.dbBufferSize = dbBufferSize;
        d.nodeId = nodeId;
        d.redisUrl = redisUrl;
        d.redisPrefix = redisPrefix;
        d.outboxPollInterval = outboxPollInterval;
        d.redisDedupeTtl = redisDedupeTtl;
        d.namespaces = namespaces;
        d.defaultNamespace = defaultNamespace;
        d.developmentMode = developmentMode;
        d.unknownKeys = unknownKeys;
        return d;
    }

    /** Every key at its default (development mode: no secrets set). */
    public static GatewayConfig defaults() {
        return ConfigLoader.fromMap(Map.of());
    }

    /**
     * For development mode: a copy with a generated JWT secret and API key set;
     * {@link #developmentMode()} stays true.
     *
     * @throws IllegalStateException if this configuration is not in development mode
     * @throws ConfigException       if a value is too short (the value is not echoed)
     */
    public GatewayConfig withGeneratedSecrets(String generatedJwtSecret, String generatedApiKey) {
        if (!developmentMode) {
            throw new IllegalStateException("secrets are configured; generated secrets are only for development mode");
        }
        Draft d = toDraft();
        d.jwtSecret = ConfigLoader.checkSecret(Key.JWT_SECRET, generatedJwtSecret, "");
        d.apiKey = ConfigLoader.checkSecret(Key.API_KEY, generatedApiKey, "");
        if (d.jwtSecret == null) {
            throw new ConfigException(Key.JWT_SECRET.keyName, "a generated secret is required");
        }
        if (d.apiKey == null) {
            throw new ConfigException(Key.API_KEY.keyName, "a generated key is required");
        }
        return new GatewayConfig(d);
    }

    /** The properties file that was read ({@code GATEWAY_CONFIG_FILE}), or null. */
    public Path configFile() { return configFile; }

    /** {@code GATEWAY_HOST}. */
    public String host() { return host; }

    /** {@code GATEWAY_PORT}; 0 = ephemeral. */
    public int port() { return port; }

    /** {@code GATEWAY_JWT_SECRET} (HS256), or null. */
    public String jwtSecret() { return jwtSecret; }

    /** {@code GATEWAY_JWT_PUBLIC_KEY_FILE}, or null. */
    public Path jwtPublicKeyFile() { return jwtPublicKeyFile; }

    /** Contents of {@link #jwtPublicKeyFile()}, read at load time, or null. */
    public String jwtPublicKeyPem() { return jwtPublicKeyPem; }

    /** {@code GATEWAY_JWT_ISSUER}, or null (not checked). */
    public String jwtIssuer() { return jwtIssuer; }

    /** {@code GATEWAY_JWT_AUDIENCE}, or null (not checked). */
    public String jwtAudience() { return jwtAudience; }

    /** {@code GATEWAY_JWT_LEEWAY}. */
    public Duration jwtLeeway() { return jwtLeeway; }

    /** {@code GATEWAY_API_KEY}, or null. */
    public String apiKey() { return apiKey; }

    /** {@code GATEWAY_HEARTBEAT_INTERVAL}. */
    public Duration heartbeatInterval() { return heartbeatInterval; }

    /** {@code GATEWAY_IDLE_TIMEOUT}; always greater than {@link #heartbeatInterval()}. */
    public Duration idleTimeout() { return idleTimeout; }

    /** {@code GATEWAY_ALLOWED_ORIGINS} (scheme and host lower-cased); empty = any origin. */
    public List<String> allowedOrigins() { return allowedOrigins; }

    /** Whether any origin is allowed: {@link #allowedOrigins()} is empty or contains {@code *}. */
    public boolean anyOriginAllowed() { return allowedOrigins.isEmpty() || allowedOrigins.contains("*"); }

    /** {@code GATEWAY_MAX_FRAME_SIZE} in bytes. */
    public int maxFrameBytes() { return maxFrameBytes; }

    /** {@code GATEWAY_MAX_BODY_SIZE} in bytes. */
    public int maxBodyBytes() { return maxBodyBytes; }

    /** {@code GATEWAY_RATE_LIMIT_PER_MINUTE}. */
    public int rateLimitPerMinute() { return rateLimitPerMinute; }

    /** {@code GATEWAY_RATE_LIMIT_BURST}. */
    public int rateLimitBurst() { return rateLimitBurst; }

    /** {@code GATEWAY_RATE_LIMIT_CLOSE_AFTER}: consecutive refused messages before the connection is closed. */
    public int rateLimitCloseAfter() { return rateLimitCloseAfter; }

    /** {@code GATEWAY_WRITE_BUFFER_LOW} in bytes; less than {@link #writeBufferHighBytes()}. */
    public int writeBufferLowBytes() { return writeBufferLowBytes; }

    /** {@code GATEWAY_WRITE_BUFFER_HIGH} in bytes. */
    public int writeBufferHighBytes() { return writeBufferHighBytes; }

    /** {@code GATEWAY_MAX_PENDING_BYTES}; at least {@link #writeBufferHighBytes()}. */
    public long maxPendingBytes() { return maxPendingBytes; }

    /** {@code GATEWAY_HISTORY_MEMORY_LIMIT} in bytes: the in-memory engine's history budget. */
    public long historyMemoryLimit() { return historyMemoryLimit; }

    /** {@code GATEWAY_SHUTDOWN_TIMEOUT}. */
    public Duration shutdownTimeout() { return shutdownTimeout; }

    /** {@code GATEWAY_IO_THREADS}; 0 = number of cores. */
    public int ioThreads() { return ioThreads; }

    /** {@code GATEWAY_LOG_FORMAT}. */
    public LogFormat logFormat() { return logFormat; }

    /** {@code GATEWAY_ACK_TIMEOUT}: an unacknowledged event is redelivered after this long. */
    public Duration ackTimeout() { return ackTimeout; }

    /** {@code GATEWAY_MAX_REDELIVERIES}; 0 = never redelivered. */
    public int maxRedeliveries() { return maxRedeliveries; }

    /**
     * {@code GATEWAY_PENDING_TTL}: how long unacknowledged events are kept (then dropped and counted;
     * critical ones go to the fallback webhook); at least {@link #ackTimeout()}.
     */
    public Duration pendingTtl() { return pendingTtl; }

    /** {@code GATEWAY_MAX_PENDING_PER_CONNECTION}: unacked events before the connection is closed as a slow consumer (4101). */
    public int maxPendingPerConnection() { return maxPendingPerConnection; }

    /** {@code GATEWAY_MAX_PENDING_PER_USER}: unacked events kept per user for resume; oldest evicted (and counted) beyond. */
    public int maxPendingPerUser() { return maxPendingPerUser; }

    /** {@code GATEWAY_SESSION_TTL}: how long a disconnected session can be resumed. */
    public Duration sessionTtl() { return sessionTtl; }

    /** {@code GATEWAY_MAX_SESSIONS}: sessions kept in memory for resume. */
    public int maxSessions() { return maxSessions; }

    /** {@code GATEWAY_FALLBACK_WEBHOOK_URL} ({@code http} or {@code https}), or null (no fallback). */
    public URI fallbackWebhookUrl() { return fallbackWebhookUrl; }

    /** {@code GATEWAY_FALLBACK_WEBHOOK_SECRET}, or null; never null when {@link #fallbackWebhookUrl()} is set. */
    public String fallbackWebhookSecret() { return fallbackWebhookSecret; }

    /** {@code GATEWAY_FALLBACK_MAX_ATTEMPTS}: attempts per event before giving up. */
    public int fallbackMaxAttempts() { return fallbackMaxAttempts; }

    /** {@code GATEWAY_FALLBACK_QUEUE_SIZE}: events that may wait for the fallback webhook. */
    public int fallbackQueueSize() { return fallbackQueueSize; }

    /**
     * {@code GATEWAY_DB_URL} (starts with {@code jdbc:postgresql://}), or null (no database). May contain
     * credentials: print it only through {@link #toString()}, which redacts them.
     */
    public String dbUrl() { return dbUrl; }

    /** {@code GATEWAY_DB_USER}, or null. */
    public String dbUser() { return dbUser; }

    /** {@code GATEWAY_DB_PASSWORD}, or null. */
    public String dbPassword() { return dbPassword; }

    /** {@code GATEWAY_DB_POOL_SIZE}. */
    public int dbPoolSize() { return dbPoolSize; }

    /** {@code GATEWAY_DB_BATCH_SIZE}: rows per write round trip. */
    public int dbBatchSize() { return dbBatchSize; }

    /**
     * {@code GATEWAY_DB_BUFFER_SIZE}: writes held for retry while the database is unreachable; when full,
     * publishes that need durability answer 503.
     */
    public int dbBufferSize() { return dbBufferSize; }

    /**
     * {@code GATEWAY_NODE_ID}; when unset, {@code node-} + 8 random characters, generated once per process
     * (every configuration loaded in the process has the same one).
     */
    public String nodeId() { return nodeId; }

    /**
     * {@code GATEWAY_REDIS_URL} ({@code redis://} or {@code rediss://}), or null (no Redis). May contain a
     * password: print it only through {@link #toString()}, which redacts it.
     */
    public String redisUrl() { return redisUrl; }

    /** {@code GATEWAY_REDIS_PREFIX}: prefix of every Redis key and channel. */
    public String redisPrefix() { return redisPrefix; }

    /** {@code GATEWAY_OUTBOX_POLL_INTERVAL}: outbox polling when no NOTIFY arrives (only with a database). */
    public Duration outboxPollInterval() { return outboxPollInterval; }

    /** {@code GATEWAY_REDIS_DEDUPE_TTL}: how long the Redis engine remembers a published {@code eventId}. */
    public Duration redisDedupeTtl() { return redisDedupeTtl; }

    /** Built-in and configured namespaces by name (sorted, unmodifiable); excludes the default. */
    public Map<String, NamespaceConfig> namespaces() { return namespaces; }

    /** Settings of namespaces that are not in {@link #namespaces()}; named {@code default}. */
    public NamespaceConfig defaultNamespace() { return defaultNamespace; }

    /** Settings of namespace {@code name}: its own if configured or built in, else the default ones under that name. */
    public NamespaceConfig namespace(String name) {
        Objects.requireNonNull(name, "name");
        NamespaceConfig ns = namespaces.get(name);
        return ns != null ? ns : defaultNamespace.withName(name);
    }

    /**
     * True when none of {@code GATEWAY_JWT_SECRET}, {@code GATEWAY_JWT_PUBLIC_KEY_FILE},
     * {@code GATEWAY_API_KEY} was configured (stays true after {@link #withGeneratedSecrets}).
     */
    public boolean developmentMode() { return developmentMode; }

    /** {@code GATEWAY_*} environment variables that are not configuration keys (sorted), for a startup warning. */
    public List<String> unknownKeys() { return unknownKeys; }

    /**
     * Every key as {@code KEY=value}, secrets as {@code <redacted>} (or {@code <unset>}); credentials in URLs
     * (user info, password parameters) redacted too.
     */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        add(parts, Key.CONFIG_FILE, configFile == null ? null : configFile.toString());
        add(parts, Key.HOST, host);
        add(parts, Key.PORT, Integer.toString(port));
        parts.add(Key.JWT_SECRET.keyName + "=" + (jwtSecret == null ? "<unset>" : "<redacted>"));
        add(parts, Key.JWT_PUBLIC_KEY_FILE, jwtPublicKeyFile == null ? null : jwtPublicKeyFile.toString());
        add(parts, Key.JWT_ISSUER, jwtIssuer);
        add(parts, Key.JWT_AUDIENCE, jwtAudience);
        add(parts, Key.JWT_LEEWAY, Durations.format(jwtLeeway));
        parts.add(Key.API_KEY.keyName + "=" + (apiKey == null ? "<unset>" : "<redacted>"));
        add(parts, Key.HEARTBEAT_INTERVAL, Durations.format(heartbeatInterval));
        add(parts, Key.IDLE_TIMEOUT, Durations.format(idleTimeout));
        add(parts, Key.ALLOWED_ORIGINS, String.join(",", allowedOrigins));
        add(parts, Key.MAX_FRAME_SIZE, Sizes.format(maxFrameBytes));
        add(parts, Key.MAX_BODY_SIZE, Sizes.format(maxBodyBytes));
        add(parts, Key.RATE_LIMIT_PER_MINUTE, Integer.toString(rateLimitPerMinute));
        add(parts, Key.RATE_LIMIT_BURST, Integer.toString(rateLimitBurst));
        add(parts, Key.RATE_LIMIT_CLOSE_AFTER, Integer.toString(rateLimitCloseAfter));
        add(parts, Key.WRITE_BUFFER_LOW, Sizes.format(writeBufferLowBytes));
        add(parts, Key.WRITE_BUFFER_HIGH, Sizes.format(writeBufferHighBytes));
        add(parts, Key.MAX_PENDING_BYTES, Sizes.format(maxPendingBytes));
        add(parts, Key.HISTORY_MEMORY_LIMIT, Sizes.format(historyMemoryLimit));
        add(parts, Key.SHUTDOWN_TIMEOUT, Durations.format(shutdownTimeout));
        add(parts, Key.IO_THREADS, Integer.toString(ioThreads));
        add(parts, Key.LOG_FORMAT, logFormat.name().toLowerCase(Locale.ROOT));
        add(parts, Key.ACK_TIMEOUT, Durations.format(ackTimeout));
        add(parts, Key.MAX_REDELIVERIES, Integer.toString(maxRedeliveries));
        add(parts, Key.PENDING_TTL, Durations.format(pendingTtl));
        add(parts, Key.MAX_PENDING_PER_CONNECTION, Integer.toString(maxPendingPerConnection));
        add(parts, Key.MAX_PENDING_PER_USER, Integer.toString(maxPendingPerUser));
        add(parts, Key.SESSION_TTL, Durations.format(sessionTtl));
        add(parts, Key.MAX_SESSIONS, Integer.toString(maxSessions));
        add(parts, Key.FALLBACK_WEBHOOK_URL,
                fallbackWebhookUrl == null ? null : ConfigLoader.redactUrl(fallbackWebhookUrl.toString()));
        parts.add(Key.FALLBACK_WEBHOOK_SECRET.keyName + "=" + (fallbackWebhookSecret == null ? "<unset>" : "<redacted>"));
        add(parts, Key.FALLBACK_MAX_ATTEMPTS, Integer.toString(fallbackMaxAttempts));
        add(parts, Key.FALLBACK_QUEUE_SIZE, Integer.toString(fallbackQueueSize));
        add(parts, Key.DB_URL, ConfigLoader.redactUrl(dbUrl));
        add(parts, Key.DB_USER, dbUser);
        parts.add(Key.DB_PASSWORD.keyName + "=" + (dbPassword == null ? "<unset>" : "<redacted>"));
        add(parts, Key.DB_POOL_SIZE, Integer.toString(dbPoolSize));
        add(parts, Key.DB_BATCH_SIZE, Integer.toString(dbBatchSize));
        add(parts, Key.DB_BUFFER_SIZE, Integer.toString(dbBufferSize));
        add(parts, Key.NODE_ID, nodeId);
        add(parts, Key.REDIS_URL, ConfigLoader.redactUrl(redisUrl));
        add(parts, Key.REDIS_PREFIX, redisPrefix);
        add(parts, Key.OUTBOX_POLL_INTERVAL, Durations.format(outboxPollInterval));
        add(parts, Key.REDIS_DEDUPE_TTL, Durations.format(redisDedupeTtl));
        addNamespace(parts, "DEFAULT", defaultNamespace);
        for (NamespaceConfig ns : namespaces.values()) {
            addNamespace(parts, ConfigLoader.namespaceKeyName(ns.name()), ns);
        }
        return "GatewayConfig{" + String.join(", ", parts) + ", developmentMode=" + developmentMode
                + (unknownKeys.isEmpty() ? "" : ", unknownKeys=" + unknownKeys) + "}";
    }

    private static void add(List<String> parts, Key key, String value) {
        parts.add(key.keyName + "=" + (value == null ? "" : value));
    }

    private static void addNamespace(List<String> parts, String upperName, NamespaceConfig ns) {
        parts.add(Key.NAMESPACE_VISIBILITY.forNamespace(upperName) + "=" + ns.visibility().name().toLowerCase(Locale.ROOT));
        parts.add(Key.NAMESPACE_HISTORY_SIZE.forNamespace(upperName) + "=" + ns.historySize());
        parts.add(Key.NAMESPACE_HISTORY_TTL.forNamespace(upperName) + "=" + Durations.format(ns.historyTtl()));
        parts.add(Key.NAMESPACE_ACK.forNamespace(upperName) + "=" + ns.ackRequired());
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof GatewayConfig c)) {
            return false;
        }
        return port == c.port && maxFrameBytes == c.maxFrameBytes && maxBodyBytes == c.maxBodyBytes
                && rateLimitPerMinute == c.rateLimitPerMinute && rateLimitBurst == c.rateLimitBurst
                && rateLimitCloseAfter == c.rateLimitCloseAfter && writeBufferLowBytes == c.writeBufferLowBytes
                && writeBufferHighBytes == c.writeBufferHighBytes && maxPendingBytes == c.maxPendingBytes
                && historyMemoryLimit == c.historyMemoryLimit
                && ioThreads == c.ioThreads && developmentMode == c.developmentMode
                && maxRedeliveries == c.maxRedeliveries && maxPendingPerConnection == c.maxPendingPerConnection
                && maxPendingPerUser == c.maxPendingPerUser && maxSessions == c.maxSessions
                && fallbackMaxAttempts == c.fallbackMaxAttempts && fallbackQueueSize == c.fallbackQueueSize
                && dbPoolSize == c.dbPoolSize && dbBatchSize == c.dbBatchSize && dbBufferSize == c.dbBufferSize
                && Objects.equals(configFile, c.configFile) && host.equals(c.host)
                && Objects.equals(jwtSecret, c.jwtSecret) && Objects.equals(jwtPublicKeyFile, c.jwtPublicKeyFile)
                && Objects.equals(jwtPublicKeyPem, c.jwtPublicKeyPem) && Objects.equals(jwtIssuer, c.jwtIssuer)
                && Objects.equals(jwtAudience, c.jwtAudience) && jwtLeeway.equals(c.jwtLeeway)
                && Objects.equals(apiKey, c.apiKey) && heartbeatInterval.equals(c.heartbeatInterval)
                && idleTimeout.equals(c.idleTimeout) && allowedOrigins.equals(c.allowedOrigins)
                && shutdownTimeout.equals(c.shutdownTimeout) && logFormat == c.logFormat
                && ackTimeout.equals(c.ackTimeout) && pendingTtl.equals(c.pendingTtl) && sessionTtl.equals(c.sessionTtl)
                && Objects.equals(fallbackWebhookUrl, c.fallbackWebhookUrl)
                && Objects.equals(fallbackWebhookSecret, c.fallbackWebhookSecret)
                && Objects.equals(dbUrl, c.dbUrl) && Objects.equals(dbUser, c.dbUser)
                && Objects.equals(dbPassword, c.dbPassword) && nodeId.equals(c.nodeId)
                && Objects.equals(redisUrl, c.redisUrl) && redisPrefix.equals(c.redisPrefix)
                && outboxPollInterval.equals(c.outboxPollInterval) && redisDedupeTtl.equals(c.redisDedupeTtl)
                && namespaces.equals(c.namespaces) && defaultNamespace.equals(c.defaultNamespace)
                && unknownKeys.equals(c.unknownKeys);
    }

    @Override
    public int hashCode() {
        return Objects.hash(configFile, host, port, jwtSecret, jwtPublicKeyFile, jwtPublicKeyPem, jwtIssuer,
                jwtAudience, jwtLeeway, apiKey, heartbeatInterval, idleTimeout, allowedOrigins, maxFrameBytes,
                maxBodyBytes, rateLimitPerMinute, rateLimitBurst, rateLimitCloseAfter, writeBufferLowBytes,
                writeBufferHighBytes, maxPendingBytes, historyMemoryLimit, shutdownTimeout, ioThreads, logFormat, ackTimeout,
                maxRedeliveries, pendingTtl, maxPendingPerConnection, maxPendingPerUser, sessionTtl, maxSessions,
                fallbackWebhookUrl, fallbackWebhookSecret, fallbackMaxAttempts, fallbackQueueSize, dbUrl, dbUser,
                dbPassword, dbPoolSize, dbBatchSize, dbBufferSize, nodeId, redisUrl, redisPrefix,
                outboxPollInterval, redisDedupeTtl, namespaces, defaultNamespace, developmentMode, unknownKeys);
    }
}
