package io.eventgate.server.cluster;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.protocol.Json;
import io.eventgate.server.testing.TestGateway;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Shared helpers of the cluster tests: unique Redis prefixes on the shared Redis (cleaned up with SCAN, never
 * FLUSH), a fresh PostgreSQL database per test class on the shared server, a private redis-server that a test may
 * stop and restart, and a REST publisher that works against any node (in-process or a separate process).
 */
final class ClusterSupport {
    static final String SHARED_REDIS = "redis://127.0.0.1:6379";
    static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ClusterSupport() {}

    /** A key prefix no other test (or engineer) uses; valid for GATEWAY_REDIS_PREFIX. */
    static String uniquePrefix(String what) {
        return "it-" + what + "-" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    /** A random suffix for channel and user names. */
    static String random() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    }

    // ------------------------------------------------------------------ REST

    /** A REST response: status and body. */
    record Reply(int status, String body) {
        JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    /** POST /api/v1/publish on {@code base} (http://127.0.0.1:port); never throws on a non-200 status. */
    static Reply publish(URI base, String channel, String eventJson) {
        return post(base, "/api/v1/publish", "{\"channel\":\"" + channel + "\",\"event\":" + eventJson + "}");
    }

    static Reply post(URI base, String path, String body) {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("X-API-Key", TestGateway.API_KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    static Reply get(URI base, String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("X-API-Key", TestGateway.API_KEY).GET());
    }

    private static Reply send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = HTTP.send(request.timeout(Duration.ofSeconds(15)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static URI http(int port) {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    static URI ws(int port, String resumeSessionId) {
        return URI.create("ws://127.0.0.1:" + port + "/api/v1/ws"
                + (resumeSessionId == null ? "" : "?resume=" + resumeSessionId));
    }

    // ------------------------------------------------------------------ Redis

    /** A plain Lettuce client (string codec) for set-up, checks and backend-style publishing; close it. */
    static final class Redis implements AutoCloseable {
        private final RedisClient client;
        private final StatefulRedisConnection<String, String> connection;

        Redis(String url) {
            this.client = RedisClient.create(url);
            this.connection = client.connect();
        }

        RedisCommands<String, String> sync() {
            return connection.sync();
        }

        /** Every key starting with {@code prefix + ":"}. */
        List<String> keys(String prefix, String pattern) {
            List<String> keys = new ArrayList<>();
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = sync().scan(cursor, ScanArgs.Builder.matches(prefix + ":" + pattern)
                        .limit(1000));
                keys.addAll(page.getKeys());
                cursor = page;
            } while (!cursor.isFinished());
            return keys;
        }

        /** Deletes every key starting with {@code prefix + ":"} (SCAN + UNLINK; never FLUSH on the shared Redis). */
        void deleteByPrefix(String prefix) {
            List<String> keys = keys(prefix, "*");
            for (int i = 0; i < keys.size(); i += 500) {
                sync().unlink(keys.subList(i, Math.min(keys.size(), i + 500)).toArray(String[]::new));
            }
        }

        @Override
        public void close() {
            connection.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    // ------------------------------------------------------------------ PostgreSQL

    /**
     * A throwaway database {@code eventgate_cl_<random>} on the shared PostgreSQL (127.0.0.1:5432, user postgres,
     * trust auth), created through the {@code postgres} database and dropped (WITH FORCE) by {@link #close()}.
     */
    static final class FreshDatabase implements AutoCloseable {
        static final String USER = "postgres";
        private static final String ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/postgres";
        final String name;

        private FreshDatabase(String name) {
            this.name = name;
        }

        static FreshDatabase create() {
            String name = "eventgate_cl_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12)
                    .toLowerCase(Locale.ROOT);
            try (Connection c = DriverManager.getConnection(ADMIN_URL, USER, "");
                 Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE " + name);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot create database " + name, e);
            }
            return new FreshDatabase(name);
        }

        String url() {
            return "jdbc:postgresql://127.0.0.1:5432/" + name;
        }

        Connection connect() throws SQLException {
            return DriverManager.getConnection(url(), USER, "");
        }

        /** Every row of {@code sql} as a list of columns (parameters bound with setObject). */
        List<List<Object>> rows(String sql, Object... params) throws SQLException {
            try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    ps.setObject(i + 1, params[i]);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    int columns = rs.getMetaData().getColumnCount();
                    List<List<Object>> out = new ArrayList<>();
                    while (rs.next()) {
                        List<Object> row = new ArrayList<>(columns);
                        for (int i = 1; i <= columns; i++) {
                            row.add(rs.getObject(i));
                        }
                        out.add(row);
                    }
                    return out;
                }
            }
        }

        long count(String sql, Object... params) throws SQLException {
            List<List<Object>> rows = rows(sql, params);
            if (rows.size() != 1) {
                throw new AssertionError("expected one row from " + sql + ", got " + rows.size());
            }
            return ((Number) rows.get(0).get(0)).longValue();
        }

        int update(String sql, Object... params) throws SQLException {
            try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < params.length; i++) {
                    ps.setObject(i + 1, params[i]);
                }
                return ps.executeUpdate();
            }
        }

        /** Whether the gateway created its schema (the outbox table) yet. */
        boolean migrated() {
            try {
                return count("SELECT count(*) FROM information_schema.tables WHERE table_name = 'gateway_outbox'")
                        == 1;
            } catch (SQLException e) {
                return false;
            }
        }

        @Override
        public void close() {
            try (Connection c = DriverManager.getConnection(ADMIN_URL, USER, "");
                 Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            } catch (SQLException e) {
                throw new IllegalStateException("cannot drop database " + name, e);
            }
        }
    }
}
