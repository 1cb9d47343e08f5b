package io.eventgate.loadtest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Command-line options: {@code --name value}, {@code --name=value} or a bare {@code --flag}. Every option is
 * declared in {@link #SPECS} (which is also the {@code --help} text); unknown options are errors. Scenario code asks
 * for typed values with its own defaults.
 */
public final class Options {
    /** One declared option. {@code arg} is null for flags. */
    public record Spec(String name, String arg, String help) {}

    public static final List<Spec> SPECS = List.of(
            new Spec("target", "eventgate|ws|socketio", "protocol to speak and server kind to start (default eventgate)"),
            new Spec("transport", "ws|sse", "how eventgate clients connect: a WebSocket, or a Server-Sent Events"
                    + " stream (GET /api/v1/sse with ?channels=, resume by Last-Event-ID) with acks POSTed to"
                    + " /api/v1/sse/{connectionId} over one keep-alive connection per client; sse needs --target"
                    + " eventgate (default ws)"),
            new Spec("url", "URL[,URL...]", "base HTTP URL(s) of the server(s), e.g. http://127.0.0.1:8080; clients"
                    + " spread over them (default http://127.0.0.1:8080 unless --start-gateway)"),
            new Spec("start-gateway", null, "start the target server(s) locally (eventgate jar, or the Node peer for"
                    + " --target ws|socketio), wait for readiness, stop them (SIGTERM) at the end"),
            new Spec("nodes", "K", "with --start-gateway: number of nodes, on ports base..base+K-1 (default 1)"),
            new Spec("port", "P", "with --start-gateway: base port (default: first free range from 18080)"),
            new Spec("gateway-jar", "PATH", "eventgate jar (default gateway-server/target/gateway.jar)"),
            new Spec("gateway-heap", "SIZE", "-Xmx of a started gateway (default 2g)"),
            new Spec("gateway-jvm-opts", "\"OPTS\"", "extra JVM options of a started gateway (split on spaces)"),
            new Spec("gateway-env", "KEY=VALUE", "extra environment of started servers (repeatable), e.g."
                    + " GATEWAY_REDIS_URL=redis://127.0.0.1:6379 for a cluster"),
            new Spec("java", "PATH", "java binary for started gateways and workers (default: the running one)"),
            new Spec("node", "PATH", "node binary for the peers (default: node on PATH)"),
            new Spec("server-pid", "PID[,PID...]", "measure CPU/RSS of already running local server process(es)"),
            new Spec("jwt-secret", "SECRET", "HS256 secret to mint client tokens with (>= 32 bytes; a fixed bench"
                    + " secret by default with --start-gateway)"),
            new Spec("tokens-file", "FILE", "client tokens, one per line (connection i uses line i mod count;"
                    + " its 'sub' is the user id)"),
            new Spec("api-key", "KEY", "X-API-Key for publishing (a fixed bench key by default with --start-gateway)"),
            new Spec("connections", "N", "client connections (WebSockets, or SSE streams with --transport sse), one"
                    + " user each (users u0..u{N-1})"),
            new Spec("connect-rate", "R", "new connections per second (default 2000)"),
            new Spec("connect-concurrency", "C", "connection attempts in flight at most (default 256)"),
            new Spec("connect-timeout", "DURATION", "TCP connect + handshake timeout (default 30s)"),
            new Spec("connect-retries", "N", "retries of a failed connection attempt (default 2; counted)"),
            new Spec("source-addresses", "A[,A...]", "local addresses to bind (127.0.0.1,127.0.0.2,...);"
                    + " connections spread over them (default: automatic above 25,000 per server)"),
            new Spec("io-threads", "N", "client event loop threads per process (default 2)"),
            new Spec("workers", "W", "client worker processes (default: 1 in-process fleet, more when"
                    + " --connections exceeds what one process may open)"),
            new Spec("max-connections-per-worker", "M", "connections per process (default: open-files limit - 400)"),
            new Spec("duration", "DURATION", "measured publishing time (idle: the measurement window)"),
            new Spec("warmup", "DURATION", "publishing before the measurement, excluded from it (default 30s: freshly"
                    + " started nodes are JIT-compiled by then, which 5s was not; broadcast: at the first step's rate;"
                    + " reconnect-storm: before the drop, default 5s)"),
            new Spec("rate", "R", "events per second (targeted/smoke)"),
            new Spec("publish-mode", "http|http-batch|redis-xadd|redis-publish|mixed", "one event per POST, POST"
                    + " /api/v1/publish/batch, or the gateway's Redis ingress: XADD <prefix>:ingress (durable) or"
                    + " PUBLISH <prefix>:publish (best effort) on --redis-url, pipelined on --http-connections"
                    + " connections (default 4); mixed: both at once, every other user's (channel's) events one per"
                    + " POST, the others by XADD on 4 Redis connections; with --start-gateway the nodes get that Redis"
                    + " and a fresh prefix (default http)"),
            new Spec("redis-prefix", "PREFIX", "redis-xadd/redis-publish against a running deployment: its"
                    + " GATEWAY_REDIS_PREFIX (default gateway)"),
            new Spec("http-connections", "N", "publisher keep-alive HTTP connections per server (default 32; 4 for"
                    + " http-batch), or Redis connections of the Redis publish modes (default 4)"),
            new Spec("batch-size", "N", "http-batch: most items per POST (default 100, gateway max 1000)"),
            new Spec("batch-linger", "DURATION", "http-batch: how long a partial batch waits (default 2ms)"),
            new Spec("payload-bytes", "N", "padding added to every event (default 0)"),
            new Spec("ack", "auto|all|none", "acknowledge events, batched per 50 ms (auto: events of ACK"
                    + " namespaces, i.e. eventgate user channels; default auto)"),
            new Spec("channel", "NAME", "broadcast channel (default market:bench; smoke market:smoke)"),
            new Spec("broadcasts", "N", "smoke: broadcast events (default 5)"),
            new Spec("steps", "R[,R...]", "broadcast: publish rates of the ramp, events/s (default"
                    + " 5,10,20,40,80,160,320)"),
            new Spec("step-duration", "DURATION", "broadcast: length of one ramp step (default 10s)"),
            new Spec("max-p99", "DURATION", "broadcast: the ramp stops after a step whose p99 exceeds this"
                    + " (default 100ms)"),
            new Spec("drain-timeout", "DURATION", "wait at most this long for in-flight events after publishing"
                    + " (default 30s; broadcast steps 10s)"),
            new Spec("warmup-connections", "N", "idle: connections opened and closed before the baseline (default"
                    + " 1000)"),
            new Spec("settle", "DURATION", "idle: pause after connecting, before measuring (default 30s: the"
                    + " heartbeat path is compiled by the JIT before the window; with 5s the JIT threads took 39 %"
                    + " of the window's server CPU)"),
            new Spec("reconnect-rate", "R", "reconnect-storm: reconnections per second after the drop (default 0 ="
                    + " as fast as --connect-concurrency allows)"),
            new Spec("warmup-storms", "K", "reconnect-storm: unmeasured drops and resumes of all connections before the"
                    + " measured one (default 1: the resume path is JIT-compiled by then; without it the compiler"
                    + " threads took 42 % of a run's server CPU, and the storm time moved between 4.1 and 6.3 s)"),
            new Spec("redis-url", "URL", "cross-node/cluster-capacity and the Redis publish modes: Redis of the started nodes (default"
                    + " redis://127.0.0.1:6379; a fresh GATEWAY_REDIS_PREFIX per run, its keys deleted at the end)"),
            new Spec("db-host", "HOST:PORT", "durable: PostgreSQL where the harness creates (psql) and finally drops a"
                    + " fresh database for the started gateway (default 127.0.0.1:5432)"),
            new Spec("db-user", "USER", "durable: database user, also GATEWAY_DB_USER (default postgres; a password"
                    + " via PGPASSWORD)"),
            new Spec("profile", "cpu|itimer|alloc", "profile the started eventgate node(s) with async-profiler over"
                    + " the first measurement window (broadcast: the first step); flame graphs and stacks go to"
                    + " loadtest/results/profiles/, a summary (samples per category, top frames) into the results"),
            new Spec("results-dir", "DIR", "where results JSON files go (default loadtest/results)"),
            new Spec("no-results", null, "do not write a results file"),
            new Spec("label", "TEXT", "free text stored with the results and shown in the report"),
            new Spec("progress-interval", "DURATION", "progress line period (default 2s)"),
            new Spec("out", "FILE", "report: the Markdown file to write (default docs/BENCHMARKS.md)"),
            new Spec("charts-dir", "DIR", "report: where SVG charts go (default docs/benchmarks)"),
            new Spec("help", null, "this text"));

    private final String command;
    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final List<String> raw;

    private Options(String command, List<String> raw) {
        this.command = command;
        this.raw = raw;
    }

    public static Options parse(String command, String[] args) {
        Options o = new Options(command, List.copyOf(Arrays.asList(args)));
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument \"" + a + "\" (options start with --)");
            }
            String name = a.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Spec spec = spec(name);
            if (spec == null) {
                throw new IllegalArgumentException("unknown option --" + name + " (see --help)");
            }
            if (spec.arg() == null) {
                if (value != null) {
                    throw new IllegalArgumentException("--" + name + " takes no value");
                }
                value = "true";
            } else if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--" + name + " needs a value: " + spec.arg());
                }
                value = args[++i];
            }
            o.values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return o;
    }

    private static Spec spec(String name) {
        for (Spec s : SPECS) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    public String command() {
        return command;
    }

    /** The arguments as given (for the results file and the report). */
    public List<String> raw() {
        return raw;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public boolean flag(String name) {
        return has(name);
    }

    public String string(String name, String defaultValue) {
        List<String> v = values.get(name);
        return v == null ? defaultValue : v.get(v.size() - 1);
    }

    public List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    public List<String> list(String name, String defaultValue) {
        String v = string(name, defaultValue);
        List<String> out = new ArrayList<>();
        if (v != null) {
            for (String s : v.split(",")) {
                if (!s.isBlank()) {
                    out.add(s.trim());
                }
            }
        }
        return out;
    }

    public int integer(String name, int defaultValue) {
        String v = string(name, null);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v.replace("_", "").replace(",", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + ": expected an integer, got \"" + v + "\"");
        }
    }

    public double number(String name, double defaultValue) {
        String v = string(name, null);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Double.parseDouble(v.replace("_", "").replace("/s", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + ": expected a number, got \"" + v + "\"");
        }
    }

    public Duration duration(String name, Duration defaultValue) {
        String v = string(name, null);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Durations.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--" + name + ": " + e.getMessage());
        }
    }

    public static String help() {
        StringBuilder b = new StringBuilder();
        b.append("""
                eventgate load-test harness

                usage: ./scripts/loadtest.sh <command> [options]

                commands:
                  smoke      ~2,000 connections, targeted + broadcast events; fails (exit 1) on any loss,
                             duplicate, order violation or connection failure
                  idle       N idle connections with heartbeats: heap/RSS per connection, CPU per 1,000 connections
                             (default 19,500 connections, 60 s window)
                  targeted   one connection per user, events addressed to single users at --rate (default 10,000
                             users, 10,000 events/s, 30 s): latency percentiles (corrected for coordinated
                             omission), loss, server CPU per publish
                  broadcast  N subscribers of one channel, publish rate ramped in --steps until p99 > --max-p99:
                             deliveries/s, first-to-last spread, server CPU per delivery
                  durable    targeted events to N users (default 2,000 at 2,000 events/s, 30 s) through a gateway
                             with PostgreSQL (--start-gateway: a fresh database, dropped at the end); every
                             event acknowledged (ack messages with an id, confirmed by the gateway): acked
                             events/s, latency, loss (must be 0), duplicates and redeliveries apart
                  reconnect-storm
                             N connections (default 10,000) on their user channels with acks, targeted events
                             at --rate (default 1,000/s); all connections aborted at once (RST), then all
                             reconnect with ?resume=: time until all resumed, resumed/recovered counts, loss and
                             duplicates after de-dup by event
                  cross-node the targeted load (default 2,000 users, 2,000 events/s, 20 s) on one node, then on two
                             nodes joined by Redis (receivers on node 1, publishes to node 2): the latency Redis
                             adds (p50/p95/p99 difference); needs --start-gateway
                  cluster-capacity
                             K nodes with Redis (default one per 17,000 connections, -Xmx700m) and worker
                             processes (< 19,000 sockets each, source addresses 127.0.0.1, .2, ...) opening N
                             connections (default 100,000) with heartbeats: connections reached, connect time,
                             heap/RSS per connection per node
                  report     render every results JSON into docs/BENCHMARKS.md and docs/benchmarks/*.svg
                  worker     (internal) a client worker process, driven over stdin/stdout

                options:
                """);
        for (Spec s : SPECS) {
            String left = "  --" + s.name() + (s.arg() == null ? "" : " " + s.arg());
            b.append(left);
            if (left.length() >= 34) {
                b.append('\n').append(" ".repeat(34));
            } else {
                b.append(" ".repeat(34 - left.length()));
            }
            b.append(s.help()).append('\n');
        }
        b.append("""

                examples:
                  ./scripts/loadtest.sh smoke --start-gateway
                  ./scripts/loadtest.sh targeted --start-gateway --connections 10000 --rate 20000
                  ./scripts/loadtest.sh broadcast --start-gateway --target socketio
                  ./scripts/loadtest.sh idle --url http://127.0.0.1:8080 --jwt-secret ... --api-key ...
                  ./scripts/loadtest.sh durable --start-gateway
                  ./scripts/loadtest.sh reconnect-storm --start-gateway
                  ./scripts/loadtest.sh cross-node --start-gateway
                  ./scripts/loadtest.sh cluster-capacity --start-gateway
                  ./scripts/loadtest.sh report
                """);
        return b.toString();
    }
}
