package io.eventgate.loadtest.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.loadtest.Json;
import io.eventgate.loadtest.ProcStats;
import io.eventgate.loadtest.Target;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A server process the harness started: an eventgate node ({@code java -jar gateway.jar serve}) or a Node peer. Its
 * output goes to a log file; it is stopped with SIGTERM (then SIGKILL after a grace period).
 */
public final class ServerProcess {
    public static final String BENCH_JWT_SECRET = "eventgate-loadtest-jwt-secret-not-for-production";
    public static final String BENCH_API_KEY = "eventgate-loadtest-api-key";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final Target target;
    private final Process process;
    private final String baseUrl;
    private final Path log;
    private final String javaBinary;
    private Path jarCopy;

    private ServerProcess(Target target, Process process, String baseUrl, Path log, String javaBinary) {
        this.target = target;
        this.process = process;
        this.baseUrl = baseUrl;
        this.log = log;
        this.javaBinary = javaBinary;
    }

    /** Settings of started servers. */
    public record Launch(Target target, Path gatewayJar, String java, String heap, List<String> jvmOptions,
                         String node, Path peersDir, Map<String, String> extraEnv, Path logDir, String jwtSecret,
                         String apiKey) {}

    public static ServerProcess start(Launch l, int port, int nodeIndex) throws IOException {
        Files.createDirectories(l.logDir());
        Path log = l.logDir().resolve(l.target().id() + "-" + port + ".log");
        List<String> cmd = new ArrayList<>();
        Map<String, String> env = new LinkedHashMap<>();
        Path dir;
        if (l.target() == Target.EVENTGATE) {
            if (!Files.isRegularFile(l.gatewayJar())) {
                throw new IOException(l.gatewayJar() + " is missing: build it (mvn -B -q install -DskipTests at the"
                        + " root, or ./scripts/run.sh)");
            }
            cmd.add(l.java());
            if (Runtime.version().feature() >= 25 && l.java().equals(io.eventgate.loadtest.Paths.currentJava())) {
                cmd.add("-XX:+UseCompactObjectHeaders");
            }
            cmd.add("-Xmx" + l.heap());
            cmd.add("-XX:MaxGCPauseMillis=20"); // as scripts/run.sh starts it
            cmd.addAll(l.jvmOptions());
            // run a private copy: a rebuild of the jar during the run (other work on this tree) cannot affect it
            Path copy = l.logDir().resolve("gateway-" + port + ".jar");
            Files.copy(l.gatewayJar(), copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            cmd.add("-jar");
            cmd.add(copy.toAbsolutePath().toString());
            cmd.add("serve");
            env.put("GATEWAY_HOST", "127.0.0.1");
            env.put("GATEWAY_PORT", String.valueOf(port));
            env.put("GATEWAY_JWT_SECRET", l.jwtSecret());
            env.put("GATEWAY_API_KEY", l.apiKey());
            env.put("GATEWAY_RATE_LIMIT_PER_MINUTE", "1000000");
            env.put("GATEWAY_RATE_LIMIT_BURST", "100000");
            env.put("GATEWAY_NODE_ID", "loadtest-" + nodeIndex);
            dir = l.gatewayJar().toAbsolutePath().getParent();
        } else {
            String script = l.target() == Target.WS ? "ws-server.js" : "socketio-server.js";
            if (!Files.isDirectory(l.peersDir().resolve("node_modules"))) {
                throw new IOException(l.peersDir() + "/node_modules is missing: run npm install there"
                        + " (./scripts/loadtest.sh does it)");
            }
            cmd.add(l.node());
            cmd.add("--expose-gc");
            cmd.add(script);
            env.put("HOST", "127.0.0.1");
            env.put("PORT", String.valueOf(port));
            dir = l.peersDir();
        }
        env.putAll(l.extraEnv());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("GATEWAY_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        ServerProcess sp = new ServerProcess(l.target(), p, "http://127.0.0.1:" + port, log, l.java());
        if (l.target() == Target.EVENTGATE) {
            sp.jarCopy = l.logDir().resolve("gateway-" + port + ".jar");
        }
        return sp;
    }

    /** The first base port from {@code from} with {@code count} consecutive free ports on 127.0.0.1. */
    public static int freePorts(int from, int count) {
        for (int base = from; base < from + 2000; base++) {
            boolean ok = true;
            for (int i = 0; i < count && ok; i++) {
                ok = free(base + i);
            }
            if (ok) {
                return base;
            }
        }
        throw new IllegalStateException("no " + count + " consecutive free ports from " + from);
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public void awaitReady(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + target.readinessPath()))
                .timeout(Duration.ofSeconds(5)).GET().build();
        while (true) {
            if (!process.isAlive()) {
                throw new IOException(target.id() + " on " + baseUrl + " exited with " + process.exitValue()
                        + "; last lines of " + log + ":\n" + tail(20));
            }
            try {
                HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(target.id() + " on " + baseUrl + " not ready after " + timeout.toSeconds()
                        + " s; last lines of " + log + ":\n" + tail(20));
            }
            Thread.sleep(200);
        }
    }

    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    public String baseUrl() {
        return baseUrl;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /**
     * Used heap after a forced full GC, in bytes: jcmd/jstat for the gateway, {@code GET /stats?gc=1} (Node's
     * {@code heapUsed} after {@code global.gc()}) for the peers; -1 if unavailable.
     */
    public long heapUsedAfterGc() {
        if (target == Target.EVENTGATE) {
            return ProcStats.heapUsedAfterGc(pid(), javaBinary);
        }
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(baseUrl + "/stats?gc=1"))
                    .timeout(Duration.ofSeconds(60)).GET().build(), HttpResponse.BodyHandlers.ofString());
            JsonNode n = Json.MAPPER.readTree(r.body());
            return n.path("heapUsed").asLong(-1);
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** SIGTERM, then SIGKILL after {@code grace}. */
    public void stop(Duration grace) {
        try {
            terminate(grace);
        } finally {
            if (jarCopy != null && !process.isAlive()) {
                try {
                    Files.deleteIfExists(jarCopy);
                } catch (IOException e) {
                    // left in loadtest/results/tmp (ignored by git)
                }
            }
        }
    }

    private void terminate(Duration grace) {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                System.err.println("loadtest: " + target.id() + " pid " + pid() + " ignored SIGTERM for "
                        + grace.toSeconds() + " s; killing it");
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
