package io.eventgate.loadtest.publish;

import io.eventgate.loadtest.Json;
import io.eventgate.loadtest.Target;

/**
 * The JSON of a published item, the same for every publish path: eventgate's REST publish body ({@code {"user":..,
 * "event":{..}}} or {@code {"channel":..,"event":{..}}}), which its Redis ingress takes too; the peers' body
 * ({@code {"user":..,"event":{..}}} or {@code {"event":{..}}}). The event carries what the receivers check: its id,
 * stream and sequence key, phase and the intended send time.
 */
final class EventBodies {
    private final Target target;
    private final String padding;

    EventBodies(Target target, int payloadBytes) {
        this.target = target;
        this.padding = payloadBytes > 0 ? ",\"pad\":\"" + "x".repeat(payloadBytes) + "\"" : "";
    }

    void appendEvent(StringBuilder sb, PublishItem it, long postedAt) {
        sb.append("{\"type\":\"bench\",\"eventId\":\"").append(it.eventId())
                .append("\",\"s\":").append(it.stream())
                .append(",\"k\":").append(it.k())
                .append(",\"ph\":").append(it.phase())
                .append(",\"sentAtNanos\":").append(it.intendedNanos())
                .append(",\"postedAtNanos\":").append(postedAt)
                .append(padding).append('}');
    }

    void appendItem(StringBuilder sb, PublishItem it, long postedAt) {
        if (it.kind() == PublishItem.Kind.USER) {
            sb.append("{\"user\":\"").append(Json.escape(it.dest())).append("\",\"event\":");
        } else if (target == Target.EVENTGATE) {
            sb.append("{\"channel\":\"").append(Json.escape(it.dest())).append("\",\"event\":");
        } else {
            sb.append("{\"event\":");
        }
        appendEvent(sb, it, postedAt);
        sb.append('}');
    }
}
