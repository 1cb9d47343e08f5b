package io.eventgate.loadtest.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.tools.attach.VirtualMachine;
import io.eventgate.loadtest.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU profile of started eventgate nodes over a measurement window ({@code --profile}): async-profiler (its Linux
 * library is packed in the harness jar) is loaded into each node through the JDK attach API when the window opens
 * and stopped when it closes. Samples include native and kernel frames where the kernel allows perf events
 * (otherwise async-profiler falls back to timer signals and kernel frames are missing, which the summary says).
 *
 * <p>Each node leaves {@code <name>.html} (flame graph) and {@code <name>.collapsed} (one line per stack) under
 * {@code loadtest/results/profiles/}; the result JSON gets a summary: samples per category of the leaf frame (kernel
 * socket writes, the loopback receive path inside them, reads, epoll, other kernel work, GC and VM threads, JIT
 * compiler threads, Netty, Jackson, eventgate, the JDK, other native code) and the frames with the most self
 * samples.
 */
public final class Profiler {
    private static final String LIBRARY_RESOURCE = "linux-x64/libasyncProfiler.so";
    private static final int TOP_FRAMES = 20;
    /**
     * On loopback, a send runs the receiving socket's TCP input (softirq) in the sender's thread: work that belongs
     * to the clients is charged to the gateway. Its own category, so it can be told apart.
     */
    static final String LOOPBACK_RECEIVE = "kernel: loopback receive path of the clients, run in the gateway's sends";

    private final List<Node> nodes;
    private final String event;

    private record Node(long pid, Path base) {}

    private Profiler(List<Node> nodes, String event) {
        this.nodes = nodes;
        this.event = event;
    }

    /**
     * Starts profiling each pid; {@code dir/name-<pid>} is the base of its output files.
     *
     * @param event async-profiler event: {@code cpu} (perf events, timer fallback), {@code itimer} or {@code alloc}
     */
    public static Profiler start(List<Long> pids, Path dir, String name, String event) throws IOException {
        Path library = library();
        Files.createDirectories(dir);
        List<Node> nodes = new ArrayList<>();
        for (long pid : pids) {
            String options = "start,event=" + event + ("alloc".equals(event) ? "" : ",interval=1ms");
            command(pid, library, options);
            nodes.add(new Node(pid, dir.resolve(name + "-" + pid)));
        }
        return new Profiler(nodes, event);
    }

    /** Stops every node's profile, writes the files and returns the summary (one entry per node). */
    public ArrayNode stop() throws IOException {
        Path library = library();
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (Node n : nodes) {
            Path html = n.base.resolveSibling(n.base.getFileName() + ".html");
            Path collapsed = n.base.resolveSibling(n.base.getFileName() + ".collapsed");
            command(n.pid, library, "dump,file=" + html.toAbsolutePath());
            command(n.pid, library, "stop,collapsed,file=" + collapsed.toAbsolutePath());
            ObjectNode s = summarize(collapsed);
            s.put("pid", n.pid);
            s.put("event", event);
            s.put("flamegraph", io.eventgate.loadtest.Paths.root().relativize(html.toAbsolutePath()).toString());
            s.put("collapsed", io.eventgate.loadtest.Paths.root().relativize(collapsed.toAbsolutePath()).toString());
            out.add(s);
        }
        return out;
    }

    private static void command(long pid, Path library, String options) throws IOException {
        VirtualMachine vm;
        try {
            vm = VirtualMachine.attach(Long.toString(pid));
        } catch (com.sun.tools.attach.AttachNotSupportedException e) {
            throw new IOException("cannot attach to " + pid + ": " + e.getMessage(), e);
        }
        try {
            vm.loadAgentPath(library.toString(), options);
        } catch (com.sun.tools.attach.AgentLoadException | com.sun.tools.attach.AgentInitializationException e) {
            throw new IOException("async-profiler refused '" + options + "' in " + pid + ": " + e.getMessage(), e);
        } finally {
            vm.detach();
        }
    }

    private static synchronized Path library() throws IOException {
        Path tmp = io.eventgate.loadtest.Paths.root().resolve("loadtest/results/tmp/libasyncProfiler.so");
        if (!Files.isRegularFile(tmp)) {
            Files.createDirectories(tmp.getParent());
            try (InputStream in = Profiler.class.getClassLoader().getResourceAsStream(LIBRARY_RESOURCE)) {
                if (in == null) {
                    throw new IOException(LIBRARY_RESOURCE + " is not in the harness jar (async-profiler dependency)");
                }
                Path part = tmp.resolveSibling(tmp.getFileName() + ".part");
                Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
                Files.move(part, tmp, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        return tmp.toAbsolutePath();
    }

    /** Category of one collapsed stack (frames root first). */
    static String category(String[] frames) {
        String leaf = frames[frames.length - 1];
        boolean javaThread = false;
        for (String f : frames) {
            if (f.contains("CompileBroker") || f.contains("C2Compiler") || f.contains("Compiler::compile")) {
                return "JIT compiler threads";
            }
            if (f.startsWith("java/") || f.startsWith("io/") || f.startsWith("jdk/") || f.startsWith("sun/")) {
                javaThread = true;
            }
        }
        if (!javaThread) {
            for (String f : frames) {
                if (f.contains("G1") || f.contains("GC") || f.startsWith("Z") || f.contains("WorkerThread")
                        || f.contains("VMThread") || f.contains("Monitor")) {
                    return "GC and VM threads";
                }
            }
        }
        if (leaf.endsWith("_[k]")) {
            boolean receivePath = false;
            for (String f : frames) {
                receivePath |= f.startsWith("__netif_receive_skb") || f.startsWith("ip_rcv")
                        || f.startsWith("tcp_v4_rcv") || f.startsWith("process_backlog");
            }
            for (String f : frames) {
                if (f.startsWith("__x64_sys_sendto") || f.startsWith("__x64_sys_write") || f.startsWith("__x64_sys_sendmsg")) {
                    return receivePath ? LOOPBACK_RECEIVE : "kernel: socket writes";
                }
                if (f.startsWith("__x64_sys_recvfrom") || f.startsWith("__x64_sys_read") || f.startsWith("__x64_sys_recvmsg")) {
                    return "kernel: socket reads";
                }
                if (f.startsWith("__x64_sys_epoll")) {
                    return "kernel: epoll";
                }
            }
            return "kernel: other (scheduling, interrupts, page faults)";
        }
        if (leaf.startsWith("io/netty/")) {
            return "Netty";
        }
        if (leaf.startsWith("com/fasterxml/")) {
            return "Jackson";
        }
        if (leaf.startsWith("io/eventgate/")) {
            return "eventgate";
        }
        if (leaf.startsWith("java/") || leaf.startsWith("jdk/") || leaf.startsWith("sun/")) {
            return "JDK";
        }
        if (!javaThread) {
            return "other native threads";
        }
        return "native code in Java threads (libc, JVM runtime, barriers)";
    }

    /** Samples per category and the top self frames of a collapsed profile. */
    static ObjectNode summarize(Path collapsed) throws IOException {
        Map<String, Long> categories = new LinkedHashMap<>();
        Map<String, Long> self = new HashMap<>();
        long total = 0;
        boolean kernelFrames = false;
        try (BufferedReader r = Files.newBufferedReader(collapsed)) {
            String line;
            while ((line = r.readLine()) != null) {
                int sp = line.lastIndexOf(' ');
                if (sp <= 0) {
                    continue;
                }
                long n = Long.parseLong(line.substring(sp + 1).trim());
                String[] frames = line.substring(0, sp).split(";");
                total += n;
                categories.merge(category(frames), n, Long::sum);
                self.merge(frames[frames.length - 1], n, Long::sum);
                kernelFrames |= frames[frames.length - 1].endsWith("_[k]");
            }
        }
        ObjectNode s = Json.object();
        s.put("samples", total);
        s.put("kernelFrames", kernelFrames);
        ObjectNode cats = s.putObject("categoriesPercent");
        long t = Math.max(1, total);
        categories.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> cats.put(e.getKey(), Json.round3(100.0 * e.getValue() / t)));
        ArrayNode top = s.putArray("topSelfFrames");
        self.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()
                        .thenComparing(Map.Entry.comparingByKey(Comparator.naturalOrder())))
                .limit(TOP_FRAMES)
                .forEach(e -> top.addObject().put("frame", e.getKey()).put("percent",
                        Json.round3(100.0 * e.getValue() / t)));
        return s;
    }
}
