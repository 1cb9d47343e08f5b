package io.eventgate.server.persistence;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.server.testing.TestGateway;
import io.eventgate.server.testing.WsClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL goes away under a running gateway: live delivery continues, readiness reports the database down,
 * durable publishes are held in the bounded buffer until it is full and then answered 503; when the database
 * returns, readiness recovers.
 */
class GatewayDbOutageIT {

    @Test
    void databaseOutageDegradesReadinessKeepsLiveDeliveryAnd503sWhenBufferIsFull() throws Exception {
        try (PrivatePostgres pg = PrivatePostgres.start(); TestDatabase db = TestDatabase.create(pg.port);
             TestGateway gateway = TestGateway.start(Map.of("GATEWAY_DB_URL", db.url(), "GATEWAY_DB_USER", "postgres",
                     "GATEWAY_DB_BUFFER_SIZE", "100", "GATEWAY_DB_BATCH_SIZE", "10"))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> gateway.get("/health/ready").status() == 200);
            WsClient client = gateway.connect("outage-1");

            pg.stopServer();
            await().atMost(Duration.ofSeconds(30)).until(() -> gateway.get("/health/ready").status() == 503);
            JsonNode ready = gateway.get("/health/ready").json();
            assertEquals("DOWN", ready.path("components").path("database").path("status").asText(), ready.toString());

            // Live delivery continues while the database is away.
            assertEquals(200, gateway.post("/api/v1/publish",
                    "{\"user\":\"outage-1\",\"event\":{\"type\":\"transaction\",\"n\":\"live\"}}").status());
            assertEquals("live", client.await(n -> "transaction".equals(n.path("type").asText())).path("n").asText());

            // Durable publishes fill the bounded buffer, then are refused with 503 instead of a 200.
            int refusedAt = -1;
            for (int i = 0; i < 1000 && refusedAt < 0; i++) {
                var r = gateway.post("/api/v1/publish", "{\"user\":\"outage-2\",\"event\":{\"type\":\"t\",\"i\":" + i + "}}");
                if (r.status() == 503) {
                    assertEquals("UNAVAILABLE", r.json().path("error").asText(), r.body());
                    refusedAt = i;
                } else {
                    assertEquals(200, r.status(), r.body());
                }
            }
            assertTrue(refusedAt > 0, "the buffer never filled");

            pg.startServer();
            await().atMost(Duration.ofSeconds(60)).until(() -> gateway.get("/health/ready").status() == 200);
            assertEquals(200, gateway.post("/api/v1/publish",
                    "{\"user\":\"outage-2\",\"event\":{\"type\":\"t\",\"i\":\"after\"}}").status());
            // What was accepted during the outage reached the database.
            int accepted = refusedAt;
            await().atMost(Duration.ofSeconds(30)).until(() -> db.count(
                    "select count(*) from websocket_pending_events where user_id = 'outage-2'") >= accepted);
            client.close();
        }
    }
}
