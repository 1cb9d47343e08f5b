package io.eventgate.server.fallback;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import io.eventgate.core.ack.FallbackNotifier.Reason;
import io.eventgate.core.engine.Event;
import io.eventgate.protocol.Json;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WebhookFallbackTest {
    static final String SECRET = "whsec_0123456789abcdef";
    static final long FIXED_SECONDS = 1_750_000_000L;
    static final Duration WAIT = Duration.ofSeconds(10);

    /**
     * The event as clients receive it. Deliberately not in Jackson's canonical form (spaces, a trailing-zero decimal,
     * non-ASCII text), so re-serializing it would be visible.
     */
    static final String EVENT_JSON = "{\"type\":\"payment.received\", \"eventId\":\"evt-1\",\"channel\":\"user:42\","
            + "\"seq\":5,\"data\":{\"amount\":50000.00,\"currency\":\"EUR\",\"note\":\"caf\u00e9 \u20ac\"}}";

    Server server;
    WebhookFallback fallback;

    @AfterEach
    void tearDown() {
        if (fallback != null) {
            fallback.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    // ------------------------------------------------------------------------------------------------ delivery

    @Test
    void deliversSignedRequestWithTheRawEventBytes() throws Exception {
        server = new Server();
        fallback = new WebhookFallback(server.uri(), SECRET, 3, 10, 10, 100, () -> FIXED_SECONDS);
        Event event = event("evt-1", 5, EVENT_JSON);

        fallback.notify("42", event, Reason.NO_CONNECTION);

        await().atMost(WAIT).until(() -> fallback.delivered() == 1);
        assertEquals(1, server.requests.size());
        Request request = server.requests.get(0);
        assertEquals("POST", request.method);
        assertEquals("/hook", request.path);
        assertEquals("application/json", request.headers.getFirst("Content-Type"));
        assertEquals("evt-1", request.headers.getFirst("X-Gateway-Event-Id"));
        assertEquals(Long.toString(FIXED_SECONDS), request.headers.getFirst("X-Gateway-Timestamp"));
        assertSignatureValid(request);

        String expected = "{\"userId\":\"42\",\"reason\":\"NO_CONNECTION\",\"attempt\":1,\"event\":" + EVENT_JSON
                + ",\"eventId\":\"evt-1\",\"channel\":\"user:42\",\"seq\":5}";
        assertEquals(expected, new String(request.body, StandardCharsets.UTF_8));
        // the event's bytes, byte for byte, right after "event":
        int start = indexOf(request.body, "\"event\":".getBytes(StandardCharsets.UTF_8)) + "\"event\":".length();
        byte[] json = EVENT_JSON.getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(json, Arrays.copyOfRange(request.body, start, start + json.length));
        assertTrue(new String(request.body, StandardCharsets.UTF_8).contains("\"amount\":50000.00"));
        JsonNode parsed = Json.MAPPER.readTree(request.body);
        assertEquals("NO_CONNECTION", parsed.get("reason").textValue());
        assertEquals(5, parsed.get("seq").longValue());

        assertEquals(0, fallback.retried());
        assertEquals(0, fallback.failed());
        assertEquals(0, fallback.rejected());
        assertEquals(0, fallback.queued());
    }

    @Test
    void publicConstructorSignsWithTheCurrentTimeAndReportsNotAcknowledged() throws Exception {
        server = new Server();
        fallback = new WebhookFallback(server.uri(), SECRET, 3, 10);

        fallback.notify("user-7", event("evt-9", 12, "{\"type\":\"t\",\"seq\":12}"), Reason.NOT_ACKNOWLEDGED);

        await().atMost(WAIT).until(() -> fallback.delivered() == 1);
        Request request = server.requests.get(0);
        assertSignatureValid(request);
        long timestamp = Long.parseLong(request.headers.getFirst("X-Gateway-Timestamp"));
        long now = System.currentTimeMillis() / 1000;
        assertTrue(Math.abs(now - timestamp) < 300, "timestamp " + timestamp + " is unix seconds near " + now);
        JsonNode body = Json.MAPPER.readTree(request.body);
        assertEquals("user-7", body.get("userId").textValue());
        assertEquals("NOT_ACKNOWLEDGED", body.get("reason").textValue());
        assertEquals(1, body.get("attempt").intValue());
        assertEquals("evt-9", body.get("eventId").textValue());
        assertEquals(12, body.get("event").get("seq").intValue());
    }

    // ------------------------------------------------------------------------------------------------ retries

    @ParameterizedTest(name = "HTTP {0}")
    @ValueSource(ints = {500, 503, 408, 429})
    void retriesAfterTransientFailuresAndSucceedsOnALaterAttempt(int status) throws Exception {
        server = new Server(status, status, 200);
        fallback = new WebhookFallback(server.uri(), SECRET, 5, 10, 10, 100, () -> FIXED_SECONDS);

        fallback.notify("42", event("evt-1", 5, EVENT_JSON), Reason.NOT_ACKNOWLEDGED);

        await().atMost(WAIT).until(() -> fallback.delivered() == 1);
        assertEquals(3, server.requests.size());
        assertEquals(2, fallback.retried());
        assertEquals(0, fallback.failed());
        assertEquals(0, fallback.rejected());
        assertEquals(0, fallback.queued());
        List<Integer> attempts = new ArrayList<>();
        for (Request request : server.requests) {
            assertSignatureValid(request);
            assertEquals("evt-1", request.headers.getFirst("X-Gateway-Event-Id"));
            attempts.add(Json.MAPPER.readTree(request.body).get("attempt").intValue());
        }
        assertEquals(List.of(1, 2, 3), attempts);
    }

    @Test
    void givesUpAfterMaxAttemptsAndCountsFailed() {
        server = new Server();
        server.defaultStatus = 503;
        fallback = new WebhookFallback(server.uri(), SECRET, 3, 10, 10, 100, () -> FIXED_SECONDS);

        fallback.notify("42", event("evt-1", 5, EVENT_JSON), Reason.NO_CONNECTION);

        await().atMost(WAIT).until(() -> fallback.failed() == 1 && fallback.queued() == 0);
        assertEquals(3, server.requests.size());
        assertEquals(2, fallback.retried());
        assertEquals(0, fallback.delivered());
        assertEquals(0, fallback.rejected());
    }

    @ParameterizedTest(name = "HTTP {0}")
    @ValueSource(ints = {400, 404, 422})
    void clientErrorsAreNotRetried(int status) {
        server = new Server(status);
        fallback = new WebhookFallback(server.uri(), SECRET, 5, 10, 10, 100, () -> FIXED_SECONDS);

        fallback.notify("42", event("evt-1", 5, EVENT_JSON), Reason.NO_CONNECTION);

        // once nothing is held, no further request can come
        await().atMost(WAIT).until(() -> fallback.rejected() == 1 && fallback.queued() == 0);
        assertEquals(1, server.requests.size());
        assertEquals(0, fallback.retried());
        assertEquals(0, fallback.failed());
        assertEquals(0, fallback.delivered());
    }

    @Test
    void connectionRefusedIsRetriedThenFails() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        fallback = new WebhookFallback(URI.create("http://127.0.0.1:" + port + "/hook"), SECRET, 3, 10, 10, 100,
                () -> FIXED_SECONDS);

        fallback.notify("42", event("evt-1", 5, EVENT_JSON), Reason.NO_CONNECTION);

        await().atMost(WAIT).until(() -> fallback.failed() == 1 && fallback.queued() == 0);
        assertEquals(2, fallback.retried());
        assertEquals(0, fallback.delivered());
        assertEquals(0, fallback.rejected());
    }

    // ------------------------------------------------------------------------------------------------ queue

    @Test
    void fullQueueDropsAndCounts() {
        server = new Server();
        server.hold = new CountDownLatch(1);
        fallback = new WebhookFallback(server.uri(), SECRET, 3, 1, 10, 100, () -> FIXED_SECONDS);

        fallback.notify("42", event("evt-1", 1, EVENT_JSON), Reason.NO_CONNECTION);
        await().atMost(WAIT).until(() -> server.requests.size() == 1); // held by the server
        fallback.notify("42", event("evt-2", 2, EVENT_JSON), Reason.NO_CONNECTION);
        fallback.notify("43", event("evt-3", 3, EVENT_JSON), Reason.NOT_ACKNOWLEDGED);

        assertEquals(2, fallback.droppedQueueFull());
        assertEquals(1, fallback.queued());

        server.hold.countDown();
        await().atMost(WAIT).until(() -> fallback.delivered() == 1 && fallback.queued() == 0);

        fallback.notify("42", event("evt-4", 4, EVENT_JSON), Reason.NO_CONNECTION);
        await().atMost(WAIT).until(() -> fallback.delivered() == 2);
        assertEquals(List.of("evt-1", "evt-4"),
                server.requests.stream().map(r -> r.headers.getFirst("X-Gateway-Event-Id")).toList());
        assertEquals(2, fallback.droppedQueueFull());
        assertEquals(0, fallback.failed());
    }

    @Test
    void closeStopsAndLaterEventsAreIgnored() {
        server = new Server();
        fallback = new WebhookFallback(server.uri(), SECRET, 3, 10, 10, 100, () -> FIXED_SECONDS);
        fallback.close();
        fallback.close(); // idempotent

        fallback.notify("42", event("evt-1", 5, EVENT_JSON), Reason.NO_CONNECTION);

        assertEquals(0, fallback.queued());
        assertEquals(0, fallback.droppedQueueFull());
        assertTrue(server.requests.isEmpty());
    }

    @Test
    void eventIdNotAllowedInAHeaderIsOnlyInTheBody() throws Exception {
        server = new Server();
        fallback = new WebhookFallback(server.uri(), SECRET, 3, 10, 10, 100, () -> FIXED_SECONDS);

        fallback.notify("42", event("\u00e9v\u00e9nement", 5, EVENT_JSON), Reason.NO_CONNECTION);

        await().atMost(WAIT).until(() -> fallback.delivered() == 1);
        Request request = server.requests.get(0);
        assertNull(request.headers.getFirst("X-Gateway-Event-Id"));
        assertEquals("\u00e9v\u00e9nement", Json.MAPPER.readTree(request.body).get("eventId").textValue());
        assertSignatureValid(request);
    }

    // ------------------------------------------------------------------------------------------------ units

    @Test
    void signMatchesAnIndependentHmac() throws Exception {
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac 'whsec_0123456789abcdef'
        assertEquals("sha256=9f5e37cdc7ea587c7c02062d93283cad000d66a831b2a1676418696db47ed6c2",
                WebhookFallback.sign(SECRET, "1700000000", "{\"a\":1}".getBytes(StandardCharsets.UTF_8)));
        byte[] body = EVENT_JSON.getBytes(StandardCharsets.UTF_8);
        assertEquals(hmac(SECRET, "1750000000", body), WebhookFallback.sign(SECRET, "1750000000", body));
    }

    @Test
    void backoffIsExponentialWithJitterAndCapped() {
        long base = WebhookFallback.BACKOFF_BASE_MILLIS;
        long cap = WebhookFallback.BACKOFF_CAP_MILLIS;
        assertEquals(250, WebhookFallback.backoffMillis(base, cap, 1, 0.0));
        assertEquals(500, WebhookFallback.backoffMillis(base, cap, 1, 0.999999));
        assertEquals(500, WebhookFallback.backoffMillis(base, cap, 2, 0.0));
        assertEquals(1000, WebhookFallback.backoffMillis(base, cap, 2, 0.999999));
        assertEquals(4000, WebhookFallback.backoffMillis(base, cap, 4, 0.999999));
        assertEquals(15_000, WebhookFallback.backoffMillis(base, cap, 7, 0.0)); // 32 s capped to 30 s
        assertEquals(30_000, WebhookFallback.backoffMillis(base, cap, 7, 0.999999));
        assertEquals(30_000, WebhookFallback.backoffMillis(base, cap, 100, 0.999999));
        for (int attempt = 1; attempt <= 100; attempt++) {
            long d = WebhookFallback.backoffMillis(base, cap, attempt, 0.5);
            assertTrue(d > 0 && d <= cap, attempt + " -> " + d);
        }
    }

    @Test
    void rejectsBadArguments() {
        URI url = URI.create("http://127.0.0.1:1/hook");
        assertThrows(IllegalArgumentException.class, () -> new WebhookFallback(URI.create("ftp://x/y"), SECRET, 3, 10));
        assertThrows(IllegalArgumentException.class, () -> new WebhookFallback(url, "", 3, 10));
        assertThrows(IllegalArgumentException.class, () -> new WebhookFallback(url, SECRET, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> new WebhookFallback(url, SECRET, 3, 0));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static Event event(String eventId, long seq, String json) {
        try {
            ObjectNode body = (ObjectNode) Json.MAPPER.readTree(json);
            return new Event("user:42", seq, "ep1", eventId, body.path("type").asText("t"), body,
                    json.getBytes(StandardCharsets.UTF_8), true, true, 1_700_000_000_000L);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Verifies the request's signature the way a receiver would, without WebhookFallback's code. */
    static void assertSignatureValid(Request request) throws Exception {
        String timestamp = request.headers.getFirst("X-Gateway-Timestamp");
        String signature = request.headers.getFirst("X-Gateway-Signature");
        String expected = hmac(SECRET, timestamp, request.body);
        assertTrue(MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                signature.getBytes(StandardCharsets.US_ASCII)), "signature " + signature + ", expected " + expected);
    }

    static String hmac(String secret, String timestamp, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        byte[] signed = new byte[timestamp.length() + 1 + body.length];
        byte[] ts = (timestamp + ".").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(ts, 0, signed, 0, ts.length);
        System.arraycopy(body, 0, signed, ts.length, body.length);
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(signed));
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    record Request(String method, String path, Headers headers, byte[] body) {}

    /** A webhook on 127.0.0.1 that records requests and answers scripted statuses, then {@link #defaultStatus}. */
    static final class Server {
        final List<Request> requests = new CopyOnWriteArrayList<>();
        final Queue<Integer> script = new ConcurrentLinkedQueue<>();
        volatile int defaultStatus = 200;
        /** When set, each request waits for it after being recorded. */
        volatile CountDownLatch hold;
        private final ExecutorService executor = Executors.newCachedThreadPool();
        private final HttpServer http;

        Server(Integer... statuses) {
            script.addAll(List.of(statuses));
            try {
                http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            http.setExecutor(executor);
            http.createContext("/", exchange -> {
                try (exchange; InputStream in = exchange.getRequestBody()) {
                    byte[] body = in.readAllBytes();
                    requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                            exchange.getRequestHeaders(), body));
                    CountDownLatch latch = hold;
                    if (latch != null) {
                        try {
                            latch.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                    Integer scripted = script.poll();
                    exchange.sendResponseHeaders(scripted != null ? scripted : defaultStatus, -1);
                }
            });
            http.start();
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/hook");
        }

        void stop() {
            CountDownLatch latch = hold;
            if (latch != null) {
                latch.countDown();
            }
            http.stop(0);
            executor.shutdownNow();
        }
    }
}
