package io.eventgate.server.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.eventgate.server.testing.TestGateway;
import io.eventgate.server.testing.TestGateway.Response;
import io.eventgate.server.testing.WsClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Heartbeat, stale detection, WebSocket control frames and graceful shutdown against a real node. */
class LifecycleIT {
    /** Pings every second; three seconds without any inbound frame closes a connection as stale. */
    private static final Map<String, String> FAST_HEARTBEAT = Map.of(
            "GATEWAY_HEARTBEAT_INTERVAL", "1s",
            "GATEWAY_IDLE_TIMEOUT", "3s");
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static TestGateway gw;

    @BeforeAll
    static void startGateway() {
        gw = TestGateway.start(FAST_HEARTBEAT);
    }

    @AfterAll
    static void stopGateway() {
        if (gw != null) {
            gw.close();
        }
    }

    // ---------------------------------------------------------------- heartbeat

    @Test
    void clientThatAnswersPingsStaysConnectedPastTheIdleTimeout() {
        try (WsClient client = gw.connect("answers-pings")) {
            // Four pings take longer than the 3s idle timeout: only the pongs keep the connection alive.
            await().atMost(WAIT)
                    .failFast("connection closed although it answered every ping", client::isClosed)
                    .until(() -> client.pingsReceived() >= 4);

            assertFalse(client.isClosed());
            client.send("{\"type\":\"ping\",\"id\":\"still-there\"}");
            assertEquals("pong", client.await(n -> "still-there".equals(n.path("ref").asText()))
                    .path("type").asText());
        }
    }

    @Test
    void silentClientIsClosedAsStaleWith4100AndCounted() {
        long before = gw.stats().path("closes").path("stale").asLong();
        try (WsClient client = gw.connect("silent")) {
            client.autoPong(false);

            assertEquals(4100, client.awaitClose());
        }
        assertEquals(before + 1, gw.stats().path("closes").path("stale").asLong());
    }

    @Test
    void webSocketPingFrameIsAnsweredWithPongCarryingTheSamePayload() {
        try (WsClient client = gw.connect("ws-pinger")) {
            byte[] payload = "are-you-there".getBytes(StandardCharsets.UTF_8);

            client.socket().sendPing(ByteBuffer.wrap(payload)).join();

            ByteBuffer pong = client.awaitPong();
            byte[] received = new byte[pong.remaining()];
            pong.get(received);
            assertArrayEquals(payload, received);
        }
    }

    @Test
    void webSocketPingFramesCountAsActivity() {
        try (WsClient client = gw.connect("ws-ping-activity")) {
            client.autoPong(false);

            // Never answers the JSON pings; a WebSocket ping every 500 ms must keep it open past 4 heartbeat pings
            // (longer than the 3s idle timeout).
            await().atMost(WAIT)
                    .pollInterval(Duration.ofMillis(500))
                    .failFast("connection closed although it sent WebSocket pings", client::isClosed)
                    .until(() -> {
                        client.socket().sendPing(ByteBuffer.wrap(new byte[] {1})).join();
                        return client.pingsReceived() >= 4;
                    });

            assertFalse(client.isClosed());
            assertTrue(client.pongsQueued() > 0, "WebSocket pings were answered");
        }
    }

    // ---------------------------------------------------------------- graceful shutdown

    @Test
    void shutdownClosesEveryClientWith1001AndStopsBeingReady() throws Exception {
        TestGateway node = TestGateway.start();
        List<WsClient> clients = new ArrayList<>();
        try (Socket keepAlive = new Socket("127.0.0.1", node.port())) {
            keepAlive.setSoTimeout(10_000);
            for (int i = 0; i < 3; i++) {
                clients.add(node.connect("leaving-" + i));
            }
            assertEquals(200, rawGetStatus(keepAlive, "/health/ready"), "ready before the shutdown");
            await().atMost(WAIT).until(() -> node.stats().path("connections").asInt() == 3);

            CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> node.server().shutdown());

            for (WsClient client : clients) {
                assertEquals(1001, client.awaitClose(), "close code");
            }
            await().atMost(WAIT).until(() -> node.server().draining());
            // During the drain an existing HTTP connection gets 503; once the node is down it is closed.
            int status = rawGetStatusOrMinusOne(keepAlive, "/health/ready");
            assertTrue(status == 503 || status == -1, "ready during the drain answered " + status);

            shutdown.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            try {
                Response r = node.send(node.request("/health/ready").GET());
                fail("a stopped node answered " + r.status() + ": " + r.body());
            } catch (java.io.UncheckedIOException expected) {
                // connection refused: the listener is closed
            }
        } finally {
            clients.forEach(WsClient::close);
            node.close();
        }
    }

    /** Sends a keep-alive GET on an open socket and returns the status, reading the whole response. */
    private static int rawGetStatus(Socket socket, String path) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        String head = readHead(in);
        if (head == null) {
            return -1;
        }
        int contentLength = 0;
        for (String line : head.split("\r\n")) {
            if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                contentLength = Integer.parseInt(line.substring(15).trim());
            }
        }
        in.readNBytes(contentLength);
        return Integer.parseInt(head.substring(9, 12));
    }

    /** Like {@link #rawGetStatus}, but -1 when the server has closed the connection. */
    private static int rawGetStatusOrMinusOne(Socket socket, String path) {
        try {
            return rawGetStatus(socket, path);
        } catch (IOException e) {
            return -1;
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int b;
        while ((b = in.read()) != -1) {
            head.append((char) b);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                return head.toString();
            }
        }
        return null;
    }
}
