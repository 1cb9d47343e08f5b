package io.eventgate.server.config;

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
 * {@code docs/CONFIGURATION.md} for every key. Optional strings and paths are {@code null} when unset.
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
        Duration shutdownTimeout;
        int ioThreads;
        LogFormat logFormat;
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
    private final Duration shutdownTimeout;
    private final int ioThreads;
    private final LogFormat logFormat;
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
        this.shutdownTimeout = Objects.requireNonNull(d.shutdownTimeout);
        this.ioThreads = d.ioThreads;
        this.logFormat = Objects.requireNonNull(d.logFormat);
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
        d.shutdownTimeout = shutdownTimeout;
        d.ioThreads = ioThreads;
        d.logFormat = logFormat;
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

    /** {@code GATEWAY_SHUTDOWN_TIMEOUT}. */
    public Duration shutdownTimeout() { return shutdownTimeout; }

    /** {@code GATEWAY_IO_THREADS}; 0 = number of cores. */
    public int ioThreads() { return ioThreads; }

    /** {@code GATEWAY_LOG_FORMAT}. */
    public LogFormat logFormat() { return logFormat; }

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

    /** Every key as {@code KEY=value}, secrets as {@code <redacted>} (or {@code <unset>}). */
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
        add(parts, Key.SHUTDOWN_TIMEOUT, Durations.format(shutdownTimeout));
        add(parts, Key.IO_THREADS, Integer.toString(ioThreads));
        add(parts, Key.LOG_FORMAT, logFormat.name().toLowerCase(Locale.ROOT));
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
                && ioThreads == c.ioThreads && developmentMode == c.developmentMode
                && Objects.equals(configFile, c.configFile) && host.equals(c.host)
                && Objects.equals(jwtSecret, c.jwtSecret) && Objects.equals(jwtPublicKeyFile, c.jwtPublicKeyFile)
                && Objects.equals(jwtPublicKeyPem, c.jwtPublicKeyPem) && Objects.equals(jwtIssuer, c.jwtIssuer)
                && Objects.equals(jwtAudience, c.jwtAudience) && jwtLeeway.equals(c.jwtLeeway)
                && Objects.equals(apiKey, c.apiKey) && heartbeatInterval.equals(c.heartbeatInterval)
                && idleTimeout.equals(c.idleTimeout) && allowedOrigins.equals(c.allowedOrigins)
                && shutdownTimeout.equals(c.shutdownTimeout) && logFormat == c.logFormat
                && namespaces.equals(c.namespaces) && defaultNamespace.equals(c.defaultNamespace)
                && unknownKeys.equals(c.unknownKeys);
    }

    @Override
    public int hashCode() {
        return Objects.hash(configFile, host, port, jwtSecret, jwtPublicKeyFile, jwtPublicKeyPem, jwtIssuer,
                jwtAudience, jwtLeeway, apiKey, heartbeatInterval, idleTimeout, allowedOrigins, maxFrameBytes,
                maxBodyBytes, rateLimitPerMinute, rateLimitBurst, rateLimitCloseAfter, writeBufferLowBytes,
                writeBufferHighBytes, maxPendingBytes, shutdownTimeout, ioThreads, logFormat, namespaces,
                defaultNamespace, developmentMode, unknownKeys);
    }
}
