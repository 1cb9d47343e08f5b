package io.eventgate.server.config;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigLoaderTest {
    static final String SECRET = "0123456789abcdef0123456789abcdef"; // 32 bytes
    static final String API_KEY = "api-key-0123456789";
    static final String PEM = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";

    @TempDir
    Path dir;

    /** Key/value pairs to a map. */
    static Map<String, String> env(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    static ConfigException refused(Map<String, String> values) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.fromMap(values));
    }

    Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    @Nested
    class Defaults {
        @Test
        void everyKeyHasItsDocumentedDefault() {
            GatewayConfig c = GatewayConfig.defaults();
            assertAll(
                    () -> assertEquals("0.0.0.0", c.host()),
                    () -> assertEquals(8080, c.port()),
                    () -> assertNull(c.jwtSecret()),
                    () -> assertNull(c.jwtPublicKeyFile()),
                    () -> assertNull(c.jwtPublicKeyPem()),
                    () -> assertNull(c.jwtIssuer()),
                    () -> assertNull(c.jwtAudience()),
                    () -> assertEquals(Duration.ofSeconds(5), c.jwtLeeway()),
                    () -> assertNull(c.apiKey()),
                    () -> assertEquals(Duration.ofSeconds(30), c.heartbeatInterval()),
                    () -> assertEquals(Duration.ofSeconds(75), c.idleTimeout()),
                    () -> assertEquals(List.of(), c.allowedOrigins()),
                    () -> assertTrue(c.anyOriginAllowed()),
                    () -> assertEquals(64 * 1024, c.maxFrameBytes()),
                    () -> assertEquals(1024 * 1024, c.maxBodyBytes()),
                    () -> assertEquals(100, c.rateLimitPerMinute()),
                    () -> assertEquals(20, c.rateLimitBurst()),
                    () -> assertEquals(50, c.rateLimitCloseAfter()),
                    () -> assertEquals(8 * 1024, c.writeBufferLowBytes()),
                    () -> assertEquals(32 * 1024, c.writeBufferHighBytes()),
                    () -> assertEquals(1024 * 1024, c.maxPendingBytes()),
                    () -> assertEquals(Duration.ofSeconds(10), c.shutdownTimeout()),
                    () -> assertEquals(0, c.ioThreads()),
                    () -> assertEquals(LogFormat.TEXT, c.logFormat()),
                    () -> assertEquals(Duration.ofSeconds(10), c.ackTimeout()),
                    () -> assertEquals(3, c.maxRedeliveries()),
                    () -> assertEquals(Duration.ofSeconds(60), c.pendingTtl()),
                    () -> assertEquals(1000, c.maxPendingPerConnection()),
                    () -> assertEquals(10_000, c.maxPendingPerUser()),
                    () -> assertEquals(Duration.ofMinutes(10), c.sessionTtl()),
                    () -> assertEquals(1_000_000, c.maxSessions()),
                    () -> assertNull(c.fallbackWebhookUrl()),
                    () -> assertNull(c.fallbackWebhookSecret()),
                    () -> assertEquals(5, c.fallbackMaxAttempts()),
                    () -> assertEquals(10_000, c.fallbackQueueSize()),
                    () -> assertNull(c.dbUrl()),
                    () -> assertNull(c.dbUser()),
                    () -> assertNull(c.dbPassword()),
                    () -> assertEquals(8, c.dbPoolSize()),
                    () -> assertEquals(500, c.dbBatchSize()),
                    () -> assertEquals(100_000, c.dbBufferSize()),
                    () -> assertTrue(c.nodeId().matches("node-[a-z0-9]{8}"), c.nodeId()),
                    () -> assertNull(c.redisUrl()),
                    () -> assertEquals("gateway", c.redisPrefix()),
                    () -> assertEquals(Duration.ofSeconds(1), c.outboxPollInterval()),
                    () -> assertEquals(Duration.ofHours(24), c.redisDedupeTtl()),
                    () -> assertTrue(c.developmentMode()),
                    () -> assertEquals(List.of(), c.unknownKeys()),
                    () -> assertNull(c.configFile()));
        }

        @Test
        void builtInNamespacesAndDefaultNamespace() {
            GatewayConfig c = GatewayConfig.defaults();
            Duration tenMinutes = Duration.ofMinutes(10);
            assertEquals(Map.of(
                    "user", new NamespaceConfig("user", Visibility.OWNER, 1000, tenMinutes, true),
                    "public", new NamespaceConfig("public", Visibility.PUBLIC, 1000, tenMinutes, false),
                    "market", new NamespaceConfig("market", Visibility.PUBLIC, 1000, tenMinutes, false)),
                    c.namespaces());
            assertEquals(new NamespaceConfig("default", Visibility.PRIVATE, 1000, tenMinutes, false), c.defaultNamespace());
            assertEquals(new NamespaceConfig("chat", Visibility.PRIVATE, 1000, tenMinutes, false), c.namespace("chat"));
            assertEquals(Visibility.PUBLIC, c.namespace("market").visibility());
        }

        @Test
        void defaultsAreTheSameAsAnEmptyEnvironment() {
            assertEquals(GatewayConfig.defaults(), ConfigLoader.load(Map.of()));
            assertEquals(GatewayConfig.defaults(), ConfigLoader.load(env("PATH", "/usr/bin", "HOME", "/root")));
        }

        @Test
        void collectionsAreUnmodifiable() {
            GatewayConfig c = ConfigLoader.fromMap(env("GATEWAY_ALLOWED_ORIGINS", "https://a.example.com"));
            assertThrows(UnsupportedOperationException.class, () -> c.allowedOrigins().add("*"));
            assertThrows(UnsupportedOperationException.class, () -> c.namespaces().remove("user"));
            assertThrows(UnsupportedOperationException.class, () -> c.unknownKeys().add("X"));
        }
    }

    @Nested
    class Sources {
        @Test
        void fileValuesAreApplied() throws IOException {
            Path file = write("gateway.properties", """
                    # comment
                    GATEWAY_PORT=9090
                    GATEWAY_HOST = 127.0.0.1
                    GATEWAY_LOG_FORMAT=json
                    GATEWAY_NAMESPACE_ORDERS_ACK=yes
                    """);
            GatewayConfig c = ConfigLoader.load(env("GATEWAY_CONFIG_FILE", file.toString()));
            assertEquals(9090, c.port());
            assertEquals("127.0.0.1", c.host());
            assertEquals(LogFormat.JSON, c.logFormat());
            assertTrue(c.namespace("orders").ackRequired());
            assertEquals(file, c.configFile());
        }

        @Test
        void environmentOverridesFileWhichOverridesDefaults() throws IOException {
            Path file = write("gateway.properties", "GATEWAY_PORT=9090\nGATEWAY_RATE_LIMIT_BURST=7\n");
            GatewayConfig c = ConfigLoader.load(env("GATEWAY_CONFIG_FILE", file.toString(), "GATEWAY_PORT", "7070"));
            assertEquals(7070, c.port());
            assertEquals(7, c.rateLimitBurst());
            assertEquals(100, c.rateLimitPerMinute());
        }

        @Test
        void blankEnvironmentValueDoesNotHideFileValue() throws IOException {
            Path file = write("gateway.properties", "GATEWAY_PORT=9090\n");
            GatewayConfig c = ConfigLoader.load(env("GATEWAY_CONFIG_FILE", file.toString(), "GATEWAY_PORT", "  "));
            assertEquals(9090, c.port());
        }

        @Test
        void fromMapDoesNotReadAConfigFile() throws IOException {
            Path file = write("gateway.properties", "GATEWAY_PORT=9090\n");
            GatewayConfig c = ConfigLoader.fromMap(env("GATEWAY_CONFIG_FILE", file.toString()));
            assertEquals(8080, c.port());
            assertNull(c.configFile());
        }

        @Test
        void missingFileIsRefusedNamingConfigFileKey() {
            Path missing = dir.resolve("nope.properties");
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.load(env("GATEWAY_CONFIG_FILE", missing.toString())));
            assertEquals("GATEWAY_CONFIG_FILE", e.key());
            assertTrue(e.getMessage().startsWith("GATEWAY_CONFIG_FILE: "), e.getMessage());
            assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        }

        @Test
        void directoryAsFileIsRefused() {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.load(env("GATEWAY_CONFIG_FILE", dir.toString())));
            assertEquals("GATEWAY_CONFIG_FILE", e.key());
        }

        @Test
        void unknownKeyInFileIsRefused() throws IOException {
            Path file = write("gateway.properties", "GATEWAY_PORT=9090\nGATEWAY_PROT=9091\n");
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.load(env("GATEWAY_CONFIG_FILE", file.toString())));
            assertEquals("GATEWAY_PROT", e.key());
            assertTrue(e.getMessage().contains("unknown key"), e.getMessage());
            assertTrue(e.getMessage().contains("docs/CONFIGURATION.md"), e.getMessage());
        }

        @Test
        void keyWithoutGatewayPrefixInFileIsRefused() throws IOException {
            Path file = write("gateway.properties", "port=9090\n");
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.load(env("GATEWAY_CONFIG_FILE", file.toString())));
            assertEquals("port", e.key());
        }

        @Test
        void unknownNamespaceSettingInFileIsRefused() throws IOException {
            Path file = write("gateway.properties", "GATEWAY_NAMESPACE_MARKET_HISTORY=5\n");
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.load(env("GATEWAY_CONFIG_FILE", file.toString())));
            assertEquals("GATEWAY_NAMESPACE_MARKET_HISTORY", e.key());
        }

        @Test
        void keySetTwiceInFileIsRefused() throws IOException {
            Path file = write("gateway.properties", "GATEWAY_PORT=9090\nGATEWAY_PORT=9091\n");
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.load(env("GATEWAY_CONFIG_FILE", file.toString())));
            assertEquals("GATEWAY_PORT", e.key());
            assertTrue(e.getMessage().contains("more than once"), e.getMessage());
        }

        @Test
        void configFileKeyInsideFileIsRefused() throws IOException {
            Path file = write("gateway.properties", "GATEWAY_CONFIG_FILE=/other.properties\n");
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.load(env("GATEWAY_CONFIG_FILE", file.toString())));
            assertEquals("GATEWAY_CONFIG_FILE", e.key());
        }

        @Test
        void unknownEnvironmentKeysAreReportedNotRefused() {
            GatewayConfig c = ConfigLoader.load(env(
                    "GATEWAY_PROT", "1", "GATEWAY_VERSION", "3", "GATEWAY_NAMESPACE_X_COLOR", "red",
                    "HOME", "/root", "gateway_port", "1"));
            assertEquals(List.of("GATEWAY_NAMESPACE_X_COLOR", "GATEWAY_PROT", "GATEWAY_VERSION"), c.unknownKeys());
            assertEquals(8080, c.port());
            assertFalse(c.namespaces().containsKey("x"));
        }

        @Test
        void invalidValueFromFileNamesKeyAndFile() throws IOException {
            Path file = write("gateway.properties", "GATEWAY_MAX_FRAME_SIZE=64\n");
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.load(env("GATEWAY_CONFIG_FILE", file.toString())));
            assertEquals("GATEWAY_MAX_FRAME_SIZE: expected a size 1KiB-16MiB (e.g. 65536, 64KiB or 1MiB; "
                    + "KB = KiB = 1024 bytes), got \"64\" (in config file " + file + ")", e.getMessage());
        }
    }

    @Nested
    class Formats {
        @ParameterizedTest
        @CsvSource({"500ms, PT0.5S", "30s, PT30S", "10m, PT10M", "1h, PT1H", "2d, PT48H", "PT30S, PT30S",
                "pt1m30s, PT1M30S", "45, PT45S", "0, PT0S"})
        void durationForms(String text, String iso) {
            GatewayConfig c = ConfigLoader.fromMap(env("GATEWAY_NAMESPACE_DEFAULT_HISTORY_TTL", text));
            assertEquals(Duration.parse(iso), c.defaultNamespace().historyTtl());
        }

        @ParameterizedTest
        @ValueSource(strings = {"10 minutes", "-5s", "1.5s", "PT-1S", "5x", "s", "1h30m"})
        void invalidDurationsAreRefused(String text) {
            ConfigException e = refused(env("GATEWAY_NAMESPACE_DEFAULT_HISTORY_TTL", text));
            assertEquals("GATEWAY_NAMESPACE_DEFAULT_HISTORY_TTL", e.key());
            assertTrue(e.getMessage().contains("expected a duration"), e.getMessage());
            assertTrue(e.getMessage().contains("got \"" + text + "\""), e.getMessage());
        }

        @ParameterizedTest
        @CsvSource({"65536, 65536", "64KiB, 65536", "64KB, 65536", "64kb, 65536", "64 KiB, 65536",
                "1MiB, 1048576", "1MB, 1048576", "2048B, 2048"})
        void sizeForms(String text, int bytes) {
            assertEquals(bytes, ConfigLoader.fromMap(env("GATEWAY_MAX_FRAME_SIZE", text)).maxFrameBytes());
        }

        @ParameterizedTest
        @ValueSource(strings = {"64K", "1.5MiB", "-1KiB", "lots", "99999999999999999999"})
        void invalidSizesAreRefused(String text) {
            assertEquals("GATEWAY_MAX_BODY_SIZE", refused(env("GATEWAY_MAX_BODY_SIZE", text)).key());
        }

        @ParameterizedTest
        @CsvSource({"true, true", "yes, true", "1, true", "YES, true", "false, false", "no, false", "0, false"})
        void booleanForms(String text, boolean expected) {
            assertEquals(expected, ConfigLoader.fromMap(env("GATEWAY_NAMESPACE_USER_ACK", text)).namespace("user").ackRequired());
        }

        @Test
        void invalidBooleanIsRefused() {
            ConfigException e = refused(env("GATEWAY_NAMESPACE_USER_ACK", "maybe"));
            assertEquals("GATEWAY_NAMESPACE_USER_ACK: expected true/false/yes/no/1/0, got \"maybe\"", e.getMessage());
        }

        @Test
        void listsAreTrimmedWithEmptiesDroppedAndOriginsNormalised() {
            GatewayConfig c = ConfigLoader.fromMap(env("GATEWAY_ALLOWED_ORIGINS",
                    " https://app.example.com , ,HTTPS://Admin.Example.com:8443,, "));
            assertEquals(List.of("https://app.example.com", "https://admin.example.com:8443"), c.allowedOrigins());
            assertFalse(c.anyOriginAllowed());
            assertTrue(ConfigLoader.fromMap(env("GATEWAY_ALLOWED_ORIGINS", "*")).anyOriginAllowed());
            assertEquals(List.of(), ConfigLoader.fromMap(env("GATEWAY_ALLOWED_ORIGINS", " , ")).allowedOrigins());
        }

        @ParameterizedTest
        @ValueSource(strings = {"https://app.example.com/", "app.example.com", "ftp://x.example.com", "https://*.example.com",
                "https://a.example.com/path"})
        void malformedOriginsAreRefused(String origin) {
            ConfigException e = refused(env("GATEWAY_ALLOWED_ORIGINS", "https://ok.example.com," + origin));
            assertEquals("GATEWAY_ALLOWED_ORIGINS", e.key());
            assertTrue(e.getMessage().contains("\"" + origin + "\""), e.getMessage());
        }

        @Test
        void logFormatIsCaseInsensitive() {
            assertEquals(LogFormat.JSON, ConfigLoader.fromMap(env("GATEWAY_LOG_FORMAT", "JSON")).logFormat());
        }
    }

    @Nested
    class Validation {
        @Test
        void invalidIntegerMessageNamesKeyRangeAndValue() {
            assertEquals("GATEWAY_PORT: expected an integer 0-65535, got \"abc\"",
                    refused(env("GATEWAY_PORT", "abc")).getMessage());
            assertEquals("GATEWAY_PORT: expected an integer 0-65535, got \"65536\"",
                    refused(env("GATEWAY_PORT", "65536")).getMessage());
        }

        @Test
        void portZeroMeansEphemeral() {
            assertEquals(0, ConfigLoader.fromMap(env("GATEWAY_PORT", "0")).port());
        }

        @ParameterizedTest
        @CsvSource({
                "GATEWAY_HOST, 'my host'",
                "GATEWAY_JWT_LEEWAY, 11m",
                "GATEWAY_HEARTBEAT_INTERVAL, 500ms",
                "GATEWAY_HEARTBEAT_INTERVAL, 2h",
                "GATEWAY_MAX_FRAME_SIZE, 17MiB",
                "GATEWAY_MAX_FRAME_SIZE, 1000",
                "GATEWAY_MAX_BODY_SIZE, 65MiB",
                "GATEWAY_RATE_LIMIT_PER_MINUTE, 0",
                "GATEWAY_RATE_LIMIT_PER_MINUTE, 1000001",
                "GATEWAY_RATE_LIMIT_BURST, 100001",
                "GATEWAY_RATE_LIMIT_CLOSE_AFTER, 0",
                "GATEWAY_SHUTDOWN_TIMEOUT, 11m",
                "GATEWAY_IO_THREADS, 257",
                "GATEWAY_IO_THREADS, -1",
                "GATEWAY_LOG_FORMAT, xml",
                "GATEWAY_MAX_PENDING_BYTES, 2GiB",
                "GATEWAY_NAMESPACE_MARKET_VISIBILITY, secret",
                "GATEWAY_NAMESPACE_MARKET_HISTORY_SIZE, 1000001",
                "GATEWAY_NAMESPACE_MARKET_HISTORY_SIZE, -1",
                "GATEWAY_ACK_TIMEOUT, 99ms",
                "GATEWAY_ACK_TIMEOUT, 11m",
                "GATEWAY_ACK_TIMEOUT, soon",
                "GATEWAY_MAX_REDELIVERIES, -1",
                "GATEWAY_MAX_REDELIVERIES, 101",
                "GATEWAY_PENDING_TTL, 999ms",
                "GATEWAY_PENDING_TTL, 8d",
                "GATEWAY_MAX_PENDING_PER_CONNECTION, 0",
                "GATEWAY_MAX_PENDING_PER_CONNECTION, 1000001",
                "GATEWAY_MAX_PENDING_PER_USER, 0",
                "GATEWAY_MAX_PENDING_PER_USER, 10000001",
                "GATEWAY_SESSION_TTL, 500ms",
                "GATEWAY_SESSION_TTL, 8d",
                "GATEWAY_MAX_SESSIONS, 0",
                "GATEWAY_MAX_SESSIONS, 100000001",
                "GATEWAY_FALLBACK_WEBHOOK_URL, ftp://hooks.example.com/eventgate",
                "GATEWAY_FALLBACK_WEBHOOK_URL, hooks.example.com/eventgate",
                "GATEWAY_FALLBACK_WEBHOOK_URL, /eventgate",
                "GATEWAY_FALLBACK_WEBHOOK_URL, https://hooks example.com/",
                "GATEWAY_FALLBACK_WEBHOOK_URL, https:///eventgate",
                "GATEWAY_FALLBACK_MAX_ATTEMPTS, 0",
                "GATEWAY_FALLBACK_MAX_ATTEMPTS, 101",
                "GATEWAY_FALLBACK_QUEUE_SIZE, 0",
                "GATEWAY_FALLBACK_QUEUE_SIZE, 1000001",
                "GATEWAY_DB_URL, jdbc:mysql://db:3306/eventgate",
                "GATEWAY_DB_URL, db:5432/eventgate",
                "GATEWAY_DB_URL, JDBC:POSTGRESQL://db/eventgate",
                "GATEWAY_DB_POOL_SIZE, 0",
                "GATEWAY_DB_POOL_SIZE, 101",
                "GATEWAY_DB_BATCH_SIZE, 0",
                "GATEWAY_DB_BATCH_SIZE, 10001",
                "GATEWAY_DB_BUFFER_SIZE, 99",
                "GATEWAY_DB_BUFFER_SIZE, 10000001",
                "GATEWAY_NODE_ID, node 1",
                "GATEWAY_NODE_ID, node:1",
                "GATEWAY_NODE_ID, nöde",
                "GATEWAY_NODE_ID, 01234567890123456789012345678901234567890123456789012345678901234",
                "GATEWAY_REDIS_URL, http://redis:6379",
                "GATEWAY_REDIS_URL, redis:6379",
                "GATEWAY_REDIS_URL, REDIS://redis:6379",
                "GATEWAY_REDIS_PREFIX, my prefix",
                "GATEWAY_REDIS_PREFIX, app/1",
                "GATEWAY_REDIS_PREFIX, 01234567890123456789012345678901234567890123456789012345678901234",
                "GATEWAY_OUTBOX_POLL_INTERVAL, 9ms",
                "GATEWAY_OUTBOX_POLL_INTERVAL, 11m",
                "GATEWAY_REDIS_DEDUPE_TTL, 999ms",
                "GATEWAY_REDIS_DEDUPE_TTL, 8d",
                "GATEWAY_REDIS_DEDUPE_TTL, 1x",
        })
        void outOfRangeOrMalformedValuesNameKeyExpectedFormAndValue(String key, String value) {
            ConfigException e = refused(env(key, value));
            assertEquals(key, e.key());
            assertTrue(e.getMessage().startsWith(key + ": expected "), e.getMessage());
            assertTrue(e.getMessage().endsWith("got \"" + value + "\""), e.getMessage());
        }

        @Test
        void rangeBoundariesAreAccepted() {
            GatewayConfig c = ConfigLoader.fromMap(env(
                    "GATEWAY_JWT_LEEWAY", "0", "GATEWAY_HEARTBEAT_INTERVAL", "1s", "GATEWAY_MAX_FRAME_SIZE", "16MiB",
                    "GATEWAY_MAX_BODY_SIZE", "1KiB", "GATEWAY_IO_THREADS", "256", "GATEWAY_SHUTDOWN_TIMEOUT", "10m",
                    "GATEWAY_NAMESPACE_MARKET_HISTORY_SIZE", "0"));
            assertEquals(Duration.ZERO, c.jwtLeeway());
            assertEquals(16 * 1024 * 1024, c.maxFrameBytes());
            assertEquals(256, c.ioThreads());
            assertFalse(c.namespace("market").historyEnabled());
        }

        @Test
        void shortSecretsAreRefusedWithoutEchoingThem() {
            String shortSecret = "tooShortSecretValue";
            ConfigException e = refused(env("GATEWAY_JWT_SECRET", shortSecret, "GATEWAY_API_KEY", API_KEY));
            assertEquals("GATEWAY_JWT_SECRET", e.key());
            assertTrue(e.getMessage().contains("<redacted>"), e.getMessage());
            assertFalse(e.getMessage().contains(shortSecret), e.getMessage());

            String shortKey = "shortApiKey";
            ConfigException e2 = refused(env("GATEWAY_JWT_SECRET", SECRET, "GATEWAY_API_KEY", shortKey));
            assertEquals("GATEWAY_API_KEY", e2.key());
            assertTrue(e2.getMessage().contains("<redacted>"), e2.getMessage());
            assertFalse(e2.getMessage().contains(shortKey), e2.getMessage());
        }

        @Test
        void toStringListsEveryKeyAndRedactsSecrets() {
            GatewayConfig c = ConfigLoader.fromMap(env("GATEWAY_JWT_SECRET", SECRET, "GATEWAY_API_KEY", API_KEY,
                    "GATEWAY_NAMESPACE_ORDER__BOOK_ACK", "true"));
            String s = c.toString();
            assertFalse(s.contains(SECRET), s);
            assertFalse(s.contains(API_KEY), s);
            assertTrue(s.contains("GATEWAY_JWT_SECRET=<redacted>"), s);
            assertTrue(s.contains("GATEWAY_API_KEY=<redacted>"), s);
            assertTrue(s.contains("GATEWAY_PORT=8080"), s);
            assertTrue(s.contains("GATEWAY_NAMESPACE_ORDER__BOOK_ACK=true"), s);
            for (ConfigKey k : ConfigLoader.keys()) {
                String name = k.isNamespacePattern() ? k.name().replace("<NAME>", "DEFAULT") : k.name();
                assertTrue(s.contains(name + "="), name + " missing in " + s);
            }
        }

        @Test
        void toStringRedactsNewSecretsAndCredentialsInUrls() {
            String hookSecret = "hook-secret-0123456789";
            String dbPassword = "db-password-42";
            GatewayConfig c = ConfigLoader.fromMap(env(
                    "GATEWAY_FALLBACK_WEBHOOK_URL", "https://ops:hookpass1@hooks.example.com/gw?token=tok123&src=gw",
                    "GATEWAY_FALLBACK_WEBHOOK_SECRET", hookSecret,
                    "GATEWAY_DB_URL", "jdbc:postgresql://db:5432/app?user=gw&password=urlpass1&sslpassword=keypass1&ssl=true",
                    "GATEWAY_DB_USER", "gw", "GATEWAY_DB_PASSWORD", dbPassword,
                    "GATEWAY_REDIS_URL", "rediss://default:redispass1@redis:6380/0",
                    "GATEWAY_NODE_ID", "node-a"));
            String s = c.toString();
            for (String secret : List.of(hookSecret, dbPassword, "hookpass1", "tok123", "urlpass1", "keypass1", "redispass1")) {
                assertFalse(s.contains(secret), secret + " in " + s);
            }
            assertTrue(s.contains("GATEWAY_FALLBACK_WEBHOOK_SECRET=<redacted>"), s);
            assertTrue(s.contains("GATEWAY_DB_PASSWORD=<redacted>"), s);
            assertTrue(s.contains("GATEWAY_FALLBACK_WEBHOOK_URL=https://***@hooks.example.com/gw?token=<redacted>&src=gw"), s);
            assertTrue(s.contains("GATEWAY_DB_URL=jdbc:postgresql://db:5432/app?user=gw&password=<redacted>"
                    + "&sslpassword=<redacted>&ssl=true"), s);
            assertTrue(s.contains("GATEWAY_REDIS_URL=rediss://***@redis:6380/0"), s);
            assertTrue(s.contains("GATEWAY_DB_USER=gw"), s);
            assertTrue(s.contains("GATEWAY_NODE_ID=node-a"), s);
            // the accessors still give the real values
            assertEquals("rediss://default:redispass1@redis:6380/0", c.redisUrl());
            assertEquals(dbPassword, c.dbPassword());

            String defaults = GatewayConfig.defaults().toString();
            assertTrue(defaults.contains("GATEWAY_FALLBACK_WEBHOOK_SECRET=<unset>"), defaults);
            assertTrue(defaults.contains("GATEWAY_DB_PASSWORD=<unset>"), defaults);
            assertTrue(defaults.contains("GATEWAY_ACK_TIMEOUT=10s"), defaults);
            assertTrue(defaults.contains("GATEWAY_REDIS_PREFIX=gateway"), defaults);
        }

        @Test
        void secretKeysAreMarkedSecret() {
            Set<String> secret = new HashSet<>();
            ConfigLoader.keys().stream().filter(ConfigKey::secret).forEach(k -> secret.add(k.name()));
            assertEquals(Set.of("GATEWAY_JWT_SECRET", "GATEWAY_API_KEY", "GATEWAY_FALLBACK_WEBHOOK_SECRET",
                    "GATEWAY_DB_PASSWORD"), secret);
        }

        @Test
        void idleTimeoutNotAboveHeartbeatIsRefused() {
            ConfigException equal = refused(env("GATEWAY_IDLE_TIMEOUT", "30s"));
            assertEquals("GATEWAY_IDLE_TIMEOUT", equal.key());
            assertTrue(equal.getMessage().contains("GATEWAY_HEARTBEAT_INTERVAL"), equal.getMessage());
            assertEquals("GATEWAY_IDLE_TIMEOUT", refused(env("GATEWAY_IDLE_TIMEOUT", "10s", "GATEWAY_HEARTBEAT_INTERVAL", "20s")).key());
            // only the heartbeat was changed, so it is the one named
            assertEquals("GATEWAY_HEARTBEAT_INTERVAL", refused(env("GATEWAY_HEARTBEAT_INTERVAL", "2m")).key());
            assertEquals(Duration.ofSeconds(31),
                    ConfigLoader.fromMap(env("GATEWAY_IDLE_TIMEOUT", "31s")).idleTimeout());
        }

        @Test
        void lowWaterMarkNotBelowHighIsRefused() {
            ConfigException equal = refused(env("GATEWAY_WRITE_BUFFER_LOW", "32KiB"));
            assertEquals("GATEWAY_WRITE_BUFFER_LOW", equal.key());
            assertTrue(equal.getMessage().contains("GATEWAY_WRITE_BUFFER_HIGH"), equal.getMessage());
            assertEquals("GATEWAY_WRITE_BUFFER_LOW",
                    refused(env("GATEWAY_WRITE_BUFFER_LOW", "64KiB", "GATEWAY_WRITE_BUFFER_HIGH", "16KiB")).key());
            assertEquals("GATEWAY_WRITE_BUFFER_HIGH", refused(env("GATEWAY_WRITE_BUFFER_HIGH", "4KiB")).key());
            GatewayConfig ok = ConfigLoader.fromMap(env("GATEWAY_WRITE_BUFFER_LOW", "0", "GATEWAY_WRITE_BUFFER_HIGH", "1"));
            assertEquals(0, ok.writeBufferLowBytes());
            assertEquals(1, ok.writeBufferHighBytes());
        }

        @Test
        void maxPendingBelowHighWaterMarkIsRefused() {
            assertEquals("GATEWAY_MAX_PENDING_BYTES", refused(env("GATEWAY_MAX_PENDING_BYTES", "16KiB")).key());
            assertEquals("GATEWAY_WRITE_BUFFER_HIGH", refused(env("GATEWAY_WRITE_BUFFER_HIGH", "2MiB")).key());
            assertEquals(32 * 1024, ConfigLoader.fromMap(env("GATEWAY_MAX_PENDING_BYTES", "32KiB")).maxPendingBytes());
        }
    }

    @Nested
    class Delivery {
        static final String HOOK_SECRET = "hook-secret-0123456789";

        @Test
        void valuesAreApplied() {
            GatewayConfig c = ConfigLoader.fromMap(env(
                    "GATEWAY_ACK_TIMEOUT", "2s", "GATEWAY_MAX_REDELIVERIES", "0", "GATEWAY_PENDING_TTL", "5m",
                    "GATEWAY_MAX_PENDING_PER_CONNECTION", "64", "GATEWAY_MAX_PENDING_PER_USER", "500",
                    "GATEWAY_SESSION_TTL", "1h", "GATEWAY_MAX_SESSIONS", "1000",
                    "GATEWAY_FALLBACK_WEBHOOK_URL", "https://hooks.example.com/eventgate?source=gw",
                    "GATEWAY_FALLBACK_WEBHOOK_SECRET", HOOK_SECRET,
                    "GATEWAY_FALLBACK_MAX_ATTEMPTS", "10", "GATEWAY_FALLBACK_QUEUE_SIZE", "20"));
            assertAll(
                    () -> assertEquals(Duration.ofSeconds(2), c.ackTimeout()),
                    () -> assertEquals(0, c.maxRedeliveries()),
                    () -> assertEquals(Duration.ofMinutes(5), c.pendingTtl()),
                    () -> assertEquals(64, c.maxPendingPerConnection()),
                    () -> assertEquals(500, c.maxPendingPerUser()),
                    () -> assertEquals(Duration.ofHours(1), c.sessionTtl()),
                    () -> assertEquals(1000, c.maxSessions()),
                    () -> assertEquals(URI.create("https://hooks.example.com/eventgate?source=gw"), c.fallbackWebhookUrl()),
                    () -> assertEquals(HOOK_SECRET, c.fallbackWebhookSecret()),
                    () -> assertEquals(10, c.fallbackMaxAttempts()),
                    () -> assertEquals(20, c.fallbackQueueSize()));
        }

        @Test
        void rangeBoundariesAreAccepted() {
            GatewayConfig low = ConfigLoader.fromMap(env(
                    "GATEWAY_ACK_TIMEOUT", "100ms", "GATEWAY_MAX_REDELIVERIES", "0", "GATEWAY_PENDING_TTL", "1s",
                    "GATEWAY_MAX_PENDING_PER_CONNECTION", "1", "GATEWAY_MAX_PENDING_PER_USER", "1",
                    "GATEWAY_SESSION_TTL", "1s", "GATEWAY_MAX_SESSIONS", "1",
                    "GATEWAY_FALLBACK_MAX_ATTEMPTS", "1", "GATEWAY_FALLBACK_QUEUE_SIZE", "1"));
            assertEquals(Duration.ofMillis(100), low.ackTimeout());
            assertEquals(Duration.ofSeconds(1), low.pendingTtl());
            assertEquals(Duration.ofSeconds(1), low.sessionTtl());
            GatewayConfig high = ConfigLoader.fromMap(env(
                    "GATEWAY_ACK_TIMEOUT", "10m", "GATEWAY_MAX_REDELIVERIES", "100", "GATEWAY_PENDING_TTL", "7d",
                    "GATEWAY_MAX_PENDING_PER_CONNECTION", "1000000", "GATEWAY_MAX_PENDING_PER_USER", "10000000",
                    "GATEWAY_SESSION_TTL", "7d", "GATEWAY_MAX_SESSIONS", "100000000",
                    "GATEWAY_FALLBACK_MAX_ATTEMPTS", "100", "GATEWAY_FALLBACK_QUEUE_SIZE", "1000000"));
            assertEquals(Duration.ofMinutes(10), high.ackTimeout());
            assertEquals(100, high.maxRedeliveries());
            assertEquals(Duration.ofDays(7), high.pendingTtl());
            assertEquals(1_000_000, high.maxPendingPerConnection());
            assertEquals(10_000_000, high.maxPendingPerUser());
            assertEquals(Duration.ofDays(7), high.sessionTtl());
            assertEquals(100_000_000, high.maxSessions());
            assertEquals(100, high.fallbackMaxAttempts());
            assertEquals(1_000_000, high.fallbackQueueSize());
        }

        @Test
        void pendingTtlBelowAckTimeoutIsRefusedNamingTheChangedKey() {
            // only the ACK timeout was changed (above the default TTL of 60s), so it is the one named
            ConfigException ack = refused(env("GATEWAY_ACK_TIMEOUT", "2m"));
            assertEquals("GATEWAY_ACK_TIMEOUT: must not exceed GATEWAY_PENDING_TTL (1m), got \"2m\"", ack.getMessage());
            ConfigException ttl = refused(env("GATEWAY_PENDING_TTL", "5s"));
            assertEquals("GATEWAY_PENDING_TTL: must be at least GATEWAY_ACK_TIMEOUT (10s), got \"5s\"", ttl.getMessage());
            assertEquals("GATEWAY_PENDING_TTL",
                    refused(env("GATEWAY_ACK_TIMEOUT", "30s", "GATEWAY_PENDING_TTL", "20s")).key());
            // equal is fine
            assertEquals(Duration.ofSeconds(60), ConfigLoader.fromMap(env("GATEWAY_ACK_TIMEOUT", "1m")).ackTimeout());
            assertEquals(Duration.ofSeconds(10), ConfigLoader.fromMap(env("GATEWAY_PENDING_TTL", "10s")).pendingTtl());
            GatewayConfig both = ConfigLoader.fromMap(env("GATEWAY_ACK_TIMEOUT", "2m", "GATEWAY_PENDING_TTL", "2m"));
            assertEquals(both.ackTimeout(), both.pendingTtl());
        }

        @Test
        void plainHttpWebhookIsAccepted() {
            GatewayConfig c = ConfigLoader.fromMap(env("GATEWAY_FALLBACK_WEBHOOK_URL", "http://hooks.internal:8080/gw",
                    "GATEWAY_FALLBACK_WEBHOOK_SECRET", HOOK_SECRET));
            assertEquals(URI.create("http://hooks.internal:8080/gw"), c.fallbackWebhookUrl());
        }

        @Test
        void webhookUrlRequiresTheSecret() {
            ConfigException e = refused(env("GATEWAY_FALLBACK_WEBHOOK_URL", "https://hooks.example.com/eventgate"));
            assertEquals("GATEWAY_FALLBACK_WEBHOOK_SECRET", e.key());
            assertTrue(e.getMessage().contains("required because GATEWAY_FALLBACK_WEBHOOK_URL is set"), e.getMessage());
            // a blank secret counts as unset
            assertEquals("GATEWAY_FALLBACK_WEBHOOK_SECRET", refused(env(
                    "GATEWAY_FALLBACK_WEBHOOK_URL", "https://hooks.example.com/eventgate",
                    "GATEWAY_FALLBACK_WEBHOOK_SECRET", "  ")).key());
        }

        @Test
        void shortWebhookSecretIsRefusedWithoutEchoingIt() throws IOException {
            String shortSecret = "hook-secret-123"; // 15 characters
            ConfigException e = refused(env("GATEWAY_FALLBACK_WEBHOOK_URL", "https://hooks.example.com/eventgate",
                    "GATEWAY_FALLBACK_WEBHOOK_SECRET", shortSecret));
            assertEquals("GATEWAY_FALLBACK_WEBHOOK_SECRET: expected at least 16 characters, got <redacted> (15 characters)",
                    e.getMessage());
            Path file = write("gateway.properties", "GATEWAY_FALLBACK_WEBHOOK_SECRET=" + shortSecret + "\n");
            ConfigException fromFile = assertThrows(ConfigException.class,
                    () -> ConfigLoader.load(env("GATEWAY_CONFIG_FILE", file.toString())));
            assertEquals("GATEWAY_FALLBACK_WEBHOOK_SECRET", fromFile.key());
            assertFalse(fromFile.getMessage().contains(shortSecret), fromFile.getMessage());
            assertTrue(fromFile.getMessage().contains(file.toString()), fromFile.getMessage());
        }

        @Test
        void invalidWebhookUrlIsEchoedWithoutCredentials() {
            ConfigException e = refused(env("GATEWAY_FALLBACK_WEBHOOK_URL", "ftp://ops:hunter2hunter2@files.example.com/x",
                    "GATEWAY_FALLBACK_WEBHOOK_SECRET", HOOK_SECRET));
            assertEquals("GATEWAY_FALLBACK_WEBHOOK_URL", e.key());
            assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
            assertTrue(e.getMessage().endsWith("got \"ftp://***@files.example.com/x\""), e.getMessage());
            assertFalse(e.getMessage().contains(HOOK_SECRET), e.getMessage());
        }
    }

    @Nested
    class Database {
        @Test
        void valuesAreApplied() {
            GatewayConfig c = ConfigLoader.fromMap(env(
                    "GATEWAY_DB_URL", "jdbc:postgresql://db:5432/eventgate?sslmode=require",
                    "GATEWAY_DB_USER", "gateway", "GATEWAY_DB_PASSWORD", "pw",
                    "GATEWAY_DB_POOL_SIZE", "16", "GATEWAY_DB_BATCH_SIZE", "1000", "GATEWAY_DB_BUFFER_SIZE", "250000"));
            assertAll(
                    () -> assertEquals("jdbc:postgresql://db:5432/eventgate?sslmode=require", c.dbUrl()),
                    () -> assertEquals("gateway", c.dbUser()),
                    () -> assertEquals("pw", c.dbPassword(), "no minimum length"),
                    () -> assertEquals(16, c.dbPoolSize()),
                    () -> assertEquals(1000, c.dbBatchSize()),
                    () -> assertEquals(250_000, c.dbBufferSize()));
        }

        @Test
        void rangeBoundariesAreAccepted() {
            GatewayConfig low = ConfigLoader.fromMap(env(
                    "GATEWAY_DB_POOL_SIZE", "1", "GATEWAY_DB_BATCH_SIZE", "1", "GATEWAY_DB_BUFFER_SIZE", "100"));
            assertEquals(1, low.dbPoolSize());
            assertEquals(1, low.dbBatchSize());
            assertEquals(100, low.dbBufferSize());
            GatewayConfig high = ConfigLoader.fromMap(env(
                    "GATEWAY_DB_POOL_SIZE", "100", "GATEWAY_DB_BATCH_SIZE", "10000", "GATEWAY_DB_BUFFER_SIZE", "10000000"));
            assertEquals(100, high.dbPoolSize());
            assertEquals(10_000, high.dbBatchSize());
            assertEquals(10_000_000, high.dbBufferSize());
        }

        @Test
        void invalidUrlIsEchoedOnlyUpToTheParameters() {
            ConfigException e = refused(env("GATEWAY_DB_URL", "jdbc:mysql://db/eventgate?user=gw&password=hunter2hunter2"));
            assertEquals("GATEWAY_DB_URL", e.key());
            assertTrue(e.getMessage().contains("jdbc:postgresql://"), e.getMessage());
            assertTrue(e.getMessage().endsWith("got \"jdbc:mysql://db/eventgate?...\""), e.getMessage());
            assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        }

        @Test
        void invalidUrlWithUserInfoIsEchoedWithoutIt() {
            // a libpq-style URL, not JDBC: the password must not appear in the message
            ConfigException e = refused(env("GATEWAY_DB_URL", "postgresql://gw:hunter2hunter2@db:5432/eventgate"));
            assertEquals("GATEWAY_DB_URL", e.key());
            assertTrue(e.getMessage().endsWith("got \"postgresql://***@db:5432/eventgate\""), e.getMessage());
            assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        }
    }

    @Nested
    class ScaleOut {
        @Test
        void valuesAreApplied() {
            GatewayConfig c = ConfigLoader.fromMap(env(
                    "GATEWAY_NODE_ID", "gw-eu_1.a", "GATEWAY_REDIS_URL", "rediss://:pw@redis.example.com:6380/2",
                    "GATEWAY_REDIS_PREFIX", "tenant-a:gw.1", "GATEWAY_OUTBOX_POLL_INTERVAL", "250ms",
                    "GATEWAY_REDIS_DEDUPE_TTL", "2h"));
            assertEquals("gw-eu_1.a", c.nodeId());
            assertEquals(Duration.ofHours(2), c.redisDedupeTtl());
            assertEquals("rediss://:pw@redis.example.com:6380/2", c.redisUrl());
            assertEquals("tenant-a:gw.1", c.redisPrefix());
            assertEquals(Duration.ofMillis(250), c.outboxPollInterval());
            assertEquals("redis://redis:6379", ConfigLoader.fromMap(env("GATEWAY_REDIS_URL", "redis://redis:6379")).redisUrl());
        }

        @Test
        void rangeBoundariesAreAccepted() {
            String sixtyFour = "a".repeat(64);
            GatewayConfig c = ConfigLoader.fromMap(env("GATEWAY_NODE_ID", sixtyFour, "GATEWAY_REDIS_PREFIX", sixtyFour,
                    "GATEWAY_OUTBOX_POLL_INTERVAL", "10ms", "GATEWAY_REDIS_DEDUPE_TTL", "1s"));
            assertEquals(sixtyFour, c.nodeId());
            assertEquals(Duration.ofSeconds(1), c.redisDedupeTtl());
            assertEquals(sixtyFour, c.redisPrefix());
            assertEquals(Duration.ofMillis(10), c.outboxPollInterval());
            GatewayConfig one = ConfigLoader.fromMap(env("GATEWAY_NODE_ID", "1", "GATEWAY_REDIS_PREFIX", ":",
                    "GATEWAY_OUTBOX_POLL_INTERVAL", "10m", "GATEWAY_REDIS_DEDUPE_TTL", "7d"));
            assertEquals("1", one.nodeId());
            assertEquals(Duration.ofDays(7), one.redisDedupeTtl());
            assertEquals(":", one.redisPrefix());
            assertEquals(Duration.ofMinutes(10), one.outboxPollInterval());
        }

        @Test
        void unsetNodeIdIsGeneratedOncePerProcess() {
            GatewayConfig a = GatewayConfig.defaults();
            GatewayConfig b = ConfigLoader.fromMap(env("GATEWAY_PORT", "0", "GATEWAY_NODE_ID", " "));
            assertTrue(a.nodeId().matches("node-[a-z0-9]{8}"), a.nodeId());
            assertEquals(a.nodeId(), b.nodeId());
            assertEquals(a.nodeId(), a.withGeneratedSecrets(SECRET, API_KEY).nodeId());
            assertEquals("node-7", ConfigLoader.fromMap(env("GATEWAY_NODE_ID", "node-7")).nodeId());
        }

        @Test
        void invalidRedisUrlIsEchoedWithoutThePassword() {
            ConfigException e = refused(env("GATEWAY_REDIS_URL", "http://default:hunter2hunter2@redis:6379/0"));
            assertEquals("GATEWAY_REDIS_URL", e.key());
            assertTrue(e.getMessage().contains("redis://"), e.getMessage());
            assertTrue(e.getMessage().endsWith("got \"http://***@redis:6379/0\""), e.getMessage());
            assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
            ConfigException noScheme = refused(env("GATEWAY_REDIS_URL", ":hunter2hunter2@redis:6379"));
            assertTrue(noScheme.getMessage().endsWith("got \"***@redis:6379\""), noScheme.getMessage());
        }
    }

    @Nested
    class Namespaces {
        @Test
        void namespaceKeysConfigureNamedNamespace() {
            GatewayConfig c = ConfigLoader.fromMap(env(
                    "GATEWAY_NAMESPACE_MARKET_VISIBILITY", "private",
                    "GATEWAY_NAMESPACE_MARKET_HISTORY_SIZE", "50",
                    "GATEWAY_NAMESPACE_ORDERS_HISTORY_TTL", "1h",
                    "GATEWAY_NAMESPACE_ORDERS_ACK", "true",
                    "GATEWAY_NAMESPACE_ORDER__BOOK_VISIBILITY", "public",
                    "GATEWAY_NAMESPACE_TRADE_LOG_VISIBILITY", "owner"));
            assertEquals(new NamespaceConfig("market", Visibility.PRIVATE, 50, Duration.ofMinutes(10), false),
                    c.namespace("market"));
            assertEquals(new NamespaceConfig("orders", Visibility.PRIVATE, 1000, Duration.ofHours(1), true),
                    c.namespaces().get("orders"));
            assertEquals(Visibility.PUBLIC, c.namespaces().get("order-book").visibility());
            assertEquals(Visibility.OWNER, c.namespaces().get("trade_log").visibility());
            assertEquals(Set.of("user", "public", "market", "orders", "order-book", "trade_log"), c.namespaces().keySet());
        }

        @Test
        void defaultAppliesToUnconfiguredAndPartlyConfiguredNamespacesButNotBuiltIns() {
            GatewayConfig c = ConfigLoader.fromMap(env(
                    "GATEWAY_NAMESPACE_DEFAULT_VISIBILITY", "public",
                    "GATEWAY_NAMESPACE_DEFAULT_HISTORY_SIZE", "5",
                    "GATEWAY_NAMESPACE_DEFAULT_ACK", "yes",
                    "GATEWAY_NAMESPACE_ORDERS_ACK", "no"));
            assertEquals(new NamespaceConfig("default", Visibility.PUBLIC, 5, Duration.ofMinutes(10), true),
                    c.defaultNamespace());
            assertEquals(new NamespaceConfig("chat", Visibility.PUBLIC, 5, Duration.ofMinutes(10), true), c.namespace("chat"));
            assertEquals(new NamespaceConfig("orders", Visibility.PUBLIC, 5, Duration.ofMinutes(10), false),
                    c.namespace("orders"));
            assertEquals(1000, c.namespace("user").historySize());
            assertEquals(1000, c.namespace("market").historySize());
            assertFalse(c.namespaces().containsKey("default"));
        }

        @Test
        void fileAndEnvironmentNamespaceKeysMergeWithEnvironmentFirst() throws IOException {
            Path file = write("gateway.properties",
                    "GATEWAY_NAMESPACE_ORDERS_HISTORY_SIZE=10\nGATEWAY_NAMESPACE_ORDERS_ACK=true\n");
            GatewayConfig c = ConfigLoader.load(env("GATEWAY_CONFIG_FILE", file.toString(),
                    "GATEWAY_NAMESPACE_ORDERS_HISTORY_SIZE", "20"));
            assertEquals(20, c.namespace("orders").historySize());
            assertTrue(c.namespace("orders").ackRequired());
        }

        @Test
        void userNamespaceVisibilityCanOnlyBeOwner() {
            ConfigException e = refused(env("GATEWAY_NAMESPACE_USER_VISIBILITY", "public"));
            assertEquals("GATEWAY_NAMESPACE_USER_VISIBILITY", e.key());
            assertTrue(e.getMessage().contains("the user namespace is always private to its owner"), e.getMessage());
            assertEquals("GATEWAY_NAMESPACE_USER_VISIBILITY", refused(env("GATEWAY_NAMESPACE_USER_VISIBILITY", "private")).key());
            GatewayConfig ok = ConfigLoader.fromMap(env("GATEWAY_NAMESPACE_USER_VISIBILITY", "OWNER",
                    "GATEWAY_NAMESPACE_USER_HISTORY_SIZE", "3"));
            assertEquals(new NamespaceConfig("user", Visibility.OWNER, 3, Duration.ofMinutes(10), true), ok.namespace("user"));
            // DEFAULT=public does not open the user namespace
            assertEquals(Visibility.OWNER, ConfigLoader.fromMap(env("GATEWAY_NAMESPACE_DEFAULT_VISIBILITY", "public"))
                    .namespace("user").visibility());
        }

        @ParameterizedTest
        @ValueSource(strings = {"GATEWAY_NAMESPACE_market_ACK", "GATEWAY_NAMESPACE_MAR.KET_ACK", "GATEWAY_NAMESPACE__ACK",
                "GATEWAY_NAMESPACE_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ACK"})
        void malformedNamespaceNamesAreRefused(String key) {
            ConfigException e = refused(env(key, "true"));
            assertEquals(key, e.key());
        }

        @Test
        void namespaceLookupFallsBackToDefaultWithTheName() {
            NamespaceConfig ns = GatewayConfig.defaults().namespace("sensors");
            assertEquals("sensors", ns.name());
            assertEquals(Visibility.PRIVATE, ns.visibility());
        }
    }

    @Nested
    class Auth {
        @Test
        void bothJwtSourcesAreRefused() throws IOException {
            Path pem = write("key.pem", PEM);
            ConfigException e = refused(env("GATEWAY_JWT_SECRET", SECRET, "GATEWAY_JWT_PUBLIC_KEY_FILE", pem.toString(),
                    "GATEWAY_API_KEY", API_KEY));
            assertTrue(e.getMessage().contains("set only one of GATEWAY_JWT_SECRET, GATEWAY_JWT_PUBLIC_KEY_FILE"),
                    e.getMessage());
            assertFalse(e.getMessage().contains(SECRET));
        }

        @Test
        void halfConfiguredAuthIsRefusedNamingTheMissingKey() throws IOException {
            Path pem = write("key.pem", PEM);
            assertEquals("GATEWAY_API_KEY", refused(env("GATEWAY_JWT_SECRET", SECRET)).key());
            assertEquals("GATEWAY_API_KEY", refused(env("GATEWAY_JWT_PUBLIC_KEY_FILE", pem.toString())).key());
            ConfigException e = refused(env("GATEWAY_API_KEY", API_KEY));
            assertEquals("GATEWAY_JWT_SECRET", e.key());
            assertTrue(e.getMessage().contains("GATEWAY_JWT_PUBLIC_KEY_FILE"), e.getMessage());
            assertFalse(e.getMessage().contains(API_KEY), e.getMessage());
        }

        @Test
        void secretAndApiKeyConfigureProductionMode() {
            GatewayConfig c = ConfigLoader.fromMap(env("GATEWAY_JWT_SECRET", SECRET, "GATEWAY_API_KEY", API_KEY,
                    "GATEWAY_JWT_ISSUER", "https://auth.example.com/", "GATEWAY_JWT_AUDIENCE", "eventgate"));
            assertFalse(c.developmentMode());
            assertEquals(SECRET, c.jwtSecret());
            assertEquals(API_KEY, c.apiKey());
            assertEquals("https://auth.example.com/", c.jwtIssuer());
            assertEquals("eventgate", c.jwtAudience());
        }

        @Test
        void publicKeyFileIsReadIntoPem() throws IOException {
            Path pem = write("key.pem", PEM);
            GatewayConfig c = ConfigLoader.fromMap(env("GATEWAY_JWT_PUBLIC_KEY_FILE", pem.toString(), "GATEWAY_API_KEY", API_KEY));
            assertFalse(c.developmentMode());
            assertEquals(pem, c.jwtPublicKeyFile());
            assertEquals(PEM, c.jwtPublicKeyPem());
            assertNull(c.jwtSecret());
        }

        @Test
        void unreadableOrNonPemPublicKeyFileIsRefused() throws IOException {
            Path missing = dir.resolve("missing.pem");
            ConfigException e = refused(env("GATEWAY_JWT_PUBLIC_KEY_FILE", missing.toString(), "GATEWAY_API_KEY", API_KEY));
            assertEquals("GATEWAY_JWT_PUBLIC_KEY_FILE", e.key());
            assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
            Path notPem = write("key.txt", "hello");
            assertEquals("GATEWAY_JWT_PUBLIC_KEY_FILE",
                    refused(env("GATEWAY_JWT_PUBLIC_KEY_FILE", notPem.toString(), "GATEWAY_API_KEY", API_KEY)).key());
        }

        @Test
        void developmentModeWhenNoAuthKeyIsSet() {
            assertTrue(GatewayConfig.defaults().developmentMode());
            assertTrue(ConfigLoader.fromMap(env("GATEWAY_JWT_ISSUER", "x", "GATEWAY_JWT_SECRET", " ")).developmentMode());
            assertFalse(ConfigLoader.fromMap(env("GATEWAY_JWT_SECRET", SECRET, "GATEWAY_API_KEY", API_KEY)).developmentMode());
        }

        @Test
        void generatedSecretsKeepDevelopmentMode() {
            GatewayConfig dev = GatewayConfig.defaults();
            GatewayConfig withSecrets = dev.withGeneratedSecrets(SECRET, API_KEY);
            assertTrue(withSecrets.developmentMode());
            assertEquals(SECRET, withSecrets.jwtSecret());
            assertEquals(API_KEY, withSecrets.apiKey());
            assertNull(dev.jwtSecret(), "original is unchanged");
            assertEquals(dev.port(), withSecrets.port());
            assertEquals(dev.namespaces(), withSecrets.namespaces());
            assertFalse(withSecrets.toString().contains(SECRET));

            ConfigException e = assertThrows(ConfigException.class, () -> dev.withGeneratedSecrets("short", API_KEY));
            assertEquals("GATEWAY_JWT_SECRET", e.key());
            GatewayConfig prod = ConfigLoader.fromMap(env("GATEWAY_JWT_SECRET", SECRET, "GATEWAY_API_KEY", API_KEY));
            assertThrows(IllegalStateException.class, () -> prod.withGeneratedSecrets(SECRET, API_KEY));
        }
    }

    @Nested
    class Docs {
        private final Path docs = Path.of("../docs/CONFIGURATION.md");

        private List<String> tableRows() throws IOException {
            return Files.readAllLines(docs).stream().filter(l -> l.startsWith("|")).toList();
        }

        @Test
        void docsCoverEveryKeyWithItsDefault() throws IOException {
            assertTrue(Files.isRegularFile(docs), "missing " + docs.toAbsolutePath());
            List<String> rows = tableRows();
            List<String> problems = new ArrayList<>();
            for (ConfigKey k : ConfigLoader.keys()) {
                List<String> row = rows.stream().filter(r -> r.startsWith("| `" + k.name() + "` |")).toList();
                if (row.size() != 1) {
                    problems.add(k.name() + ": expected one table row, found " + row.size());
                } else if (k.hasDefault() && !row.get(0).contains("| `" + k.defaultValue() + "` |")) {
                    problems.add(k.name() + ": default `" + k.defaultValue() + "` not in row " + row.get(0));
                }
            }
            assertEquals(List.of(), problems);
        }

        @Test
        void docsMentionNoUnknownKeys() throws IOException {
            Set<String> patterns = new HashSet<>();
            ConfigLoader.keys().forEach(k -> patterns.add(k.name()));
            Pattern token = Pattern.compile("GATEWAY_[A-Z0-9_<>]*[A-Z0-9>]");
            List<String> unknown = new ArrayList<>();
            for (String line : Files.readAllLines(docs)) {
                // tables and the example properties file must only use real keys
                if (!(line.startsWith("|") || line.matches("GATEWAY_[A-Z0-9_]+=.*"))) {
                    continue;
                }
                Matcher m = token.matcher(line);
                while (m.find()) {
                    String t = m.group();
                    if (!patterns.contains(t) && !ConfigLoader.isKnownKey(t)) {
                        unknown.add(t);
                    }
                }
            }
            assertEquals(List.of(), unknown);
        }

        @Test
        void docsListTheBuiltInNamespaces() throws IOException {
            List<String> rows = tableRows();
            for (NamespaceConfig ns : GatewayConfig.defaults().namespaces().values()) {
                String visibility = ns.visibility().name().toLowerCase(java.util.Locale.ROOT);
                assertTrue(rows.stream().anyMatch(r -> r.startsWith("| `" + ns.name() + "` | `" + visibility + "` | `"
                        + ns.historySize() + "` |") && r.contains("| `" + ns.ackRequired() + "` |")),
                        "no row for built-in namespace " + ns);
            }
        }
    }
}
