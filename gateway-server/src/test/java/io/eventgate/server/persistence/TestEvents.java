package io.eventgate.server.persistence;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.core.engine.Event;
import io.eventgate.protocol.Json;
import java.nio.charset.StandardCharsets;

/** Events as the engine makes them: body parsed from the exact JSON bytes. */
final class TestEvents {
    private TestEvents() {}

    static Event event(String channel, long seq, String eventId, boolean critical, long publishedAt) {
        String json = "{\"type\":\"trade.executed\",\"amount\":50000.00,\"eventId\":\"" + eventId
                + "\",\"channel\":\"" + channel + "\",\"seq\":" + seq + "}";
        return fromJson(channel, seq, eventId, json, critical, publishedAt);
    }

    static Event fromJson(String channel, long seq, String eventId, String json, boolean critical, long publishedAt) {
        try {
            ObjectNode body = (ObjectNode) Json.MAPPER.readTree(json);
            return new Event(channel, seq, "ep1", eventId, body.path("type").asText("t"), body,
                    json.getBytes(StandardCharsets.UTF_8), true, critical, publishedAt);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
