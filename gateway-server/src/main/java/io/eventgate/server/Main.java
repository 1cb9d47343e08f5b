package io.eventgate.server;

import io.eventgate.core.auth.TokenMinter;
import io.eventgate.server.config.ConfigException;
import io.eventgate.server.config.ConfigLoader;
import io.eventgate.server.config.GatewayConfig;
import io.eventgate.server.config.LogFormat;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;

/**
 * Command line: {@code serve} (default), {@code token}, {@code publish}, {@code connect}.
 * Configuration comes from the environment (and GATEWAY_CONFIG_FILE); see docs/CONFIGURATION.md.
 */
public final class Main {
    static final String USAGE = """
            usage: gateway <command> [options]
              serve                                   start a gateway node (default)
              token --sub ID [--channels 'market:*,chat:7'] [--ttl 1h]
                                                      mint an HS256 token with GATEWAY_JWT_SECRET
              publish --channel user:42 --event '{"type":"hello"}' [--url http://127.0.0.1:8080] [--api-key KEY]
                                                      publish through the REST API (key: GATEWAY_API_KEY)
              connect --token JWT [--url ws://127.0.0.1:8080/api/v1/ws] [--events a,b]
                                                      connect and print every frame (answers pings)
            """;

    private final PrintStream out;
    private final PrintStream err;
    private final Map<String, String> env;

    Main(PrintStream out, PrintStream err, Map<String, String> env) {
        this.out = out;
        this.err = err;
        this.env = env;
    }

    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "serve" : args[0];
        int code = new Main(System.out, System.err, System.getenv()).run(args);
        if (code != 0 || !command.equals("serve")) {
            System.exit(code);
        }
    }

    /** Runs a command; returns the process exit code ({@code serve} returns 0 and leaves the node running). */
    int run(String[] args) throws Exception {
        String command = args.length == 0 ? "serve" : args[0];
        try {
            Map<String, String> options = options(args.length == 0 ? new String[0]
                    : Arrays.copyOfRange(args, 1, args.length));
            return switch (command) {
                case "serve" -> serve();
                case "token" -> token(options);
                case "publish" -> publish(options);
                case "connect" -> connect(options);
                case "help", "--help", "-h" -> {
                    out.print(USAGE);
                    yield 0;
                }
                default -> {
                    err.print("unknown command '" + command + "'\n" + USAGE);
                    yield 2;
                }
            };
        } catch (ConfigException | IllegalArgumentException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> map = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + args[i] + "'\n" + USAGE);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + args[i] + " needs a value");
            }
            map.put(args[i].substring(2), args[++i]);
        }
        return map;
    }

    private int serve() throws InterruptedException {
        GatewayConfig config = ConfigLoader.load(env);
        if (config.logFormat() == LogFormat.JSON) {
            System.setProperty("logback.configurationFile", "logback-json.xml");
        }
        org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Main.class);
        for (String unknown : config.unknownKeys()) {
            log.warn("ignoring unknown configuration key {} (see docs/CONFIGURATION.md)", unknown);
        }
        String devToken = null;
        if (config.developmentMode()) {
            String secret = TokenMinter.randomSecret();
            String apiKey = TokenMinter.randomSecret();
            if (config.redisUrl() != null) {
                // Nodes sharing a Redis share their development credentials: a printed token works on every node.
                String[] shared = io.eventgate.server.redis.DevCredentials.share(config.redisUrl(),
                        config.redisPrefix(), secret, apiKey);
                secret = shared[0];
                apiKey = shared[1];
            }
            config = config.withGeneratedSecrets(secret, apiKey);
            log.warn("DEVELOPMENT MODE: no GATEWAY_JWT_SECRET, GATEWAY_JWT_PUBLIC_KEY_FILE or GATEWAY_API_KEY set;"
                    + " using a random JWT secret and API key ({})", config.redisUrl() != null
                    ? "shared through Redis by every development node with the same prefix" : "for this run only");
            devToken = new TokenMinter(config.jwtSecret(), config.jwtIssuer(), config.jwtAudience())
                    .mint("demo", List.of("public:*", "market:*"), Duration.ofHours(24));
        }
        GatewayServer server = GatewayServer.start(config);
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdown, "eventgate-shutdown"));
        if (devToken != null) {
            printDevBanner(out, config, server.port(), devToken);
        }
        return 0;
    }

    static void printDevBanner(PrintStream out, GatewayConfig config, int port, String token) {
        String host = "0.0.0.0".equals(config.host()) || "::".equals(config.host()) ? "127.0.0.1" : config.host();
        String http = "http://" + host + ":" + port;
        String ws = "ws://" + host + ":" + port + "/api/v1/ws";
        out.println();
        out.println("=== eventgate is running (development mode: the credentials below are random, not for production) ===");
        out.println("JWT secret : " + config.jwtSecret());
        out.println("API key    : " + config.apiKey());
        out.println("Token      : " + token + "   (user \"demo\", 24h)");
        out.println();
        out.println("1) In a second terminal, connect as user demo and watch events arrive:");
        out.println("   ./scripts/gateway.sh connect --url " + ws + " --token " + token);
        out.println("   (any WebSocket client works: " + ws + "?token=<token>)");
        out.println("   or as Server-Sent Events: curl -N '" + http + "/api/v1/sse?token=" + token + "'");
        out.println("2) In a third terminal, publish an event to user demo:");
        out.println("   curl -s -X POST " + http + "/api/v1/publish -H 'X-API-Key: " + config.apiKey() + "' \\");
        out.println("        -H 'Content-Type: application/json' \\");
        out.println("        -d '{\"user\":\"demo\",\"event\":{\"type\":\"transaction\",\"transaction\":"
                + "{\"id\":\"TXN-1\",\"amount\":50000.00,\"currency\":\"NGN\",\"status\":\"SUCCESS\"}}}'");
        out.println("More tokens: GATEWAY_JWT_SECRET=" + config.jwtSecret()
                + " ./scripts/gateway.sh token --sub 42 --channels 'market:*'");
        out.println("Stop with Ctrl-C (graceful: clients are closed with 1001 and reconnect elsewhere).");
        out.println();
        out.flush();
    }

    private int token(Map<String, String> options) {
        GatewayConfig config = ConfigLoader.load(env);
        String sub = require(options, "sub");
        if (config.jwtSecret() == null) {
            err.println("error: GATEWAY_JWT_SECRET must be set to mint tokens (the gateway verifies HS256"
                    + " tokens with it); tokens for RS256/ES256 are minted by your identity provider");
            return 2;
        }
        List<String> channels = new ArrayList<>();
        for (String c : options.getOrDefault("channels", "").split(",")) {
            if (!c.isBlank()) {
                channels.add(c.trim());
            }
        }
        Duration ttl = io.eventgate.server.config.Durations.parse(options.getOrDefault("ttl", "1h"));
        out.println(new TokenMinter(config.jwtSecret(), config.jwtIssuer(), config.jwtAudience())
                .mint(sub, channels, ttl));
        return 0;
    }

    private int publish(Map<String, String> options) throws Exception {
        String channel = require(options, "channel");
        String event = require(options, "event");
        String url = options.getOrDefault("url", "http://127.0.0.1:8080");
        String apiKey = options.getOrDefault("api-key", env.get("GATEWAY_API_KEY"));
        if (apiKey == null) {
            err.println("error: give --api-key or set GATEWAY_API_KEY");
            return 2;
        }
        var body = io.eventgate.protocol.Json.MAPPER.createObjectNode();
        body.put("channel", channel);
        try {
            body.set("event", io.eventgate.protocol.Json.MAPPER.readTree(event));
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            err.println("error: --event is not valid JSON: " + e.getOriginalMessage());
            return 2;
        }
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/api/v1/publish"))
                .header("X-API-Key", apiKey)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build(), HttpResponse.BodyHandlers.ofString());
        out.println(response.statusCode() + " " + response.body());
        return response.statusCode() == 200 ? 0 : 1;
    }

    private int connect(Map<String, String> options) throws Exception {
        String token = require(options, "token");
        String url = options.getOrDefault("url", "ws://127.0.0.1:8080/api/v1/ws");
        if (options.containsKey("events")) {
            url += (url.contains("?") ? "&" : "?") + "events=" + options.get("events");
        }
        CountDownLatch closed = new CountDownLatch(1);
        WebSocket.Listener listener = new WebSocket.Listener() {
            private final StringBuilder partial = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    String text = partial.toString();
                    partial.setLength(0);
                    out.println(text);
                    if (text.startsWith("{\"type\":\"ping\"")) {
                        ws.sendText("{\"type\":\"pong\"}", true);
                    }
                }
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
                out.println("closed " + statusCode + " " + reason);
                closed.countDown();
                return null;
            }

            @Override
            public void onError(WebSocket ws, Throwable error) {
                err.println("error: " + error);
                closed.countDown();
            }
        };
        try {
            HttpClient.newHttpClient().newWebSocketBuilder()
                    .header("Authorization", "Bearer " + token)
                    .buildAsync(URI.create(url), listener).join();
        } catch (java.util.concurrent.CompletionException e) {
            err.println("error: could not connect: " + e.getCause());
            return 1;
        }
        closed.await();
        return 0;
    }

    private static String require(Map<String, String> options, String name) {
        String value = options.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("--" + name + " is required\n" + USAGE);
        }
        return value;
    }
}
