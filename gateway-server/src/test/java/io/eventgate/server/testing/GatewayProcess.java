package io.eventgate.server.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A gateway in its own OS process, started from the fat jar ({@code target/gateway.jar}, built in the package
 * phase before failsafe runs), so tests can send it SIGTERM or kill -9 it.
 */
public final class GatewayProcess implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    private GatewayProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Starts {@code java -jar target/gateway.jar serve} with the test secrets and {@code env}; waits until live. */
    public static GatewayProcess start(int port, Map<String, String> env) {
        Path jar = Path.of("target", "gateway.jar").toAbsolutePath();
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: integration tests run after the package phase");
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-jar", jar.toString(), "serve"));
        try {
            Path log = Files.createTempFile("gateway-process-", ".log");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            Map<String, String> environment = builder.environment();
            environment.keySet().removeIf(k -> k.startsWith("GATEWAY_"));
            Map<String, String> values = new HashMap<>();
            values.put("GATEWAY_HOST", "127.0.0.1");
            values.put("GATEWAY_PORT", Integer.toString(port));
            values.put("GATEWAY_JWT_SECRET", TestGateway.SECRET);
            values.put("GATEWAY_API_KEY", TestGateway.API_KEY);
            values.putAll(env);
            environment.putAll(values);
            GatewayProcess gp = new GatewayProcess(builder.start(), port, log);
            HttpClient http = HttpClient.newHttpClient();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
                if (!gp.process.isAlive()) {
                    throw new IllegalStateException("gateway exited with " + gp.process.exitValue() + ":\n" + gp.log());
                }
                try {
                    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/live"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding())
                            .statusCode() == 200;
                } catch (IOException e) {
                    return false;
                }
            });
            return gp;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public int port() {
        return port;
    }

    public URI wsUri(String pathAndQuery) {
        return URI.create("ws://127.0.0.1:" + port + pathAndQuery);
    }

    public URI httpUri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    public Process process() {
        return process;
    }

    /** SIGTERM; returns the exit code, or -1 if it did not exit within {@code timeout}. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
    }

    /** kill -9. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "<no log: " + e + ">";
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
