package io.eventgate.server.persistence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private PostgreSQL 15 cluster for outage tests: {@code initdb} into a temporary directory, then {@code pg_ctl}
 * start/stop on a random port (55432 + n) on 127.0.0.1 with trust auth. initdb refuses to run as root, so as root
 * every command runs as the {@code postgres} OS user through {@code runuser -u postgres --}. Never touches the
 * shared cluster on 5432. {@link #close()} stops it and deletes the directory.
 */
final class PrivatePostgres implements AutoCloseable {
    static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");
    private static final long COMMAND_TIMEOUT_SECONDS = 120;

    final int port;
    private final Path dir;
    private final Path data;
    private final boolean asRoot = "root".equals(System.getProperty("user.name"));
    private boolean running;

    private PrivatePostgres(Path dir, int port) {
        this.dir = dir;
        this.data = dir.resolve("data");
        this.port = port;
    }

    /** initdb + start. */
    static PrivatePostgres start() throws IOException {
        Path dir = Files.createTempDirectory("eventgate-pg-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        PrivatePostgres pg = new PrivatePostgres(dir, freePort());
        try {
            if (pg.asRoot) {
                pg.run(List.of("chown", "postgres:postgres", dir.toString()), false);
            }
            pg.run(List.of(BIN.resolve("initdb").toString(), "-D", pg.data.toString(), "-U", "postgres",
                    "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"), true);
            pg.startServer();
            return pg;
        } catch (IOException | RuntimeException e) {
            pg.close();
            throw e;
        }
    }

    /** Starts the server (again) on the same port and data directory; returns when it accepts connections. */
    void startServer() throws IOException {
        run(List.of(BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("server.log").toString(),
                "-w", "-t", "60", "-o",
                "-p " + port + " -c listen_addresses=127.0.0.1 -k " + dir + " -c fsync=off -c full_page_writes=off"
                        + " -c synchronous_commit=off -c max_connections=50",
                "start"), true);
        running = true;
    }

    void startServerIfStopped() throws IOException {
        if (!running) {
            startServer();
        }
    }

    /** Stops the server (fast: open connections are terminated). */
    void stopServer() throws IOException {
        if (running) {
            run(List.of(BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "-t", "60",
                    "stop"), true);
            running = false;
        }
    }

    String adminUrl() {
        return TestDatabase.adminUrl(port);
    }

    private void run(List<String> command, boolean asPostgres) throws IOException {
        List<String> full = new ArrayList<>();
        if (asPostgres && asRoot) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        Path log = Files.createTempFile("eventgate-pg-cmd-", ".log");
        try {
            Process p = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            boolean done = p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", full));
            }
            if (p.exitValue() != 0) {
                throw new IOException("failed (" + p.exitValue() + "): " + String.join(" ", full) + "\n"
                        + Files.readString(log, StandardCharsets.UTF_8) + serverLog());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", full), e);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private String serverLog() {
        try {
            Path log = dir.resolve("server.log");
            return Files.exists(log) ? "\nserver.log:\n" + Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static int freePort() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port = 55432 + ThreadLocalRandom.current().nextInt(1000);
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
                s.setReuseAddress(true);
                return port;
            } catch (IOException busy) {
                // try another
            }
        }
        throw new IOException("no free port in 55432-56431");
    }

    @Override
    public void close() throws IOException {
        try {
            stopServer();
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
    }
}
