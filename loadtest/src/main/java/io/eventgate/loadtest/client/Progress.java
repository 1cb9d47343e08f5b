package io.eventgate.loadtest.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.loadtest.Json;
import java.util.List;

/** Cheap live counters of a fleet (for the progress line and for waiting). */
public record Progress(int connections, int opened, int failed, long closedUnexpectedly, long received, long errors,
                       long pings, long cpuNanos, int[] openPerUrl) {

    /** Connections open right now. */
    public long open() {
        return opened - closedUnexpectedly;
    }

    public boolean settled() {
        return opened + failed >= connections;
    }

    public static Progress sum(List<Progress> all, int urls) {
        int c = 0;
        int o = 0;
        int f = 0;
        long cl = 0;
        long r = 0;
        long e = 0;
        long p = 0;
        long cpu = 0;
        int[] per = new int[urls];
        for (Progress x : all) {
            c += x.connections;
            o += x.opened;
            f += x.failed;
            cl += x.closedUnexpectedly;
            r += x.received;
            e += x.errors;
            p += x.pings;
            cpu += x.cpuNanos;
            for (int i = 0; i < Math.min(urls, x.openPerUrl.length); i++) {
                per[i] += x.openPerUrl[i];
            }
        }
        return new Progress(c, o, f, cl, r, e, p, cpu, per);
    }

    ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("connections", connections);
        n.put("opened", opened);
        n.put("failed", failed);
        n.put("closedUnexpectedly", closedUnexpectedly);
        n.put("received", received);
        n.put("errors", errors);
        n.put("pings", pings);
        n.put("cpuNanos", cpuNanos);
        var a = n.putArray("openPerUrl");
        for (int v : openPerUrl) {
            a.add(v);
        }
        return n;
    }

    static Progress fromJson(JsonNode n) {
        int[] per = new int[n.get("openPerUrl").size()];
        for (int i = 0; i < per.length; i++) {
            per[i] = n.get("openPerUrl").get(i).asInt();
        }
        return new Progress(n.get("connections").asInt(), n.get("opened").asInt(), n.get("failed").asInt(),
                n.get("closedUnexpectedly").asLong(), n.get("received").asLong(), n.get("errors").asLong(),
                n.get("pings").asLong(), n.get("cpuNanos").asLong(), per);
    }
}
