package io.eventgate.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.eventgate.protocol.CloseCode;
import io.eventgate.protocol.Json;
import io.eventgate.server.testing.TestGateway;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real browser's EventSource against the gateway (PROTOCOL.md 15), from a page of another origin: CORS on the
 * stream, a CORS-preflighted POST for each ACK, and the browser's own reconnect with {@code Last-Event-ID} after the
 * server ends the stream, which resumes the session and replays what was published meanwhile.
 *
 * <p>Needs Chromium ({@code /usr/bin/chromium}, or {@code EVENTGATE_CHROMIUM}); {@code ./scripts/test.sh} installs it.
 */
class BrowserSseIT {
    private static final long TIMEOUT_SECONDS = 30;

    private HttpServer pageServer;
    private TestGateway gateway;
    private Process browser;
    private Path profile;
    /** The page's reports by their number (a retried report may arrive twice or after a later one). */
    private final java.util.concurrent.ConcurrentSkipListMap<Integer, JsonNode> reports =
            new java.util.concurrent.ConcurrentSkipListMap<>();
    /** Reports already matched by an {@link #await}. */
    private final java.util.Set<Integer> consumed = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @BeforeEach
    void start() throws IOException {
        pageServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        pageServer.createContext("/page.html", exchange -> {
            byte[] page;
            try (InputStream in = BrowserSseIT.class.getResourceAsStream("/browser/sse-page.html")) {
                page = in.readAllBytes();
            }
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(200, page.length);
            exchange.getResponseBody().write(page);
            exchange.close();
        });
        pageServer.createContext("/report", exchange -> {
            JsonNode report = Json.MAPPER.readTree(exchange.getRequestBody().readAllBytes());
            reports.putIfAbsent(report.path("seq").asInt(), report);
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        pageServer.start();
        String pageOrigin = "http://127.0.0.1:" + pageServer.getAddress().getPort();
        gateway = TestGateway.start(Map.of("GATEWAY_ALLOWED_ORIGINS", pageOrigin));
    }

    @AfterEach
    void stop() throws IOException {
        if (browser != null) {
            browser.descendants().forEach(ProcessHandle::destroyForcibly);
            browser.destroyForcibly();
        }
        pageServer.stop(0);
        gateway.close();
        if (profile != null) {
            try (var files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void eventSourceOfAnotherOriginAcksByPostAndResumesByItselfAfterTheStreamEnds() throws Exception {
        String token = gateway.token("browser");
        openPage(token, "market:browser");
        JsonNode first = message(m -> "connected".equals(m.path("message").path("type").asText()));
        String sessionId = first.path("message").path("sessionId").asText();
        assertEquals(sessionId, first.path("lastEventId").asText(), "the SSE id of connected is the session id");
        message(m -> "sse".equals(m.path("message").path("ref").asText()));

        gateway.publish("user:browser", "{\"type\":\"payment\",\"amount\":12.50}");
        // The POST's answer and its reply on the stream race each other in the page: take them in either order.
        Predicate<JsonNode> isAck = r -> "ack".equals(r.path("kind").asText());
        Predicate<JsonNode> isAcked = r -> "message".equals(r.path("kind").asText())
                && "acked".equals(r.path("message").path("type").asText());
        JsonNode one = await(isAck.or(isAcked));
        JsonNode other = await(isAck.test(one) ? isAcked : isAck);
        JsonNode ack = isAck.test(one) ? one : other;
        JsonNode acked = isAck.test(one) ? other : one;
        assertEquals(202, ack.path("status").asInt(), "the preflighted cross-origin POST went through: " + ack);
        assertEquals(1, acked.path("message").path("acknowledged").asInt(), acked.toString());

        gateway.publish("market:browser", "{\"type\":\"trade\",\"n\":1}");
        List<Integer> trades = new ArrayList<>();
        trades.add(message(BrowserSseIT::isTrade).path("message").path("n").asInt());

        // The server ends the stream (4200: reconnect now); events published meanwhile must reach the page.
        gateway.server().gateway().hub().connectionsOf("browser")
                .forEach(c -> c.transport().close(CloseCode.INSUFFICIENT_STATE, "browser test"));
        JsonNode close = message(m -> "close".equals(m.path("message").path("type").asText()));
        assertEquals(4200, close.path("message").path("code").asInt());
        gateway.publish("market:browser", "{\"type\":\"trade\",\"n\":2}");
        gateway.publish("market:browser", "{\"type\":\"trade\",\"n\":3}");

        JsonNode again = message(m -> "connected".equals(m.path("message").path("type").asText()));
        assertTrue(again.path("message").path("resumed").asBoolean(), again.toString());
        assertTrue(again.path("message").path("recovered").asBoolean(), again.toString());
        assertEquals(sessionId, again.path("message").path("sessionId").asText());
        while (trades.size() < 3) {
            trades.add(message(BrowserSseIT::isTrade).path("message").path("n").asInt());
        }
        gateway.publish("market:browser", "{\"type\":\"trade\",\"n\":4}");
        trades.add(message(BrowserSseIT::isTrade).path("message").path("n").asInt());
        assertEquals(List.of(1, 2, 3, 4), trades, "each trade once, in order, across the reconnect");
    }

    private static boolean isTrade(JsonNode report) {
        return "trade".equals(report.path("message").path("type").asText());
    }

    private void openPage(String token, String channel) throws IOException {
        String chromium = System.getenv().getOrDefault("EVENTGATE_CHROMIUM", "/usr/bin/chromium");
        assertTrue(Files.isExecutable(Path.of(chromium)),
                chromium + " not found: ./scripts/test.sh installs Chromium (Debian package chromium)");
        profile = Files.createTempDirectory("eventgate-chromium");
        String url = "http://127.0.0.1:" + pageServer.getAddress().getPort() + "/page.html?gateway="
                + URLEncoder.encode("http://127.0.0.1:" + gateway.port(), StandardCharsets.UTF_8)
                + "&token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)
                + "&channel=" + URLEncoder.encode(channel, StandardCharsets.UTF_8);
        browser = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile, url)
                .redirectErrorStream(true)
                .redirectOutput(profile.resolve("chromium.log").toFile())
                .start();
    }

    /** The first unmatched report of a message that matches (see {@link #await}). */
    private JsonNode message(Predicate<JsonNode> predicate) throws Exception {
        return await(r -> "message".equals(r.path("kind").asText()) && predicate.test(r));
    }

    private Integer firstUnconsumed(Predicate<JsonNode> predicate) {
        for (var e : reports.entrySet()) {
            if (!consumed.contains(e.getKey()) && predicate.test(e.getValue())) {
                return e.getKey();
            }
        }
        return null;
    }

    /**
     * The first report, in the page's order, that matches and was not matched before; waits for it. Reports that do
     * not match stay available to later calls.
     */
    private JsonNode await(Predicate<JsonNode> predicate) throws Exception {
        try {
            Integer key = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(TIMEOUT_SECONDS))
                    .pollInterval(java.time.Duration.ofMillis(20))
                    .until(() -> firstUnconsumed(predicate), java.util.Objects::nonNull);
            consumed.add(key);
            return reports.get(key);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // fall through to the diagnostic below
        }
        List<JsonNode> skipped = new ArrayList<>();
        reports.forEach((k, v) -> {
            if (!consumed.contains(k)) {
                skipped.add(v);
            }
        });
        String log = profile == null ? "" : Files.readString(profile.resolve("chromium.log"));
        throw new AssertionError("no matching report within " + TIMEOUT_SECONDS + " s; skipped " + skipped
                + "\nchromium log:\n" + log);
    }
}
