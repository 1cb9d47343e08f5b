package io.eventgate.server.persistence;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** Epoch milliseconds to and from {@code TIMESTAMPTZ}. */
final class SqlTimes {
    private SqlTimes() {}

    static OffsetDateTime of(long epochMillis) {
        return OffsetDateTime.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneOffset.UTC);
    }

    static void set(PreparedStatement ps, int index, long epochMillis) throws SQLException {
        ps.setObject(index, of(epochMillis));
    }

    static void setNullable(PreparedStatement ps, int index, Long epochMillis) throws SQLException {
        if (epochMillis == null) {
            ps.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            set(ps, index, epochMillis);
        }
    }

    /** The column as epoch millis, or {@code nullValue} when SQL NULL. */
    static long get(ResultSet rs, String column, long nullValue) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? nullValue : t.toInstant().toEpochMilli();
    }
}
