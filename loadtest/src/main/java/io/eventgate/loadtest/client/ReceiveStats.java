package io.eventgate.loadtest.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.loadtest.Hist;
import io.eventgate.loadtest.Json;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/** Everything a fleet measured, mergeable over event loops and worker processes; travels as JSON. */
public final class ReceiveStats {
    public final Histogram connectTime = Hist.create();
    public int connections;
    public int opened;
    public int failed;
    public long attempts;
    public long retries;
    public long closedUnexpectedly;
    public long duplicates;
    public long redelivered;
    public long orderViolations;
    public long errors;
    public long pings;
    public long acksSent;
    public long clientCpuNanos;
    public final Map<Integer, PhaseStats> phases = new TreeMap<>();
    public final Map<Integer, Spread> spreads = new TreeMap<>();
    public final java.util.List<String> errorSamples = new java.util.ArrayList<>();
    /** Named counters (acks confirmed, resume outcomes, ...): summed on merge. */
    public final Map<String, Long> counters = new TreeMap<>();

    /** Counter name prefix of the SSE close messages by code ({@code serverClose.4101}). */
    static final String SERVER_CLOSE_PREFIX = "serverClose.";

    /** The close messages SSE streams got, by close code (empty over WebSocket: its close frames are not counted). */
    public Map<String, Long> serverCloses() {
        Map<String, Long> m = new TreeMap<>();
        counters.forEach((k, v) -> {
            if (k.startsWith(SERVER_CLOSE_PREFIX)) {
                m.put(k.substring(SERVER_CLOSE_PREFIX.length()), v);
            }
        });
        return m;
    }

    public long counter(String name) {
        return counters.getOrDefault(name, 0L);
    }

    public void addCounters(Map<String, Long> m) {
        m.forEach((k, v) -> counters.merge(k, v, Long::sum));
    }

    public long received() {
        long sum = 0;
        for (PhaseStats p : phases.values()) {
            sum += p.received;
        }
        return sum;
    }

    public PhaseStats phase(int ph) {
        return phases.computeIfAbsent(ph, k -> new PhaseStats());
    }

    public void merge(ReceiveStats o) {
        connectTime.add(o.connectTime);
        connections += o.connections;
        opened += o.opened;
        failed += o.failed;
        attempts += o.attempts;
        retries += o.retries;
        closedUnexpectedly += o.closedUnexpectedly;
        duplicates += o.duplicates;
        redelivered += o.redelivered;
        orderViolations += o.orderViolations;
        errors += o.errors;
        pings += o.pings;
        acksSent += o.acksSent;
        clientCpuNanos += o.clientCpuNanos;
        addCounters(o.counters);
        o.phases.forEach((k, v) -> phase(k).merge(v));
        o.spreads.forEach((k, v) -> spreads.computeIfAbsent(k, x -> new Spread()).merge(v));
        for (String s : o.errorSamples) {
            if (errorSamples.size() < 10) {
                errorSamples.add(s);
            }
        }
    }

    public ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("connectTime", Hist.encode(connectTime));
        n.put("connections", connections);
        n.put("opened", opened);
        n.put("failed", failed);
        n.put("attempts", attempts);
        n.put("retries", retries);
        n.put("closedUnexpectedly", closedUnexpectedly);
        n.put("duplicates", duplicates);
        n.put("redelivered", redelivered);
        n.put("orderViolations", orderViolations);
        n.put("errors", errors);
        n.put("pings", pings);
        n.put("acksSent", acksSent);
        n.put("clientCpuNanos", clientCpuNanos);
        ObjectNode ph = n.putObject("phases");
        phases.forEach((k, v) -> ph.set(String.valueOf(k), v.toJson()));
        ObjectNode sp = n.putObject("spreads");
        spreads.forEach((k, v) -> sp.set(String.valueOf(k), v.toJson()));
        ObjectNode cs = n.putObject("counters");
        counters.forEach(cs::put);
        ArrayNode es = n.putArray("errorSamples");
        errorSamples.forEach(es::add);
        return n;
    }

    public static ReceiveStats fromJson(JsonNode n) {
        ReceiveStats s = new ReceiveStats();
        s.connectTime.add(Hist.decode(n.get("connectTime").asText()));
        s.connections = n.get("connections").asInt();
        s.opened = n.get("opened").asInt();
        s.failed = n.get("failed").asInt();
        s.attempts = n.get("attempts").asLong();
        s.retries = n.get("retries").asLong();
        s.closedUnexpectedly = n.get("closedUnexpectedly").asLong();
        s.duplicates = n.get("duplicates").asLong();
        s.redelivered = n.get("redelivered").asLong();
        s.orderViolations = n.get("orderViolations").asLong();
        s.errors = n.get("errors").asLong();
        s.pings = n.get("pings").asLong();
        s.acksSent = n.get("acksSent").asLong();
        s.clientCpuNanos = n.get("clientCpuNanos").asLong();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.get("phases").fields(); it.hasNext(); ) {
            var e = it.next();
            s.phases.put(Integer.parseInt(e.getKey()), PhaseStats.fromJson(e.getValue()));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = n.get("spreads").fields(); it.hasNext(); ) {
            var e = it.next();
            s.spreads.put(Integer.parseInt(e.getKey()), Spread.fromJson(e.getValue()));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = n.path("counters").fields(); it.hasNext(); ) {
            var e = it.next();
            s.counters.put(e.getKey(), e.getValue().asLong());
        }
        for (JsonNode e : n.get("errorSamples")) {
            s.errorSamples.add(e.asText());
        }
        return s;
    }
}
