package io.eventgate.loadtest;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository is: $EVENTGATE_ROOT, else the nearest parent of the working directory with loadtest/pom.xml. */
public final class Paths {
    private Paths() {}

    public static Path root() {
        String env = System.getenv("EVENTGATE_ROOT");
        if (env != null && !env.isBlank() && Files.isDirectory(Path.of(env))) {
            return Path.of(env).toAbsolutePath().normalize();
        }
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.exists(p.resolve("loadtest/pom.xml")) && Files.exists(p.resolve("pom.xml"))) {
                return p;
            }
        }
        return dir;
    }

    /** The java binary running this process. */
    public static String currentJava() {
        return ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
