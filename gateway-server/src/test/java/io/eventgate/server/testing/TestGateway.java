package io.eventgate.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.core.auth.TokenMinter;
import io.eventgate.protocol.Json;
import io.eventgate.server.GatewayServer;
import io.eventgate.server.config.ConfigLoader;
import io.eventgate.server.config.GatewayConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A real gateway node on 127.0.0.1 and an ephemeral port, with helpers to mint tokens and call the REST API. */
public final class TestGateway implements AutoCloseable {
    public static final String SECRET = "test-secret-0123456789-0123456789-abcdef";
    public static final String API_KEY = "test-api-key-0123456789";

    private final GatewayServer server;
    private final TokenMinter minter;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestGateway(GatewayServer server) {
        this.server = server;
        this.minter = new TokenMinter(SECRET, server.config().jwtIssuer(), server.config().jwtAudience());
    }

    /** Starts a node with test secrets; {@code overrides} are configuration keys (GATEWAY_*). */
    public static TestGateway start(Map<String, String> overrides) {
        Map<String, String> values = new HashMap<>();
        values.put("GATEWAY_HOST", "127.0.0.1");
        values.put("GATEWAY_PORT", "0");
        values.put("GATEWAY_JWT_SECRET", SECRET);
        values.put("GATEWAY_API_KEY", API_KEY);
        values.put("GATEWAY_SHUTDOWN_TIMEOUT", "5s");
        values.putAll(overrides);
        GatewayConfig config = ConfigLoader.fromMap(values);
        try {
            return new TestGateway(GatewayServer.start(config));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static TestGateway start() {
        return start(Map.of());
    }

    public GatewayServer server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    public String token(String sub, String... channelGrants) {
        return minter.mint(sub, List.of(channelGrants), Duration.ofHours(1));
    }

    public URI wsUri(String pathAndQuery) {
        return URI.create("ws://127.0.0.1:" + port() + pathAndQuery);
    }

    public URI httpUri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** Connects to /api/v1/ws with a Bearer token for {@code sub} and waits for the {@code connected} frame. */
    public WsClient connect(String sub, String... channelGrants) {
        WsClient client = WsClient.connect(wsUri("/api/v1/ws"), token(sub, channelGrants));
        client.awaitType("connected");
        return client;
    }

    /**
     * Opens {@code GET /api/v1/sse?token=<token for sub>} plus {@code query} (which starts with {@code &} or is empty)
     * and waits for {@code connected}.
     */
    public SseClient sse(String sub, String query, String... channelGrants) {
        SseClient client = SseClient.open(port(), "/api/v1/sse?token=" + token(sub, channelGrants) + query);
        if (client.status() != 200) {
            throw new AssertionError("SSE stream answered " + client.status() + ": " + client.errorBody());
        }
        client.awaitType("connected");
        return client;
    }

    /** {@code POST /api/v1/sse/{connectionId}} with a Bearer token and a client message as the body. */
    public Response postToStream(String connectionId, String bearerToken, String message) {
        return send(request("/api/v1/sse/" + connectionId).header("Authorization", "Bearer " + bearerToken)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(message)));
    }

    public Response post(String path, String body) {
        return send(HttpRequest.newBuilder(httpUri(path)).header("X-API-Key", API_KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    public Response get(String path) {
        return send(HttpRequest.newBuilder(httpUri(path)).header("X-API-Key", API_KEY).GET());
    }

    public Response delete(String path) {
        return send(HttpRequest.newBuilder(httpUri(path)).header("X-API-Key", API_KEY).DELETE());
    }

    public Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body(), r.headers().map());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Publishes {@code event} (JSON) to {@code channel} and returns the response body; fails unless 200. */
    public JsonNode publish(String channel, String eventJson) {
        Response r = post("/api/v1/publish", "{\"channel\":\"" + channel + "\",\"event\":" + eventJson + "}");
        if (r.status() != 200) {
            throw new AssertionError("publish answered " + r.status() + ": " + r.body());
        }
        return r.json();
    }

    /** {@code GET /api/v1/ws/stats}; fails unless 200. */
    public JsonNode stats() {
        Response r = get("/api/v1/ws/stats");
        if (r.status() != 200) {
            throw new AssertionError("stats answered " + r.status() + ": " + r.body());
        }
        return r.json();
    }

    /** A request to {@code path} without the API key (add headers and a method before {@link #send}). */
    public HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(httpUri(path));
    }

    @Override
    public void close() {
        server.shutdown();
    }

    /** Tokens signed with {@link #SECRET}, for gateways started some other way (e.g. {@link GatewayProcess}). */
    public static final class Tokens {
        private final TokenMinter minter = new TokenMinter(SECRET, null, null);

        public String token(String sub, String... channelGrants) {
            return minter.mint(sub, List.of(channelGrants), Duration.ofHours(1));
        }
    }

    /** An HTTP response. */
    public record Response(int status, String body, Map<String, List<String>> headers) {
        public JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }
}
