package io.eventgate.server.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Builds a {@link GatewayConfig} from, in order of precedence: environment variables, an optional
 * Java properties file named by {@code GATEWAY_CONFIG_FILE} (UTF-8, same key names), and defaults.
 * Every value is validated; problems are {@link ConfigException}s naming the key. A blank value counts
 * as unset (the next source applies). See {@code docs/CONFIGURATION.md}.
 */
public final class ConfigLoader {
    static final String PREFIX = "GATEWAY_";
    static final String DOCS = "docs/CONFIGURATION.md";
    static final int MAX_PEM_BYTES = 64 * 1024;
    private static final int MAX_ECHO = 100;
    private static final Pattern UPPER_NAME = Pattern.compile("[A-Z0-9_]+");
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern REDIS_PREFIX = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");
    /** Query parameters whose value is a credential, e.g. {@code password=} or {@code sslpassword=}. */
    private static final Pattern SECRET_PARAMETER =
            Pattern.compile("(?i)([?&;][^=&;#?]*(?:password|secret|token)[^=&;#?]*=)[^&;#]*");
    static final String DB_URL_PREFIX = "jdbc:postgresql://";
    /** {@code GATEWAY_NODE_ID} when unset: generated once per process, so every load in it agrees. */
    static final String GENERATED_NODE_ID = generateNodeId();
    private static final List<ConfigKey> KEYS = Arrays.stream(Key.values()).map(Key::describe).toList();

    private ConfigLoader() {}

    /** Every configuration key (fixed keys, then the per-namespace key patterns), in documentation order. */
    public static List<ConfigKey> keys() {
        return KEYS;
    }

    /**
     * Loads the configuration from {@code env} (normally {@code System.getenv()}) and, when
     * {@code GATEWAY_CONFIG_FILE} is set in it, from that properties file (environment wins).
     * Unknown {@code GATEWAY_*} keys in the file are errors; in the environment they are returned by
     * {@link GatewayConfig#unknownKeys()}.
     *
     * @throws ConfigException naming the offending key
     */
    public static GatewayConfig load(Map<String, String> env) {
        Map<String, String> safeEnv = copy(env);
        String file = safeEnv.get(Key.CONFIG_FILE.keyName);
        if (file == null) {
            return build(safeEnv, Map.of(), null);
        }
        Path path = parsePath(Key.CONFIG_FILE, new Raw(Key.CONFIG_FILE.keyName, file, "", true));
        return build(safeEnv, readProperties(path), path);
    }

    /**
     * Builds the configuration from {@code values} alone, treated like the environment
     * ({@code GATEWAY_CONFIG_FILE} is ignored; unknown keys go to {@link GatewayConfig#unknownKeys()}).
     *
     * @throws ConfigException naming the offending key
     */
    public static GatewayConfig fromMap(Map<String, String> values) {
        Map<String, String> safe = copy(values);
        safe.remove(Key.CONFIG_FILE.keyName);
        return build(safe, Map.of(), null);
    }

    /** Whether {@code name} is a configuration key: a fixed key or a well-formed namespace key. */
    static boolean isKnownKey(String name) {
        if (Key.byName(name) != null) {
            return true;
        }
        try {
            return namespaceKey(name) != null;
        } catch (ConfigException e) {
            return false;
        }
    }

    /** Key spelling of a namespace name: upper case, {@code -} as {@code __} (inverse of the key mapping). */
    static String namespaceKeyName(String namespace) {
        return namespace.toUpperCase(Locale.ROOT).replace("-", "__");
    }

    // ---------------------------------------------------------------- sources

    /** A value as configured: the concrete key, its stripped text and where it came from (for messages). */
    private record Raw(String key, String text, String origin, boolean configured) {}

    /** A parsed namespace key, e.g. GATEWAY_NAMESPACE_MARKET_ACK -> ("market", NAMESPACE_ACK). */
    private record NamespaceKey(String key, String namespace, boolean isDefault, Key setting) {}

    private static final class Sources {
        final Map<String, String> env;
        final Map<String, String> file;
        final String fileOrigin;

        Sources(Map<String, String> env, Map<String, String> file, Path filePath) {
            this.env = env;
            this.file = file;
            this.fileOrigin = filePath == null ? "" : " (in config file " + filePath + ")";
        }

        /** The configured value of {@code key}, environment first, or null. */
        Raw lookup(String key) {
            String v = env.get(key);
            if (v != null) {
                return new Raw(key, v, "", true);
            }
            v = file.get(key);
            return v == null ? null : new Raw(key, v, fileOrigin, true);
        }

        /** The configured value or the default; null if neither. */
        Raw resolve(Key k) {
            Raw r = lookup(k.keyName);
            if (r != null) {
                return r;
            }
            return k.defaultText.isEmpty() ? null : new Raw(k.keyName, k.defaultText, " (default)", false);
        }
    }

    /** Copies a source map dropping null and blank entries and stripping values. */
    private static Map<String, String> copy(Map<String, String> source) {
        if (source == null) {
            throw new NullPointerException("environment map");
        }
        Map<String, String> out = new HashMap<>();
        source.forEach((k, v) -> {
            if (k != null && v != null && !v.isBlank()) {
                out.put(k, v.strip());
            }
        });
        return out;
    }

    /** Properties that remembers keys set more than once. */
    private static final class StrictProperties extends Properties {
        private static final long serialVersionUID = 1L;
        final transient Set<String> duplicates = new TreeSet<>();

        @Override
        public synchronized Object put(Object key, Object value) {
            if (containsKey(key)) {
                duplicates.add(String.valueOf(key));
            }
            return super.put(key, value);
        }
    }

    private static Map<String, String> readProperties(Path path) {
        StrictProperties props = new StrictProperties();
        try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            props.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(Key.CONFIG_FILE.keyName, "cannot read properties file \"" + path + "\": " + describe(e), e);
        }
        if (!props.duplicates.isEmpty()) {
            String dup = props.duplicates.iterator().next();
            throw new ConfigException(dup, "set more than once in config file " + path);
        }
        Map<String, String> values = new HashMap<>();
        for (String name : props.stringPropertyNames()) {
            values.put(name, props.getProperty(name));
        }
        return copy(values);
    }

    private static String describe(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof MalformedInputException) {
            return "not valid UTF-8";
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    // ---------------------------------------------------------------- build

    private static GatewayConfig build(Map<String, String> env, Map<String, String> file, Path filePath) {
        Sources src = new Sources(env, file, filePath);
        Map<String, NamespaceKey> namespaceKeys = new TreeMap<>();
        List<String> unknown = new ArrayList<>();

        for (String key : new TreeSet<>(file.keySet())) {
            if (key.equals(Key.CONFIG_FILE.keyName)) {
                throw new ConfigException(key, "can only be set in the environment, not in the config file " + filePath);
            }
            if (Key.byName(key) != null) {
                continue;
            }
            NamespaceKey nk = namespaceKey(key);
            if (nk == null) {
                throw new ConfigException(key, "unknown key in config file " + filePath + "; see " + DOCS);
            }
            namespaceKeys.put(key, nk);
        }
        for (String key : new TreeSet<>(env.keySet())) {
            if (!key.startsWith(PREFIX) || Key.byName(key) != null) {
                continue;
            }
            NamespaceKey nk = namespaceKey(key);
            if (nk == null) {
                unknown.add(key);
            } else {
                namespaceKeys.put(key, nk);
            }
        }

        GatewayConfig.Draft d = new GatewayConfig.Draft();
        d.configFile = filePath;
        d.unknownKeys = unknown;
        d.host = parseHost(src.resolve(Key.HOST));
        d.port = (int) parseInt(Key.PORT, src.resolve(Key.PORT));

        Raw secret = src.resolve(Key.JWT_SECRET);
        d.jwtSecret = secret == null ? null : checkSecret(Key.JWT_SECRET, secret.text(), secret.origin());
        Raw publicKeyFile = src.resolve(Key.JWT_PUBLIC_KEY_FILE);
        d.jwtPublicKeyFile = publicKeyFile == null ? null : parsePath(Key.JWT_PUBLIC_KEY_FILE, publicKeyFile);
        d.jwtIssuer = parseString(src.resolve(Key.JWT_ISSUER));
        d.jwtAudience = parseString(src.resolve(Key.JWT_AUDIENCE));
        d.jwtLeeway = parseDuration(Key.JWT_LEEWAY, src.resolve(Key.JWT_LEEWAY));
        Raw apiKey = src.resolve(Key.API_KEY);
        d.apiKey = apiKey == null ? null : checkSecret(Key.API_KEY, apiKey.text(), apiKey.origin());

        Raw heartbeat = src.resolve(Key.HEARTBEAT_INTERVAL);
        Raw idle = src.resolve(Key.IDLE_TIMEOUT);
        d.heartbeatInterval = parseDuration(Key.HEARTBEAT_INTERVAL, heartbeat);
        d.idleTimeout = parseDuration(Key.IDLE_TIMEOUT, idle);
        if (d.idleTimeout.compareTo(d.heartbeatInterval) <= 0) {
            if (heartbeat.configured() && !idle.configured()) {
                throw new ConfigException(Key.HEARTBEAT_INTERVAL.keyName, "must be less than " + Key.IDLE_TIMEOUT.keyName
                        + " (" + Durations.format(d.idleTimeout) + "), got " + echo(Key.HEARTBEAT_INTERVAL, heartbeat));
            }
            throw new ConfigException(Key.IDLE_TIMEOUT.keyName, "must be greater than " + Key.HEARTBEAT_INTERVAL.keyName
                    + " (" + Durations.format(d.heartbeatInterval) + "), got " + echo(Key.IDLE_TIMEOUT, idle));
        }

        Raw origins = src.resolve(Key.ALLOWED_ORIGINS);
        d.allowedOrigins = origins == null ? List.of() : parseOrigins(origins);
        d.maxFrameBytes = (int) parseSize(Key.MAX_FRAME_SIZE, src.resolve(Key.MAX_FRAME_SIZE));
        d.maxBodyBytes = (int) parseSize(Key.MAX_BODY_SIZE, src.resolve(Key.MAX_BODY_SIZE));
        d.rateLimitPerMinute = (int) parseInt(Key.RATE_LIMIT_PER_MINUTE, src.resolve(Key.RATE_LIMIT_PER_MINUTE));
        d.rateLimitBurst = (int) parseInt(Key.RATE_LIMIT_BURST, src.resolve(Key.RATE_LIMIT_BURST));
        d.rateLimitCloseAfter = (int) parseInt(Key.RATE_LIMIT_CLOSE_AFTER, src.resolve(Key.RATE_LIMIT_CLOSE_AFTER));

        Raw low = src.resolve(Key.WRITE_BUFFER_LOW);
        Raw high = src.resolve(Key.WRITE_BUFFER_HIGH);
        Raw pending = src.resolve(Key.MAX_PENDING_BYTES);
        d.writeBufferLowBytes = (int) parseSize(Key.WRITE_BUFFER_LOW, low);
        d.writeBufferHighBytes = (int) parseSize(Key.WRITE_BUFFER_HIGH, high);
        d.maxPendingBytes = parseSize(Key.MAX_PENDING_BYTES, pending);
        d.historyMemoryLimit = parseSize(Key.HISTORY_MEMORY_LIMIT, src.resolve(Key.HISTORY_MEMORY_LIMIT));
        if (d.writeBufferLowBytes >= d.writeBufferHighBytes) {
            if (high.configured() && !low.configured()) {
                throw new ConfigException(Key.WRITE_BUFFER_HIGH.keyName, "must be greater than " + Key.WRITE_BUFFER_LOW.keyName
                        + " (" + Sizes.format(d.writeBufferLowBytes) + "), got " + echo(Key.WRITE_BUFFER_HIGH, high));
            }
            throw new ConfigException(Key.WRITE_BUFFER_LOW.keyName, "must be less than " + Key.WRITE_BUFFER_HIGH.keyName
                    + " (" + Sizes.format(d.writeBufferHighBytes) + "), got " + echo(Key.WRITE_BUFFER_LOW, low));
        }
        if (d.maxPendingBytes < d.writeBufferHighBytes) {
            if (high.configured() && !pending.configured()) {
                throw new ConfigException(Key.WRITE_BUFFER_HIGH.keyName, "must not exceed " + Key.MAX_PENDING_BYTES.keyName
                        + " (" + Sizes.format(d.maxPendingBytes) + "), got " + echo(Key.WRITE_BUFFER_HIGH, high));
            }
            throw new ConfigException(Key.MAX_PENDING_BYTES.keyName, "must be at least " + Key.WRITE_BUFFER_HIGH.keyName
                    + " (" + Sizes.format(d.writeBufferHighBytes) + "), got " + echo(Key.MAX_PENDING_BYTES, pending));
        }

        d.shutdownTimeout = parseDuration(Key.SHUTDOWN_TIMEOUT, src.resolve(Key.SHUTDOWN_TIMEOUT));
        d.ioThreads = (int) parseInt(Key.IO_THREADS, src.resolve(Key.IO_THREADS));
        d.logFormat = parseLogFormat(src.resolve(Key.LOG_FORMAT));

        buildDelivery(src, d);
        buildDatabase(src, d);
        buildScaleOut(src, d);

        buildNamespaces(src, namespaceKeys, d);

        // Auth is all or nothing: both JWT sources is ambiguous, and half of it is a mistake.
        boolean hasSecret = d.jwtSecret != null;
        boolean hasPublicKey = d.jwtPublicKeyFile != null;
        boolean hasApiKey = d.apiKey != null;
        if (hasSecret && hasPublicKey) {
            throw new ConfigException(Key.JWT_PUBLIC_KEY_FILE.keyName,
                    "set only one of " + Key.JWT_SECRET.keyName + ", " + Key.JWT_PUBLIC_KEY_FILE.keyName);
        }
        String allOrNothing = "auth is never half-configured: set " + Key.API_KEY.keyName + " and one of "
                + Key.JWT_SECRET.keyName + ", " + Key.JWT_PUBLIC_KEY_FILE.keyName
                + ", or none of them for development mode";
        if ((hasSecret || hasPublicKey) && !hasApiKey) {
            throw new ConfigException(Key.API_KEY.keyName, "required because "
                    + (hasSecret ? Key.JWT_SECRET : Key.JWT_PUBLIC_KEY_FILE).keyName + " is set; " + allOrNothing);
        }
        if (hasApiKey && !hasSecret && !hasPublicKey) {
            throw new ConfigException(Key.JWT_SECRET.keyName, "required (or " + Key.JWT_PUBLIC_KEY_FILE.keyName
                    + ") because " + Key.API_KEY.keyName + " is set; " + allOrNothing);
        }
        d.developmentMode = !hasSecret && !hasPublicKey && !hasApiKey;
        if (hasPublicKey) {
            d.jwtPublicKeyPem = readPem(d.jwtPublicKeyFile, publicKeyFile.origin());
        }
        return new GatewayConfig(d);
    }

    // ---------------------------------------------------------------- delivery, database, scale-out

    private static void buildDelivery(Sources src, GatewayConfig.Draft d) {
        Raw ackTimeout = src.resolve(Key.ACK_TIMEOUT);
        Raw pendingTtl = src.resolve(Key.PENDING_TTL);
        d.ackTimeout = parseDuration(Key.ACK_TIMEOUT, ackTimeout);
        d.maxRedeliveries = (int) parseInt(Key.MAX_REDELIVERIES, src.resolve(Key.MAX_REDELIVERIES));
        d.pendingTtl = parseDuration(Key.PENDING_TTL, pendingTtl);
        if (d.pendingTtl.compareTo(d.ackTimeout) < 0) {
            if (ackTimeout.configured() && !pendingTtl.configured()) {
                throw new ConfigException(Key.ACK_TIMEOUT.keyName, "must not exceed " + Key.PENDING_TTL.keyName
                        + " (" + Durations.format(d.pendingTtl) + "), got " + echo(Key.ACK_TIMEOUT, ackTimeout));
            }
            throw new ConfigException(Key.PENDING_TTL.keyName, "must be at least " + Key.ACK_TIMEOUT.keyName
                    + " (" + Durations.format(d.ackTimeout) + "), got " + echo(Key.PENDING_TTL, pendingTtl));
        }
        d.maxPendingPerConnection = (int) parseInt(Key.MAX_PENDING_PER_CONNECTION,
                src.resolve(Key.MAX_PENDING_PER_CONNECTION));
        d.maxPendingPerUser = (int) parseInt(Key.MAX_PENDING_PER_USER, src.resolve(Key.MAX_PENDING_PER_USER));
        d.sessionTtl = parseDuration(Key.SESSION_TTL, src.resolve(Key.SESSION_TTL));
        d.maxSessions = (int) parseInt(Key.MAX_SESSIONS, src.resolve(Key.MAX_SESSIONS));

        Raw webhookUrl = src.resolve(Key.FALLBACK_WEBHOOK_URL);
        d.fallbackWebhookUrl = webhookUrl == null ? null : parseWebhookUrl(webhookUrl);
        Raw webhookSecret = src.resolve(Key.FALLBACK_WEBHOOK_SECRET);
        d.fallbackWebhookSecret = webhookSecret == null ? null
                : checkSecret(Key.FALLBACK_WEBHOOK_SECRET, webhookSecret.text(), webhookSecret.origin());
        if (d.fallbackWebhookUrl != null && d.fallbackWebhookSecret == null) {
            throw new ConfigException(Key.FALLBACK_WEBHOOK_SECRET.keyName, "required because "
                    + Key.FALLBACK_WEBHOOK_URL.keyName + " is set; the gateway authenticates its webhook requests with it");
        }
        d.fallbackMaxAttempts = (int) parseInt(Key.FALLBACK_MAX_ATTEMPTS, src.resolve(Key.FALLBACK_MAX_ATTEMPTS));
        d.fallbackQueueSize = (int) parseInt(Key.FALLBACK_QUEUE_SIZE, src.resolve(Key.FALLBACK_QUEUE_SIZE));
    }

    private static void buildDatabase(Sources src, GatewayConfig.Draft d) {
        Raw dbUrl = src.resolve(Key.DB_URL);
        d.dbUrl = dbUrl == null ? null : parseDbUrl(dbUrl);
        d.dbUser = parseString(src.resolve(Key.DB_USER));
        Raw dbPassword = src.resolve(Key.DB_PASSWORD);
        d.dbPassword = dbPassword == null ? null : checkSecret(Key.DB_PASSWORD, dbPassword.text(), dbPassword.origin());
        d.dbPoolSize = (int) parseInt(Key.DB_POOL_SIZE, src.resolve(Key.DB_POOL_SIZE));
        d.dbBatchSize = (int) parseInt(Key.DB_BATCH_SIZE, src.resolve(Key.DB_BATCH_SIZE));
        d.dbBufferSize = (int) parseInt(Key.DB_BUFFER_SIZE, src.resolve(Key.DB_BUFFER_SIZE));
    }

    private static void buildScaleOut(Sources src, GatewayConfig.Draft d) {
        Raw nodeId = src.resolve(Key.NODE_ID);
        d.nodeId = nodeId == null ? GENERATED_NODE_ID : parseName(Key.NODE_ID, NODE_ID, nodeId);
        Raw redisUrl = src.resolve(Key.REDIS_URL);
        d.redisUrl = redisUrl == null ? null : parseRedisUrl(redisUrl);
        d.redisPrefix = parseName(Key.REDIS_PREFIX, REDIS_PREFIX, src.resolve(Key.REDIS_PREFIX));
        d.outboxPollInterval = parseDuration(Key.OUTBOX_POLL_INTERVAL, src.resolve(Key.OUTBOX_POLL_INTERVAL));
        d.redisDedupeTtl = parseDuration(Key.REDIS_DEDUPE_TTL, src.resolve(Key.REDIS_DEDUPE_TTL));
    }

    private static String generateNodeId() {
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        SecureRandom random = new SecureRandom();
        StringBuilder id = new StringBuilder("node-");
        for (int i = 0; i < 8; i++) {
            id.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return id.toString();
    }

    // ---------------------------------------------------------------- namespaces

    /** Parses a namespace key; null if {@code key} is not of the form GATEWAY_NAMESPACE_NAME_SETTING. */
    private static NamespaceKey namespaceKey(String key) {
        if (!key.startsWith(Key.NAMESPACE_PREFIX)) {
            return null;
        }
        String rest = key.substring(Key.NAMESPACE_PREFIX.length());
        for (Key setting : Key.namespaceKeys()) {
            String suffix = setting.namespaceSuffix();
            if (!rest.endsWith(suffix)) {
                continue;
            }
            String upper = rest.substring(0, rest.length() - suffix.length());
            if (upper.equals("DEFAULT")) {
                return new NamespaceKey(key, NamespaceConfig.DEFAULT_NAME, true, setting);
            }
            if (!UPPER_NAME.matcher(upper).matches()) {
                throw new ConfigException(key, "the namespace NAME must be upper-case letters, digits and _ "
                        + "(__ for -), got \"" + truncate(upper) + "\"");
            }
            String name = upper.toLowerCase(Locale.ROOT).replace("__", "-");
            if (!NamespaceConfig.isValidName(name)) {
                throw new ConfigException(key, "namespace names are 1-32 characters of [a-z0-9_-], got \""
                        + truncate(name) + "\"");
            }
            return new NamespaceKey(key, name, false, setting);
        }
        return null;
    }

    private static void buildNamespaces(Sources src, Map<String, NamespaceKey> keys, GatewayConfig.Draft d) {
        NamespaceConfig builtinDefault = new NamespaceConfig(NamespaceConfig.DEFAULT_NAME,
                parseVisibility(defaultRaw(Key.NAMESPACE_VISIBILITY)),
                (int) parseInt(Key.NAMESPACE_HISTORY_SIZE, defaultRaw(Key.NAMESPACE_HISTORY_SIZE)),
                parseDuration(Key.NAMESPACE_HISTORY_TTL, defaultRaw(Key.NAMESPACE_HISTORY_TTL)),
                parseBoolean(defaultRaw(Key.NAMESPACE_ACK)));
        Map<String, NamespaceConfig> result = new TreeMap<>(builtinNamespaces(builtinDefault));

        // DEFAULT first: it is the base of every namespace that is configured but not built in.
        NamespaceConfig def = apply(src, builtinDefault,
                keys.values().stream().filter(NamespaceKey::isDefault).toList());
        Map<String, List<NamespaceKey>> byNamespace = new TreeMap<>();
        for (NamespaceKey nk : keys.values()) {
            if (!nk.isDefault()) {
                byNamespace.computeIfAbsent(nk.namespace(), n -> new ArrayList<>()).add(nk);
            }
        }
        for (Map.Entry<String, List<NamespaceKey>> e : byNamespace.entrySet()) {
            NamespaceConfig base = result.getOrDefault(e.getKey(), def.withName(e.getKey()));
            result.put(e.getKey(), apply(src, base, e.getValue()));
        }
        d.defaultNamespace = def;
        d.namespaces = result;
    }

    /** The built-in namespaces, derived from the built-in default settings. */
    static Map<String, NamespaceConfig> builtinNamespaces(NamespaceConfig builtinDefault) {
        return Map.of(
                "user", builtinDefault.withName("user").withVisibility(Visibility.OWNER).withAckRequired(true),
                "public", builtinDefault.withName("public").withVisibility(Visibility.PUBLIC),
                "market", builtinDefault.withName("market").withVisibility(Visibility.PUBLIC));
    }

    private static NamespaceConfig apply(Sources src, NamespaceConfig ns, List<NamespaceKey> keys) {
        for (NamespaceKey nk : keys) {
            Raw r = src.lookup(nk.key());
            if (r == null) {
                continue;
            }
            switch (nk.setting()) {
                case NAMESPACE_VISIBILITY -> {
                    Visibility v = parseVisibility(r);
                    if (ns.name().equals("user") && v != Visibility.OWNER) {
                        throw new ConfigException(r.key(), "the user namespace is always private to its owner; "
                                + "only \"owner\" is accepted, got " + echo(nk.setting(), r));
                    }
                    ns = ns.withVisibility(v);
                }
                case NAMESPACE_HISTORY_SIZE -> ns = ns.withHistorySize((int) parseInt(nk.setting(), r));
                case NAMESPACE_HISTORY_TTL -> ns = ns.withHistoryTtl(parseDuration(nk.setting(), r));
                case NAMESPACE_ACK -> ns = ns.withAckRequired(parseBoolean(r));
                default -> throw new IllegalStateException("not a namespace setting: " + nk.setting());
            }
        }
        return ns;
    }

    private static Raw defaultRaw(Key k) {
        return new Raw(k.keyName, k.defaultText, " (default)", false);
    }

    // ---------------------------------------------------------------- value parsers

    private static ConfigException invalid(Key k, Raw r, String expected) {
        return new ConfigException(r.key(), "expected " + expected + ", got " + echo(k, r));
    }

    /**
     * The value as it may appear in a message: quoted and truncated, or {@code <redacted>} for secrets;
     * URLs without credentials (see {@link #echoText}).
     */
    private static String echo(Key k, Raw r) {
        return (k.isSecret() ? "<redacted>" : "\"" + truncate(echoText(k, r.text())) + "\"") + r.origin();
    }

    /** {@code GATEWAY_DB_URL} only up to {@code ?} and user info as {@code ***}; other URLs as {@link #redactUrl}. */
    private static String echoText(Key k, String text) {
        return switch (k) {
            case DB_URL -> maskUserInfo(text.indexOf('?') < 0 ? text : text.substring(0, text.indexOf('?')) + "?...");
            case REDIS_URL, FALLBACK_WEBHOOK_URL -> redactUrl(text);
            default -> text;
        };
    }

    /**
     * {@code url} safe to print: user info (e.g. {@code user:password@}) as {@code ***} and the values of
     * query parameters named like password, secret or token as {@code <redacted>}; null stays null.
     */
    static String redactUrl(String url) {
        return url == null ? null : maskUserInfo(SECRET_PARAMETER.matcher(url).replaceAll("$1<redacted>"));
    }

    /** Replaces everything between {@code ://} (or the start) and the last {@code @} with {@code ***}. */
    private static String maskUserInfo(String url) {
        int scheme = url.indexOf("://");
        int start = scheme < 0 ? 0 : scheme + 3;
        int at = url.lastIndexOf('@');
        return at < start ? url : url.substring(0, start) + "***" + url.substring(at);
    }

    private static String truncate(String s) {
        return s.length() <= MAX_ECHO ? s : s.substring(0, MAX_ECHO) + "...";
    }

    private static String parseString(Raw r) {
        return r == null ? null : r.text();
    }

    private static String parseHost(Raw r) {
        Key k = Key.HOST;
        if (r.text().chars().anyMatch(Character::isWhitespace)) {
            throw invalid(k, r, "a host name or IP address without spaces");
        }
        return r.text();
    }

    private static long parseInt(Key k, Raw r) {
        long v;
        try {
            v = Long.parseLong(r.text());
        } catch (NumberFormatException e) {
            throw invalid(k, r, "an integer " + k.min + "-" + k.max);
        }
        if (v < k.min || v > k.max) {
            throw invalid(k, r, "an integer " + k.min + "-" + k.max);
        }
        return v;
    }

    private static Duration parseDuration(Key k, Raw r) {
        Duration d = Durations.parse(r.text());
        Duration min = Duration.ofMillis(k.min);
        Duration max = k.max == Long.MAX_VALUE ? null : Duration.ofMillis(k.max);
        if (d == null || d.compareTo(min) < 0 || (max != null && d.compareTo(max) > 0)) {
            String range = max == null ? ">= " + Durations.format(min)
                    : Durations.format(min) + "-" + Durations.format(max);
            throw invalid(k, r, "a duration " + range + " (" + Durations.FORMS + ")");
        }
        return d;
    }

    private static long parseSize(Key k, Raw r) {
        long v = Sizes.parse(r.text());
        if (v < k.min || v > k.max) {
            throw invalid(k, r, "a size " + Sizes.format(k.min) + "-" + Sizes.format(k.max) + " (" + Sizes.FORMS + ")");
        }
        return v;
    }

    private static String parseName(Key k, Pattern pattern, Raw r) {
        if (!pattern.matcher(r.text()).matches()) {
            throw invalid(k, r, "1-64 characters of " + pattern.pattern().replace("{1,64}", ""));
        }
        return r.text();
    }

    private static URI parseWebhookUrl(Raw r) {
        Key k = Key.FALLBACK_WEBHOOK_URL;
        String expected = "an absolute http or https URL such as https://hooks.example.com/eventgate";
        URI uri;
        try {
            uri = new URI(r.text());
        } catch (URISyntaxException e) {
            throw invalid(k, r, expected);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw invalid(k, r, expected);
        }
        return uri;
    }

    private static String parseDbUrl(Raw r) {
        if (!r.text().startsWith(DB_URL_PREFIX)) {
            throw invalid(Key.DB_URL, r, "a PostgreSQL JDBC URL starting with " + DB_URL_PREFIX
                    + ", e.g. jdbc:postgresql://db:5432/eventgate");
        }
        return r.text();
    }

    private static String parseRedisUrl(Raw r) {
        if (!(r.text().startsWith("redis://") || r.text().startsWith("rediss://"))) {
            throw invalid(Key.REDIS_URL, r, "a Redis URL starting with redis:// or rediss:// (TLS), "
                    + "e.g. redis://redis:6379");
        }
        return r.text();
    }

    private static boolean parseBoolean(Raw r) {
        return switch (r.text().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw invalid(Key.NAMESPACE_ACK, r, "true/false/yes/no/1/0");
        };
    }

    private static LogFormat parseLogFormat(Raw r) {
        return switch (r.text().toLowerCase(Locale.ROOT)) {
            case "text" -> LogFormat.TEXT;
            case "json" -> LogFormat.JSON;
            default -> throw invalid(Key.LOG_FORMAT, r, "text or json");
        };
    }

    private static Visibility parseVisibility(Raw r) {
        return switch (r.text().toLowerCase(Locale.ROOT)) {
            case "public" -> Visibility.PUBLIC;
            case "private" -> Visibility.PRIVATE;
            case "owner" -> Visibility.OWNER;
            default -> throw invalid(Key.NAMESPACE_VISIBILITY, r, "public, private or owner");
        };
    }

    private static Path parsePath(Key k, Raw r) {
        try {
            return Path.of(r.text());
        } catch (InvalidPathException e) {
            throw invalid(k, r, "a file path");
        }
    }

    /** Validates a secret's length; returns the stripped value, or null if blank. Never echoes the value. */
    static String checkSecret(Key k, String value, String origin) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.strip();
        if (k == Key.JWT_SECRET) {
            int bytes = v.getBytes(StandardCharsets.UTF_8).length;
            if (bytes < k.min) {
                throw new ConfigException(k.keyName, "expected at least " + k.min + " bytes (UTF-8), got <redacted> ("
                        + bytes + " bytes)" + origin);
            }
        } else {
            int chars = v.codePointCount(0, v.length());
            if (chars < k.min) {
                throw new ConfigException(k.keyName, "expected at least " + k.min + " characters, got <redacted> ("
                        + chars + " characters)" + origin);
            }
        }
        return v;
    }

    private static List<String> parseOrigins(Raw r) {
        Key k = Key.ALLOWED_ORIGINS;
        Set<String> out = new LinkedHashSet<>();
        for (String part : r.text().split(",")) {
            String entry = part.strip();
            if (entry.isEmpty()) {
                continue;
            }
            if (entry.equals("*")) {
                out.add(entry);
                continue;
            }
            String normalized = normalizeOrigin(entry);
            if (normalized == null) {
                throw new ConfigException(k.keyName, "expected comma-separated origins such as https://app.example.com "
                        + "(scheme://host[:port], no path) or *, got \"" + truncate(entry) + "\"" + r.origin());
            }
            out.add(normalized);
        }
        return List.copyOf(out);
    }

    private static String normalizeOrigin(String entry) {
        URI uri;
        try {
            uri = new URI(entry);
        } catch (URISyntaxException e) {
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null || uri.getRawUserInfo() != null
                || !(uri.getRawPath() == null || uri.getRawPath().isEmpty())
                || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            return null;
        }
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
    }

    private static String readPem(Path path, String origin) {
        String key = Key.JWT_PUBLIC_KEY_FILE.keyName;
        byte[] bytes;
        try (InputStream in = Files.newInputStream(path)) {
            bytes = in.readNBytes(MAX_PEM_BYTES + 1);
        } catch (IOException e) {
            throw new ConfigException(key, "cannot read \"" + path + "\"" + origin + ": " + describe(e), e);
        }
        if (bytes.length > MAX_PEM_BYTES) {
            throw new ConfigException(key, "\"" + path + "\"" + origin + " is larger than "
                    + Sizes.format(MAX_PEM_BYTES) + "; expected a PEM public key");
        }
        String pem = new String(bytes, StandardCharsets.UTF_8);
        if (!pem.contains("-----BEGIN ")) {
            throw new ConfigException(key, "\"" + path + "\"" + origin
                    + " has no PEM block; expected -----BEGIN PUBLIC KEY----- or -----BEGIN CERTIFICATE-----");
        }
        return pem;
    }
}
