package io.eventgate.server.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A private redis-server (no persistence) on a random port 20000-30000, for tests that take Redis down or restart
 * it; the machine's shared Redis on 6379 is never stopped.
 */
public final class PrivateRedis implements AutoCloseable {
    private static final Duration WAIT = Duration.ofSeconds(30);

    public final int port;
    private Process process;

    public PrivateRedis() {
        this.port = freePort();
    }

    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts (or restarts, on the same port) and waits until it answers PING. */
    public void start() {
        try {
            process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server", e);
        }
        await().atMost(WAIT).ignoreExceptions().until(this::answersPing);
    }

    /** PING over a plain socket (RESP inline command). */
    private boolean answersPing() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(2_000);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = new byte[7];
            int n = in.readNBytes(reply, 0, reply.length);
            return new String(reply, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        }
    }

    /** SIGTERM (a clean shutdown; nothing is saved) and waits for the process to end. */
    public void stop() {
        if (process != null) {
            process.destroy();
            await().atMost(WAIT).until(() -> !process.isAlive());
            process = null;
        }
    }

    @Override
    public void close() {
        if (process != null) {
            process.destroyForcibly();
            await().atMost(WAIT).until(() -> !process.isAlive());
            process = null;
        }
    }

    private static int freePort() {
        for (int i = 0; i < 100; i++) {
            int candidate = ThreadLocalRandom.current().nextInt(20_000, 30_000);
            try (ServerSocket socket = new ServerSocket(candidate, 1, InetAddress.getByName("127.0.0.1"))) {
                socket.setReuseAddress(true);
                return candidate;
            } catch (IOException e) {
                // taken: try another
            }
        }
        throw new IllegalStateException("no free port in 20000-30000");
    }
}
