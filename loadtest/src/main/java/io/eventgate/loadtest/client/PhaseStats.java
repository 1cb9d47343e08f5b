package io.eventgate.loadtest.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.loadtest.Hist;
import io.eventgate.loadtest.Json;
import org.HdrHistogram.Histogram;

/**
 * What the clients saw of one phase (warm-up, measurement, one broadcast step): distinct events received and their
 * end-to-end latency, corrected for coordinated omission (from the publisher's intended send time) and raw (from
 * the moment the request was actually written).
 */
public final class PhaseStats {
    public final Histogram latency = Hist.create();
    public final Histogram rawLatency = Hist.create();
    public long received;

    public void merge(PhaseStats o) {
        latency.add(o.latency);
        rawLatency.add(o.rawLatency);
        received += o.received;
    }

    ObjectNode toJson() {
        ObjectNode n = Json.object();
        n.put("received", received);
        n.put("latency", Hist.encode(latency));
        n.put("rawLatency", Hist.encode(rawLatency));
        return n;
    }

    static PhaseStats fromJson(JsonNode n) {
        PhaseStats p = new PhaseStats();
        p.received = n.get("received").asLong();
        p.latency.add(Hist.decode(n.get("latency").asText()));
        p.rawLatency.add(Hist.decode(n.get("rawLatency").asText()));
        return p;
    }
}
