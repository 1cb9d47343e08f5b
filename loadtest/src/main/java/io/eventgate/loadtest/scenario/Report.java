package io.eventgate.loadtest.scenario;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.loadtest.Hist;
import io.eventgate.loadtest.Json;
import io.eventgate.loadtest.client.Progress;
import io.eventgate.loadtest.client.ReceiveStats;
import io.eventgate.loadtest.publish.PublisherStats;
import java.util.List;

/** Result sections shared by the scenarios. */
final class Report {
    private Report() {}

    static ObjectNode connections(ReceiveStats rs, Progress atReady) {
        ObjectNode c = Json.object();
        c.put("target", rs.connections);
        c.put("opened", rs.opened);
        c.put("failed", rs.failed);
        c.put("attempts", rs.attempts);
        c.put("retries", rs.retries);
        c.put("droppedDuringRun", rs.closedUnexpectedly);
        c.set("connectTimeMs", Hist.summaryMillis(rs.connectTime));
        if (!rs.serverCloses().isEmpty()) {
            ObjectNode closes = c.putObject("serverCloses");
            rs.serverCloses().forEach(closes::put);
        }
        if (atReady != null) {
            ArrayNode per = c.putArray("openPerServer");
            for (int v : atReady.openPerUrl()) {
                per.add(v);
            }
        }
        return c;
    }

    /** The publisher's figures, and each path's when it used several ({@code --publish-mode mixed}). */
    static ObjectNode publisher(io.eventgate.loadtest.publish.Publisher publisher, PublisherStats ps) {
        ObjectNode p = publisher(ps);
        if (!publisher.paths().isEmpty()) {
            ObjectNode paths = p.putObject("paths");
            publisher.paths().forEach((name, stats) -> paths.set(name, publisher(stats)));
        }
        return p;
    }

    static ObjectNode publisher(PublisherStats ps) {
        ObjectNode p = Json.object();
        p.put("submitted", ps.submitted());
        p.put("published", ps.published());
        p.put("failed", ps.failed());
        p.put("requests", ps.requests());
        p.set("requestRoundTripMs", Hist.summaryMillis(ps.roundTrip()));
        return p;
    }

    static ObjectNode delivery(long published, long failed, long expected, ReceiveStats rs) {
        ObjectNode d = Json.object();
        long received = rs.received();
        d.put("published", published);
        d.put("publishFailed", failed);
        d.put("expected", expected);
        d.put("received", received);
        d.put("lost", Math.max(0, expected - received));
        d.put("unexpected", Math.max(0, received - expected));
        d.put("duplicates", rs.duplicates);
        d.put("redelivered", rs.redelivered);
        d.put("orderViolations", rs.orderViolations);
        d.put("clientErrors", rs.errors);
        if (!rs.errorSamples.isEmpty()) {
            ArrayNode a = d.putArray("errorSamples");
            rs.errorSamples.forEach(a::add);
        }
        return d;
    }

    /** Ack messages sent and event ids in them; confirmations ({@code acked}) only when they carried an id. */
    static ObjectNode acks(ReceiveStats rs) {
        ObjectNode a = Json.object();
        a.put("messages", rs.acksSent);
        a.put("eventIds", rs.counter("ackedIds"));
        a.put("confirmed", rs.counter("ackConfirmed"));
        a.put("unknown", rs.counter("ackUnknown"));
        return a;
    }

    static void check(List<String> failures, boolean ok, String what) {
        if (!ok) {
            failures.add(what);
        }
    }

    static String ms(ObjectNode summary, String field) {
        return summary.has(field) ? summary.get(field).asText() + " ms" : "n/a";
    }
}
