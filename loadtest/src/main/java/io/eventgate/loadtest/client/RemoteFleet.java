package io.eventgate.loadtest.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.loadtest.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A fleet in a worker process (the same jar, {@code worker} command), for connection counts above what one process
 * may open. Line protocol over the worker's stdin/stdout: the first line is the {@link FleetSpec}; then each command
 * ({@code progress}, {@code phase N}, {@code finish}) is answered by one JSON line. The worker's stderr is ours.
 *
 * <p>Latency needs no clock exchange: on Linux {@code System.nanoTime} is CLOCK_MONOTONIC, one clock for every
 * process of the host, so a worker subtracts the publisher's {@code sentAtNanos} from its own receive time.
 */
public final class RemoteFleet implements Fleet {
    private final FleetSpec spec;
    private final List<String> command;
    private Process process;
    private Writer toWorker;
    private BufferedReader fromWorker;
    private boolean finished;
    private Progress last;

    public RemoteFleet(FleetSpec spec, List<String> javaCommand) {
        this.spec = spec;
        this.command = javaCommand;
    }

    /** {@code java [opts] -cp <this classpath> io.eventgate.loadtest.Main worker}. */
    public static List<String> defaultCommand(String java, List<String> jvmOptions) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("io.eventgate.loadtest.Main");
        cmd.add("worker");
        return cmd;
    }

    @Override
    public synchronized void start() throws IOException {
        process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        toWorker = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        fromWorker = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        toWorker.write(Json.MAPPER.writeValueAsString(spec) + "\n");
        toWorker.flush();
        JsonNode hello = request(null);
        if (!hello.path("started").asBoolean()) {
            throw new IOException("worker did not start: " + hello);
        }
    }

    private JsonNode request(String command) throws IOException {
        if (command != null) {
            toWorker.write(command + "\n");
            toWorker.flush();
        }
        String line = fromWorker.readLine();
        if (line == null) {
            throw new IOException("worker process " + process.pid() + " ended unexpectedly");
        }
        JsonNode n = Json.MAPPER.readTree(line);
        if (n.has("error")) {
            throw new IOException("worker: " + n.get("error").asText());
        }
        return n;
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public synchronized Progress progress() throws IOException {
        if (finished && last != null) {
            return last;
        }
        last = Progress.fromJson(request("progress"));
        return last;
    }

    @Override
    public synchronized PhaseStats phase(int phase) throws IOException {
        return PhaseStats.fromJson(request("phase " + phase));
    }

    public synchronized java.util.Map<Integer, Spread> spreads() throws IOException {
        return ReceiveStats.fromJson(request("spreads")).spreads;
    }

    @Override
    public synchronized ReceiveStats finish() throws Exception {
        ReceiveStats stats = ReceiveStats.fromJson(request("finish"));
        finished = true;
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroy();
        }
        return stats;
    }

    @Override
    public synchronized void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        finished = true;
    }
}
