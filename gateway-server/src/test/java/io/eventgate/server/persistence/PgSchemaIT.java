package io.eventgate.server.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventgate.core.engine.EngineUnavailableException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PgSchemaIT {
    static TestDatabase testDb;

    @BeforeAll
    static void createDatabase() throws Exception {
        testDb = TestDatabase.create();
    }

    @AfterAll
    static void dropDatabase() throws Exception {
        testDb.close();
    }

    @Test
    void migrationCreatesTheTablesAndIndexes() throws Exception {
        try (Database db = testDb.open(2)) {
            assertTrue(db.migrated());
            assertTrue(db.healthy());
            assertEquals("postgresql: ok", db.describe());
            List<Object> tables = testDb.column("SELECT table_name FROM information_schema.tables "
                    + "WHERE table_schema = 'public' AND table_name LIKE 'websocket_%' ORDER BY table_name");
            assertEquals(List.of("websocket_connections", "websocket_pending_events", "websocket_sessions",
                    "websocket_subscriptions"), tables);
            List<Object> indexes = testDb.column("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' "
                    + "AND tablename LIKE 'websocket_%' ORDER BY indexname");
            assertTrue(indexes.containsAll(List.of("websocket_connections_status_activity",
                    "websocket_pending_events_unacked", "websocket_pending_events_expires",
                    "websocket_sessions_saved_at")), indexes.toString());
            assertEquals("2", testDb.value("SELECT max(version) FROM flyway_schema_history WHERE success"));
            assertEquals(1L, testDb.count("SELECT count(*) FROM information_schema.tables WHERE table_name = 'gateway_outbox'"));
            // payload is TEXT (exact bytes), the subscription columns JSONB
            assertEquals("text", testDb.value("SELECT data_type FROM information_schema.columns "
                    + "WHERE table_name = 'websocket_pending_events' AND column_name = 'payload'"));
            assertEquals("jsonb", testDb.value("SELECT data_type FROM information_schema.columns "
                    + "WHERE table_name = 'websocket_subscriptions' AND column_name = 'filters'"));
        }
        // A second start finds the schema up to date.
        try (Database again = testDb.open(1)) {
            assertTrue(again.healthy());
            // One history row per migration (V1 schema, V2 outbox), and no new row on a second start.
            assertEquals(2L, testDb.count("SELECT count(*) FROM flyway_schema_history WHERE success"));
        }
    }

    @Test
    void startsWithTheDatabaseDownAndReportsUnhealthy() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        // Nothing listens there any more.
        try (Database db = new Database("jdbc:postgresql://127.0.0.1:" + port + "/none", "postgres", "", 2)) {
            assertFalse(db.migrated());
            assertFalse(db.healthy());
            String describe = db.describe();
            assertTrue(describe.startsWith("postgresql: ") && !describe.equals("postgresql: ok"), describe);
            assertTrue(describe.contains("Exception"), describe);
            CompletionException error = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
                    () -> db.read(c -> 1).join());
            assertInstanceOf(EngineUnavailableException.class, error.getCause());
        }
    }
}
