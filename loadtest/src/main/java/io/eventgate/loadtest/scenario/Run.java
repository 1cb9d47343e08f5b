package io.eventgate.loadtest.scenario;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.loadtest.Durations;
import io.eventgate.loadtest.Json;
import io.eventgate.loadtest.Options;
import io.eventgate.loadtest.Paths;
import io.eventgate.loadtest.ProcStats;
import io.eventgate.loadtest.Target;
import io.eventgate.loadtest.Transport;
import io.eventgate.loadtest.client.Fleet;
import io.eventgate.loadtest.client.FleetSpec;
import io.eventgate.loadtest.client.LocalFleet;
import io.eventgate.loadtest.client.PhaseStats;
import io.eventgate.loadtest.client.Progress;
import io.eventgate.loadtest.client.ReceiveStats;
import io.eventgate.loadtest.client.RemoteFleet;
import io.eventgate.loadtest.client.Spread;
import io.eventgate.loadtest.publish.HttpPublisher;
import io.eventgate.loadtest.publish.Ledger;
import io.eventgate.loadtest.publish.PublishMode;
import io.eventgate.loadtest.publish.Publisher;
import io.eventgate.loadtest.publish.PublisherStats;
import io.eventgate.loadtest.publish.RedisPublisher;
import io.eventgate.loadtest.publish.SplitPublisher;
import io.eventgate.loadtest.server.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The shared machinery of one scenario run: the servers (started or given), the client fleets (in-process or in
 * worker processes), the publisher, the progress line, the measurements of the server and client processes, and the
 * results file.
 */
public final class Run implements AutoCloseable {
    public final Options o;
    public final String scenario;
    public final Target target;
    public final Transport transport;
    public final String runId = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    public final List<ServerProcess> servers = new ArrayList<>();
    public final List<String> urls;
    public final List<Long> serverPids = new ArrayList<>();
    public final String jwtSecret;
    public final String tokensFile;
    public final String apiKey;
    public final ObjectNode result = Json.object();
    public final ObjectNode config;
    public final io.eventgate.loadtest.client.Users users;
    public final long startNanos = System.nanoTime();
    private final List<Fleet> fleets = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Path root = Paths.root();
    private Publisher publisher;
    private Thread printer;
    private volatile boolean printing;
    private volatile String phaseLabel = "";
    private Thread shutdownHook;

    private Run(Options o, String scenario) {
        this.o = o;
        this.scenario = scenario;
        this.target = Target.parse(o.string("target", "eventgate"));
        this.transport = Transport.parse(o.string("transport", "ws"), target);
        boolean start = o.flag("start-gateway");
        if (start && o.has("url")) {
            throw new IllegalArgumentException("give either --start-gateway or --url, not both");
        }
        this.jwtSecret = o.string("jwt-secret", start ? ServerProcess.BENCH_JWT_SECRET : null);
        this.tokensFile = o.string("tokens-file", null);
        this.apiKey = o.string("api-key", start ? ServerProcess.BENCH_API_KEY : null);
        if (target == Target.EVENTGATE && jwtSecret == null && tokensFile == null) {
            throw new IllegalArgumentException("--target eventgate needs --jwt-secret or --tokens-file (or"
                    + " --start-gateway, which uses a bench secret)");
        }
        this.urls = new ArrayList<>();
        this.config = Json.object();
        this.users = io.eventgate.loadtest.client.Users.of(target.authenticated() ? jwtSecret : null,
                target.authenticated() ? tokensFile : null);
        result.put("scenario", scenario);
        result.put("target", target.id());
        result.put("transport", transport.id());
        if (o.has("label")) {
            result.put("label", o.string("label", ""));
        }
        result.put("timestamp", ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                .replaceAll("\\.\\d+", ""));
        result.put("command", command(scenario, o.raw()));
        result.set("git", git(root));
        result.set("machine", ProcStats.machine());
        result.set("config", config);
    }

    /**
     * Publishing before the measured window (--warmup): 30 s unless given, long enough for freshly started nodes to
     * be JIT-compiled (with 5 s the cross-node p99 measured compilation; BENCHMARKS.md notes).
     */
    public static Duration warmup(Options o) {
        return o.duration("warmup", Duration.ofSeconds(30));
    }

    public static Run open(Options o, String scenario) throws Exception {
        return open(o, scenario, run -> Map.of());
    }

    /** Prepares what started servers need (e.g. a database) before they start; returns extra server environment. */
    @FunctionalInterface
    public interface Setup {
        Map<String, String> prepare(Run run) throws Exception;
    }

    /** Like {@link #open(Options, String)}, with {@code setup} run first (its cleanups: {@link #onClose}). */
    public static Run open(Options o, String scenario, Setup setup) throws Exception {
        return open(o, scenario, setup, true);
    }

    /** With {@code startServers} false, --start-gateway starts nothing here: the scenario starts its servers. */
    public static Run open(Options o, String scenario, Setup setup, boolean startServers) throws Exception {
        Run run = new Run(o, scenario);
        run.startDefaultServers = startServers;
        try {
            run.shutdownHook = new Thread(run::cleanUp, "loadtest-stop-servers");
            Runtime.getRuntime().addShutdownHook(run.shutdownHook);
            run.setupEnv.putAll(setup.prepare(run));
            run.prepareRedisPublishing();
            run.startServers();
        } catch (Exception e) {
            run.close();
            throw e;
        }
        return run;
    }

    private final Map<String, String> setupEnv = new LinkedHashMap<>();
    /** GATEWAY_REDIS_PREFIX of the nodes the Redis publish modes publish to; null when not known. */
    private String redisPrefix;

    /**
     * With --publish-mode redis-*: nodes started here get --redis-url and a fresh prefix (keys deleted at the end);
     * against a running deployment the prefix is --redis-prefix.
     */
    private void prepareRedisPublishing() {
        if (!PublishMode.parse(o.string("publish-mode", "http")).redis()) {
            return;
        }
        if (target != Target.EVENTGATE) {
            throw new IllegalArgumentException("the Redis publish modes need --target eventgate (the peers have no"
                    + " Redis ingress)");
        }
        String redisUrl = o.string("redis-url", "redis://127.0.0.1:6379");
        if (o.flag("start-gateway")) {
            if (!startDefaultServers) {
                throw new IllegalArgumentException("scenario " + scenario + " starts its own nodes: it does not take"
                        + " the Redis publish modes");
            }
            redisPrefix = "loadtest-" + runId;
            setupEnv.put("GATEWAY_REDIS_URL", redisUrl);
            setupEnv.put("GATEWAY_REDIS_PREFIX", redisPrefix);
            String prefix = redisPrefix;
            onClose(() -> CrossNode.deleteRedisKeys(redisUrl, prefix));
        } else {
            redisPrefix = o.string("redis-prefix", "gateway");
        }
        config.put("redisUrl", redisUrl);
        config.put("redisPrefix", redisPrefix);
    }
    private boolean startDefaultServers = true;
    /** Defaults of --max-connections-per-worker and --source-addresses chosen by a scenario (else automatic). */
    public int defaultPerWorker = -1;
    public List<String> defaultSources;
    /** Clients send ack messages with an id, so the server confirms them ("acked"). */
    public boolean ackConfirm;
    private final List<Runnable> cleanups = new ArrayList<>();

    /** Runs {@code cleanup} at the end (after the servers stopped; also on failure and on SIGINT/SIGTERM). */
    public synchronized void onClose(Runnable cleanup) {
        cleanups.add(0, cleanup);
    }

    private synchronized void cleanUp() {
        for (Fleet f : new ArrayList<>(fleets)) {
            f.close(); // worker processes too
        }
        stopServers();
        for (Runnable r : cleanups) {
            try {
                r.run();
            } catch (RuntimeException e) {
                System.err.println("loadtest: cleanup failed: " + e);
            }
        }
        cleanups.clear();
    }

    /** The extra environment of started servers: --gateway-env plus what the setup added. */
    public Map<String, String> gatewayEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : o.all("gateway-env")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--gateway-env: expected KEY=VALUE, got \"" + kv + "\"");
            }
            env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        env.putAll(setupEnv);
        return env;
    }

    /**
     * Starts {@code nodes} more servers (ports from a free range at 18080 up), with {@code env} (per node index; the
     * node's GATEWAY_NODE_ID is loadtest-&lt;index&gt; unless env sets it) and waits until they are ready. They
     * are measured (server CPU/RSS) and stopped at the end, or earlier by {@link #stopGateways}.
     */
    public List<ServerProcess> startGateways(int nodes, java.util.function.IntFunction<Map<String, String>> env,
                                             String heap, List<String> jvmOpts) throws Exception {
        int base = ServerProcess.freePorts(18080, nodes);
        List<ServerProcess> started = new ArrayList<>();
        try {
            for (int i = 0; i < nodes; i++) {
                ServerProcess.Launch launch = new ServerProcess.Launch(target,
                        Path.of(o.string("gateway-jar", root.resolve("gateway-server/target/gateway.jar").toString())),
                        o.string("java", Paths.currentJava()), heap, jvmOpts, o.string("node", "node"),
                        root.resolve("loadtest/peers"), env.apply(i), root.resolve("loadtest/results/tmp"), jwtSecret,
                        apiKey);
                ServerProcess p = ServerProcess.start(launch, base + i, i);
                synchronized (this) {
                    servers.add(p);
                    serverPids.add(p.pid());
                }
                started.add(p);
            }
            for (ServerProcess p : started) {
                p.awaitReady(Duration.ofSeconds(120));
                say("started " + target.id() + " pid " + p.pid() + " on " + p.baseUrl() + " (log " + root.relativize(
                        p.log().toAbsolutePath()) + ")");
            }
        } catch (Exception e) {
            stopGateways(started);
            throw e;
        }
        return started;
    }

    /** Stops servers started by {@link #startGateways} (SIGTERM, then SIGKILL after 30 s). */
    public void stopGateways(List<ServerProcess> list) {
        for (ServerProcess p : list) {
            p.stop(Duration.ofSeconds(30));
            synchronized (this) {
                servers.remove(p);
                serverPids.remove(p.pid());
            }
        }
    }

    /** JVM options of started gateways (--gateway-jvm-opts; with --profile, dynamic agent loading allowed). */
    public List<String> gatewayJvmOpts() {
        List<String> jvmOpts = new ArrayList<>();
        if (o.has("profile")) {
            jvmOpts.add("-XX:+EnableDynamicAgentLoading");
        }
        for (String opt : o.string("gateway-jvm-opts", "").split("\\s+")) {
            if (!opt.isBlank()) {
                jvmOpts.add(opt);
            }
        }
        return jvmOpts;
    }

    /** The single in-process fleet (scenarios that drive connections directly, e.g. reconnect-storm). */
    public LocalFleet localFleet() {
        if (fleets.size() != 1 || !(fleets.get(0) instanceof LocalFleet l)) {
            throw new IllegalStateException("expected one in-process fleet, have " + fleets.size());
        }
        return l;
    }

    /** Records extra servers in the results (their environment with secrets redacted). */
    public static ObjectNode redactedEnv(Map<String, String> env) {
        ObjectNode e = Json.object();
        env.forEach((k, v) -> e.put(k, k.contains("SECRET") || k.contains("KEY") || k.contains("PASSWORD")
                ? "<redacted>" : v));
        return e;
    }

    private void startServers() throws Exception {
        ObjectNode s = result.putObject("servers");
        if (!o.flag("start-gateway")) {
            urls.addAll(o.list("url", "http://127.0.0.1:8080"));
            for (String pid : o.list("server-pid", null)) {
                serverPids.add(Long.parseLong(pid));
            }
            s.put("started", false);
            s.set("urls", strings(urls));
            s.put("measured", !serverPids.isEmpty());
            return;
        }
        if (!startDefaultServers) {
            s.put("started", true);
            s.put("startedBy", "scenario");
            return;
        }
        int nodes = o.integer("nodes", 1);
        int base = o.has("port") ? o.integer("port", 18080) : ServerProcess.freePorts(18080, nodes);
        Map<String, String> env = gatewayEnv();
        List<String> jvmOpts = gatewayJvmOpts();
        String heap = o.string("gateway-heap", "2g");
        ServerProcess.Launch launch = new ServerProcess.Launch(target,
                Path.of(o.string("gateway-jar", root.resolve("gateway-server/target/gateway.jar").toString())),
                o.string("java", Paths.currentJava()), heap, jvmOpts, o.string("node", "node"),
                root.resolve("loadtest/peers"), env, root.resolve("loadtest/results/tmp"), jwtSecret, apiKey);
        for (int i = 0; i < nodes; i++) {
            ServerProcess p = ServerProcess.start(launch, base + i, i);
            servers.add(p);
            serverPids.add(p.pid());
            urls.add(p.baseUrl());
        }
        for (ServerProcess p : servers) {
            p.awaitReady(Duration.ofSeconds(60));
            say("started " + target.id() + " pid " + p.pid() + " on " + p.baseUrl() + " (log " + root.relativize(
                    p.log().toAbsolutePath()) + ")");
        }
        s.put("started", true);
        s.put("nodes", nodes);
        s.set("urls", strings(urls));
        s.put("measured", true);
        if (target == Target.EVENTGATE) {
            s.put("heap", heap);
            s.set("jvmOptions", strings(jvmOpts));
        }
        if (!env.isEmpty()) {
            ObjectNode e = s.putObject("env");
            env.forEach((k, v) -> e.put(k, k.contains("SECRET") || k.contains("KEY") || k.contains("PASSWORD")
                    ? "<redacted>" : v));
        }
    }

    // ---------------------------------------------------------------- clients

    /** Opens connections {@code [from, to)}, in-process or in worker processes; returns at once. */
    public void connect(int from, int to, List<String> channels) throws Exception {
        connect(from, to, channels, urls);
    }

    /** Opens connections {@code [from, to)} to the servers {@code urls} (a subset of the run's servers). */
    public void connect(int from, int to, List<String> channels, List<String> urls) throws Exception {
        int n = to - from;
        int limit = ProcStats.openFilesLimit();
        int perWorker = o.integer("max-connections-per-worker", defaultPerWorker > 0 ? defaultPerWorker
                : Math.max(100, limit - 400));
        int workers = o.integer("workers", (n + perWorker - 1) / perWorker);
        List<String> sources = o.list("source-addresses", null);
        if (sources.isEmpty() && defaultSources != null) {
            sources.addAll(defaultSources);
        }
        int perUrl = (n + urls.size() - 1) / Math.max(1, urls.size());
        if (sources.isEmpty() && perUrl > 25_000) {
            for (int i = 0; i < (perUrl + 24_999) / 25_000; i++) {
                sources.add("127.0.0." + (i + 1));
            }
        }
        double rate = o.number("connect-rate", 2000);
        FleetSpec spec = new FleetSpec(target.id(), urls, sources, from, to, jwtSecret, tokensFile, rate,
                o.integer("connect-concurrency", 256), o.duration("connect-timeout", Duration.ofSeconds(30)).toMillis(),
                o.integer("connect-retries", 2), target == Target.EVENTGATE ? channels : List.of(),
                o.string("ack", "auto"), o.integer("io-threads", 2), ackConfirm, transport.id());
        config.put("connections", n);
        config.put("connectRate", rate);
        config.put("workers", Math.max(1, workers));
        if (!sources.isEmpty()) {
            config.set("sourceAddresses", strings(sources));
        }
        if (workers <= 1) {
            if (n + 300 > limit) {
                say("warning: " + n + " connections in one process with an open-files limit of " + limit);
            }
            LocalFleet f = new LocalFleet(spec);
            fleets.add(f);
            f.start();
            return;
        }
        List<String> jvm = new ArrayList<>();
        jvm.add("-Xmx" + Math.max(512, (n / workers) / 20) + "m");
        if (Runtime.version().feature() >= 25) {
            jvm.add("-XX:+UseCompactObjectHeaders");
        }
        jvm.add("--enable-native-access=ALL-UNNAMED");
        String java = o.string("java", Paths.currentJava());
        int size = (n + workers - 1) / workers;
        for (int w = 0; w < workers; w++) {
            int a = from + w * size;
            int b = Math.min(to, a + size);
            if (a >= b) {
                break;
            }
            RemoteFleet f = new RemoteFleet(spec.withRange(a, b, rate / workers),
                    RemoteFleet.defaultCommand(java, jvm));
            fleets.add(f);
            f.start();
            say("worker " + w + " (pid " + f.pid() + "): connections " + a + ".." + (b - 1));
        }
    }

    /** Waits until every connection opened or finally failed. */
    public Progress awaitConnected(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Progress p = progress();
        while (!p.settled() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            p = progress();
        }
        return p;
    }

    public Progress progress() throws Exception {
        List<Progress> all = new ArrayList<>();
        for (Fleet f : fleets) {
            all.add(f.progress());
        }
        return Progress.sum(all, urls.size());
    }

    public PhaseStats phase(int ph) throws Exception {
        PhaseStats out = new PhaseStats();
        for (Fleet f : fleets) {
            out.merge(f.phase(ph));
        }
        return out;
    }

    public Map<Integer, Spread> spreads() throws Exception {
        Map<Integer, Spread> out = new TreeMap<>();
        for (Fleet f : fleets) {
            Map<Integer, Spread> m = f instanceof LocalFleet l ? l.spreads() : ((RemoteFleet) f).spreads();
            m.forEach((k, v) -> out.computeIfAbsent(k, x -> new Spread()).merge(v));
        }
        return out;
    }

    /** Closes every client connection and merges what the fleets measured. */
    public ReceiveStats finishClients() throws Exception {
        ReceiveStats all = new ReceiveStats();
        for (Fleet f : fleets) {
            all.merge(f.finish());
        }
        fleets.clear();
        return all;
    }

    /** Waits until the clients received {@code expected} events in total, or the timeout; returns received. */
    public long awaitReceived(java.util.function.LongSupplier expected, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long received = progress().received();
        while (received < expected.getAsLong() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            received = progress().received();
        }
        return received;
    }

    // ---------------------------------------------------------------- publisher

    public Publisher publisher(Ledger ledger, int defaultConnections) throws Exception {
        return publisher(ledger, defaultConnections, urls);
    }

    /** A publisher to {@code urls} (item.node indexes this list); a previous publisher of this run is closed. */
    public Publisher publisher(Ledger ledger, int defaultConnections, List<String> urls) throws Exception {
        if (publisher != null) {
            publisher.close();
            publisher = null;
        }
        PublishMode mode = PublishMode.parse(o.string("publish-mode", "http"));
        if (target == Target.EVENTGATE && apiKey == null) {
            throw new IllegalArgumentException("publishing to eventgate needs --api-key (or --start-gateway)");
        }
        // Mixed: --http-connections for the HTTP half, 4 Redis connections for the other.
        int conns = mode == PublishMode.MIXED ? 4 : o.integer("http-connections",
                mode == PublishMode.HTTP_BATCH || mode.redis() ? 4 : defaultConnections);
        int batch = o.integer("batch-size", 100);
        Duration linger = o.duration("batch-linger", Duration.ofMillis(2));
        config.put("publishMode", mode.id());
        config.put("httpConnections", conns);
        if (mode == PublishMode.HTTP_BATCH) {
            config.put("batchSize", batch);
            config.put("batchLinger", Durations.format(linger));
        }
        config.put("payloadBytes", o.integer("payload-bytes", 0));
        if (mode.redis()) {
            if (redisPrefix == null) {
                throw new IllegalArgumentException("--publish-mode " + mode.id() + " is not available in scenario "
                        + scenario);
            }
            RedisPublisher redis = new RedisPublisher(mode == PublishMode.MIXED ? PublishMode.REDIS_XADD : mode,
                    o.string("redis-url", "redis://127.0.0.1:6379"), redisPrefix, conns, o.integer("payload-bytes", 0),
                    ledger);
            publisher = mode != PublishMode.MIXED ? redis : SplitPublisher.mixed(new HttpPublisher(target,
                    PublishMode.HTTP, urls, target.authenticated() ? apiKey : null,
                    o.integer("http-connections", defaultConnections), batch, linger, o.integer("payload-bytes", 0),
                    ledger), redis);
        } else {
            publisher = new HttpPublisher(target, mode, urls, target.authenticated() ? apiKey : null, conns, batch,
                    linger, o.integer("payload-bytes", 0), ledger);
        }
        publisher.start();
        return publisher;
    }

    // ---------------------------------------------------------------- measurements

    public boolean serverMeasured() {
        return !serverPids.isEmpty();
    }

    /** CPU time of the measured server processes, or -1. */
    public long serverCpuNanos() {
        if (serverPids.isEmpty()) {
            return -1;
        }
        long sum = 0;
        for (long pid : serverPids) {
            long v = ProcStats.cpuNanos(pid);
            if (v < 0) {
                return -1;
            }
            sum += v;
        }
        return sum;
    }

    public long serverRssBytes() {
        if (serverPids.isEmpty()) {
            return -1;
        }
        long sum = 0;
        for (long pid : serverPids) {
            long v = ProcStats.rssBytes(pid);
            if (v < 0) {
                return -1;
            }
            sum += v;
        }
        return sum;
    }

    /** Used heap after a forced GC, summed over the started servers, or -1 (not started here). */
    public long serverHeapAfterGc() {
        if (servers.isEmpty()) {
            return -1;
        }
        long sum = 0;
        for (ServerProcess s : servers) {
            long v = s.heapUsedAfterGc();
            if (v < 0) {
                return -1;
            }
            sum += v;
        }
        return sum;
    }

    /** CPU time of this process plus the worker processes. */
    public long clientCpuNanos() throws Exception {
        return ProcStats.selfCpuNanos() + progress().cpuNanos();
    }

    /** A snapshot of CPU counters, to measure a window. */
    public record Sample(long nanos, long serverCpu, long clientCpu, ProcStats.HostCpu host, long received) {}

    public Sample sample() throws Exception {
        if (profiler == null && o.has("profile") && !profileDone) {
            profileStart();
        }
        Progress p = progress();
        return new Sample(System.nanoTime(), serverCpuNanos(), ProcStats.selfCpuNanos() + p.cpuNanos(),
                ProcStats.HostCpu.now(), p.received());
    }

    /** CPU and steal over a window as JSON: seconds, server µs per delivered event. */
    public ObjectNode window(Sample a, Sample b, long deliveries) {
        if (profiler != null) {
            profileStop();
        }
        ObjectNode w = Json.object();
        double seconds = (b.nanos() - a.nanos()) / 1e9;
        w.put("seconds", Json.round3(seconds));
        if (a.serverCpu() >= 0 && b.serverCpu() >= 0) {
            double cpu = (b.serverCpu() - a.serverCpu()) / 1e9;
            w.put("serverCpuSeconds", Json.round3(cpu));
            w.put("serverCpuPercentOfOneCore", Json.round3(100 * cpu / seconds));
            if (deliveries > 0) {
                w.put("serverCpuMicrosPerDelivery", Json.round3(cpu * 1e6 / deliveries));
            }
        } else {
            w.put("serverCpuSeconds", "n/a");
        }
        double ccpu = (b.clientCpu() - a.clientCpu()) / 1e9;
        w.put("clientCpuSeconds", Json.round3(ccpu));
        w.put("clientCpuPercentOfOneCore", Json.round3(100 * ccpu / seconds));
        w.put("stealPercent", b.host().stealPercentSince(a.host()));
        // CPU used by everything else on the host (other jobs compete with server and clients for the same cores)
        double busy = b.host().busySecondsSince(a.host());
        double ours = ccpu + (a.serverCpu() >= 0 && b.serverCpu() >= 0 ? (b.serverCpu() - a.serverCpu()) / 1e9 : 0);
        w.put("otherProcessesCpuPercentOfOneCore", Json.round3(Math.max(0, 100 * (busy - ours) / seconds)));
        w.put("loadAverage1m", ProcStats.loadAverage());
        w.put("deliveries", deliveries);
        return w;
    }

    // ---------------------------------------------------------------- profile (--profile)

    private io.eventgate.loadtest.server.Profiler profiler;
    private boolean profileDone;

    /** The first measurement window opens: profile the started eventgate nodes. */
    private void profileStart() {
        profileDone = true;
        List<Long> pids = new ArrayList<>();
        for (ServerProcess s : servers) {
            if (target == Target.EVENTGATE && s.pid() > 0) {
                pids.add(s.pid());
            }
        }
        if (pids.isEmpty()) {
            say("--profile: no started eventgate node to profile (it needs --start-gateway and --target eventgate)");
            return;
        }
        String name = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                + "-" + scenario;
        try {
            profiler = io.eventgate.loadtest.server.Profiler.start(pids, resultsDir().resolve("profiles"), name,
                    o.string("profile", "cpu"));
            say("profiling " + pids + " (" + o.string("profile", "cpu") + ") over the first measurement window");
        } catch (IOException e) {
            say("--profile: could not start async-profiler: " + e.getMessage());
        }
    }

    /** The first measurement window closes: stop the profile, keep its summary in the result. */
    private void profileStop() {
        try {
            result.set("profile", profiler.stop());
            say("profile: " + result.get("profile").get(0).path("flamegraph").asText());
        } catch (IOException e) {
            say("--profile: could not stop async-profiler: " + e.getMessage());
        } finally {
            profiler = null;
        }
    }

    // ---------------------------------------------------------------- progress line

    public void phaseLabel(String label) {
        this.phaseLabel = label;
    }

    public void startProgress() {
        Duration every = o.duration("progress-interval", Duration.ofSeconds(2));
        printing = true;
        printer = new Thread(() -> {
            long lastNanos = System.nanoTime();
            long lastRecv = 0;
            long lastSent = 0;
            while (printing) {
                try {
                    Thread.sleep(every.toMillis());
                    Progress p = progress();
                    PublisherStats ps = publisher == null ? null : publisher.stats();
                    long now = System.nanoTime();
                    double dt = (now - lastNanos) / 1e9;
                    long sent = ps == null ? 0 : ps.published();
                    if (sent < lastSent) {
                        lastSent = 0; // a new publisher (a scenario with several loads)
                    }
                    if (p.received() < lastRecv) {
                        lastRecv = 0; // new client fleets
                    }
                    StringBuilder line = new StringBuilder(String.format("[%6.1fs] %s conns %d/%d open",
                            (now - startNanos) / 1e9, phaseLabel, p.open(), p.connections()));
                    if (p.failed() > 0 || p.closedUnexpectedly() > 0) {
                        line.append(String.format(" (%d failed, %d dropped)", p.failed(), p.closedUnexpectedly()));
                    }
                    if (ps != null) {
                        line.append(String.format(" | published %.0f/s (backlog %d, failed %d)",
                                (sent - lastSent) / dt, ps.backlog(), ps.failed()));
                    }
                    line.append(String.format(" | received %.0f/s (total %d)", (p.received() - lastRecv) / dt,
                            p.received()));
                    if (p.pings() > 0) {
                        line.append(" | pings ").append(p.pings());
                    }
                    line.append(" | errors ").append(p.errors());
                    say(line.toString());
                    lastNanos = now;
                    lastRecv = p.received();
                    lastSent = sent;
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    say("progress: " + e);
                }
            }
        }, "progress");
        printer.setDaemon(true);
        printer.start();
    }

    // ---------------------------------------------------------------- results

    public static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    private Path resultsDir() {
        return Path.of(o.string("results-dir", root.resolve("loadtest/results").toString()));
    }

    /** Writes the results file (unless --no-results) and returns its path, or null. */
    public Path writeResult() throws IOException {
        if (o.flag("no-results")) {
            return null;
        }
        Path dir = resultsDir();
        Files.createDirectories(dir);
        String ts = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        String name = ts + "-" + scenario + (target == Target.EVENTGATE ? "" : "-" + target.id()) + ".json";
        Path file = dir.resolve(name);
        Files.writeString(file, Json.pretty(result) + "\n");
        return file;
    }

    static String command(String scenario, List<String> args) {
        StringBuilder b = new StringBuilder("./scripts/loadtest.sh ").append(scenario);
        for (String a : args) {
            b.append(' ');
            if (a.matches("[A-Za-z0-9_./:=,@%+-]+")) {
                b.append(a);
            } else {
                b.append('\'').append(a.replace("'", "'\\''")).append('\'');
            }
        }
        return b.toString();
    }

    private static ObjectNode git(Path root) {
        ObjectNode g = Json.object();
        try {
            var head = runQuiet(root, "git", "rev-parse", "HEAD");
            g.put("commit", head.isEmpty() ? "unknown" : head.get(0).trim());
            var status = runQuiet(root, "git", "status", "--porcelain", "--untracked-files=no");
            g.put("dirty", !status.isEmpty());
        } catch (Exception e) {
            g.put("commit", "unknown");
        }
        return g;
    }

    private static List<String> runQuiet(Path dir, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        List<String> out = new ArrayList<>();
        try (var r = p.inputReader()) {
            String line;
            while ((line = r.readLine()) != null) {
                out.add(line);
            }
        }
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed");
        }
        return out;
    }

    static ArrayNode strings(List<String> list) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        list.forEach(a::add);
        return a;
    }

    private void stopServers() {
        List<ServerProcess> copy;
        synchronized (this) {
            copy = new ArrayList<>(servers);
        }
        for (ServerProcess s : copy) {
            s.stop(Duration.ofSeconds(30));
        }
    }

    @Override
    public void close() {
        printing = false;
        if (printer != null) {
            printer.interrupt();
        }
        for (Fleet f : fleets) {
            f.close();
        }
        fleets.clear();
        if (publisher != null) {
            publisher.close();
        }
        cleanUp();
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // already shutting down
            }
        }
    }
}
