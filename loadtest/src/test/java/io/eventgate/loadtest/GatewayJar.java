package io.eventgate.loadtest;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventgate.loadtest.server.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The gateway jar of this build and the java running the tests: what the harness's ITs start. */
final class GatewayJar {
    private GatewayJar() {}

    /** The built jar; fails the test with a hint when it is missing. */
    static Path path() {
        Path jar = Path.of("..", "gateway-server", "target", "gateway.jar").toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(jar), jar + " is missing: build the project first (mvn -B -q install"
                + " -DskipTests at the root)");
        return jar;
    }

    /** The java binary of this test JVM. */
    static String java() {
        return ProcessHandle.current().info().command().orElseThrow();
    }

    /** Harness options pointing at {@code gateway} with its credentials, followed by {@code more}. */
    static String[] against(ServerProcess gateway, String jwtSecret, String apiKey, String... more) {
        String[] common = {"--url", gateway.baseUrl(), "--jwt-secret", jwtSecret, "--api-key", apiKey,
                "--server-pid", String.valueOf(gateway.pid()), "--no-results", "--progress-interval", "5s"};
        String[] all = java.util.Arrays.copyOf(common, common.length + more.length);
        System.arraycopy(more, 0, all, common.length, more.length);
        return all;
    }

    /** One node from the jar on the first free port from {@code basePort}; the caller awaits readiness and stops it. */
    static ServerProcess start(Path logs, String jwtSecret, String apiKey, int basePort, String heap)
            throws IOException {
        int port = ServerProcess.freePorts(basePort, 1);
        return ServerProcess.start(new ServerProcess.Launch(Target.EVENTGATE, path(), java(), heap, List.of(), "node",
                null, Map.of(), logs, jwtSecret, apiKey), port, 0);
    }
}
