package io.eventgate.loadtest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Linux /proc readings (CPU, RSS, steal), the JVM heap of another process (jcmd/jstat), and machine facts. */
public final class ProcStats {
    private static final long CLK_TCK = clockTicks();

    private ProcStats() {}

    /** CPU time (user + system) of this process. */
    public static long selfCpuNanos() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
            return sun.getProcessCpuTime();
        }
        return cpuNanos(ProcessHandle.current().pid());
    }

    /** utime + stime of a process from /proc/PID/stat, or -1. */
    public static long cpuNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return ticks * (1_000_000_000L / CLK_TCK);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Resident set size from /proc/PID/status (VmRSS), or -1. */
    public static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return -1;
    }

    /** Host CPU counters from the first line of /proc/stat (ticks). */
    public record HostCpu(long steal, long total, long idle) {
        public static HostCpu now() {
            try {
                String line = Files.readAllLines(Path.of("/proc/stat")).get(0);
                String[] f = line.trim().split("\\s+");
                long total = 0;
                for (int i = 1; i <= 8 && i < f.length; i++) {
                    total += Long.parseLong(f[i]);
                }
                long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
                long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
                return new HostCpu(steal, total, idle);
            } catch (IOException | RuntimeException e) {
                return new HostCpu(0, 0, 0);
            }
        }

        /** CPU seconds all processes of the host used between {@code earlier} and this (not idle, not stolen). */
        public double busySecondsSince(HostCpu earlier) {
            long busy = (total - earlier.total) - (idle - earlier.idle) - (steal - earlier.steal);
            return busy / (double) CLK_TCK;
        }

        /** Steal time between {@code earlier} and this, as a percentage of all CPU time. */
        public double stealPercentSince(HostCpu earlier) {
            long dt = total - earlier.total;
            return dt <= 0 ? 0 : Json.round3(100.0 * (steal - earlier.steal) / dt);
        }
    }

    /**
     * Forces a full GC in JVM {@code pid} ({@code jcmd PID GC.run}) and returns its used heap in bytes
     * ({@code jstat -gc}: S0U+S1U+EU+OU), or -1 when that is not possible.
     */
    public static long heapUsedAfterGc(long pid, String javaBinary) {
        Path bin = Path.of(javaBinary).getParent();
        String jcmd = bin == null ? "jcmd" : bin.resolve("jcmd").toString();
        String jstat = bin == null ? "jstat" : bin.resolve("jstat").toString();
        try {
            run(List.of(jcmd, String.valueOf(pid), "GC.run"));
            Thread.sleep(500);
            run(List.of(jcmd, String.valueOf(pid), "GC.run"));
            Thread.sleep(500);
            List<String> lines = run(List.of(jstat, "-gc", String.valueOf(pid)));
            if (lines.size() < 2) {
                return -1;
            }
            String[] names = lines.get(lines.size() - 2).trim().split("\\s+");
            String[] values = lines.get(lines.size() - 1).trim().split("\\s+");
            double kb = 0;
            for (int i = 0; i < names.length && i < values.length; i++) {
                if (List.of("S0U", "S1U", "EU", "OU").contains(names[i])) {
                    kb += Double.parseDouble(values[i]);
                }
            }
            return (long) (kb * 1024);
        } catch (IOException | RuntimeException e) {
            System.err.println("loadtest: cannot read the heap of " + pid + ": " + e.getMessage());
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    static List<String> run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (var r = p.inputReader(StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " timed out");
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": "
                    + String.join(" ", lines));
        }
        return lines;
    }

    private static long clockTicks() {
        try {
            List<String> out = run(List.of("getconf", "CLK_TCK"));
            return Long.parseLong(out.get(0).trim());
        } catch (Exception e) {
            return 100;
        }
    }

    /** The 1-minute load average, or -1. */
    public static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** nproc, memory, kernel, CPU model, java. */
    public static ObjectNode machine() {
        ObjectNode m = Json.object();
        m.put("nproc", Runtime.getRuntime().availableProcessors());
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    m.put("memTotalMiB", kb / 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        try {
            m.put("kernel", Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim());
        } catch (IOException e) {
            m.put("kernel", System.getProperty("os.version"));
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    m.put("cpu", line.substring(line.indexOf(':') + 1).trim());
                    break;
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        m.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
        return m;
    }

    /** The open-files limit of this process (soft), or 1024 when unknown. */
    public static int openFilesLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                    return f[0].equals("unlimited") ? Integer.MAX_VALUE : Integer.parseInt(f[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return 1024;
    }
}
