package io.eventgate.server.persistence;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * A throwaway database {@code eventgate_it_<random>} on a PostgreSQL server (the shared one at 127.0.0.1:5432 by
 * default, user {@code postgres}, trust auth), created through its {@code postgres} database and dropped by
 * {@link #close()}.
 */
final class TestDatabase implements AutoCloseable {
    static final String HOST = "127.0.0.1";
    static final int SHARED_PORT = 5432;
    static final String USER = "postgres";

    final int port;
    final String name;

    private TestDatabase(int port, String name) {
        this.port = port;
        this.name = name;
    }

    /** A new database on the shared server. */
    static TestDatabase create() throws SQLException {
        return create(SHARED_PORT);
    }

    static TestDatabase create(int port) throws SQLException {
        String name = "eventgate_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12)
                .toLowerCase(Locale.ROOT);
        try (Connection c = DriverManager.getConnection(adminUrl(port), USER, "");
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return new TestDatabase(port, name);
    }

    static String adminUrl(int port) {
        return "jdbc:postgresql://" + HOST + ":" + port + "/postgres";
    }

    String url() {
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + name;
    }

    Database open(int poolSize) {
        return new Database(url(), USER, "", poolSize);
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection(url(), USER, "");
    }

    /** The first column of every row of {@code sql} (parameters bound as strings/objects). */
    List<Object> column(String sql, Object... params) throws SQLException {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                List<Object> values = new ArrayList<>();
                boolean timestamptz = "timestamptz".equals(rs.getMetaData().getColumnTypeName(1));
                while (rs.next()) {
                    values.add(timestamptz ? rs.getObject(1, java.time.OffsetDateTime.class) : rs.getObject(1));
                }
                return values;
            }
        }
    }

    /** The single value of {@code sql}. */
    Object value(String sql, Object... params) throws SQLException {
        List<Object> values = column(sql, params);
        if (values.size() != 1) {
            throw new AssertionError("expected one row from " + sql + ", got " + values.size());
        }
        return values.get(0);
    }

    long count(String sql, Object... params) throws SQLException {
        return ((Number) value(sql, params)).longValue();
    }

    int update(String sql, Object... params) throws SQLException {
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            return ps.executeUpdate();
        }
    }

    @Override
    public void close() throws SQLException {
        try (Connection c = DriverManager.getConnection(adminUrl(port), USER, "");
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }
}
