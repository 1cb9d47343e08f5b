package io.eventgate.loadtest.client;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.loadtest.Json;
import java.util.Arrays;

/**
 * Per broadcast event {@code k} of one stream: first and last receive time (System.nanoTime) over all subscribers,
 * how many received it, and its phase. Merged over threads and processes; single-threaded while recording.
 */
public final class Spread {
    long[] first = new long[0];
    long[] last = new long[0];
    int[] count = new int[0];
    int[] phase = new int[0];

    void record(long k, long nanos, int ph) {
        int i = (int) k;
        if (i >= count.length) {
            grow(Math.max(i + 1, count.length * 2 + 16));
        }
        if (count[i] == 0 || nanos < first[i]) {
            first[i] = nanos;
        }
        if (count[i] == 0 || nanos > last[i]) {
            last[i] = nanos;
        }
        count[i]++;
        phase[i] = ph;
    }

    private void grow(int n) {
        first = Arrays.copyOf(first, n);
        last = Arrays.copyOf(last, n);
        count = Arrays.copyOf(count, n);
        phase = Arrays.copyOf(phase, n);
    }

    public int size() {
        return count.length;
    }

    public int count(int k) {
        return k < count.length ? count[k] : 0;
    }

    public int phase(int k) {
        return phase[k];
    }

    /** Last minus first receive, in microseconds. */
    public long spreadMicros(int k) {
        return (last[k] - first[k]) / 1000;
    }

    public void merge(Spread o) {
        if (o.count.length > count.length) {
            grow(o.count.length);
        }
        for (int i = 0; i < o.count.length; i++) {
            if (o.count[i] == 0) {
                continue;
            }
            if (count[i] == 0) {
                first[i] = o.first[i];
                last[i] = o.last[i];
                phase[i] = o.phase[i];
            } else {
                first[i] = Math.min(first[i], o.first[i]);
                last[i] = Math.max(last[i], o.last[i]);
            }
            count[i] += o.count[i];
        }
    }

    public Spread copy() {
        Spread s = new Spread();
        s.merge(this);
        return s;
    }

    ObjectNode toJson() {
        ObjectNode n = Json.object();
        ArrayNode f = n.putArray("first");
        ArrayNode l = n.putArray("last");
        ArrayNode c = n.putArray("count");
        ArrayNode p = n.putArray("phase");
        for (int i = 0; i < count.length; i++) {
            f.add(first[i]);
            l.add(last[i]);
            c.add(count[i]);
            p.add(phase[i]);
        }
        return n;
    }

    static Spread fromJson(com.fasterxml.jackson.databind.JsonNode n) {
        Spread s = new Spread();
        int size = n.get("count").size();
        s.grow(size);
        for (int i = 0; i < size; i++) {
            s.first[i] = n.get("first").get(i).asLong();
            s.last[i] = n.get("last").get(i).asLong();
            s.count[i] = n.get("count").get(i).asInt();
            s.phase[i] = n.get("phase").get(i).asInt();
        }
        return s;
    }
}
