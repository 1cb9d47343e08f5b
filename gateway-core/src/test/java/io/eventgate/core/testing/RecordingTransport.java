package io.eventgate.core.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.core.engine.Event;
import io.eventgate.core.hub.Lane;
import io.eventgate.core.hub.Transport;
import io.eventgate.protocol.CloseCode;
import io.eventgate.protocol.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * A transport for tests on one lane: records the control messages sent (parsed: each must be JSON), the events
 * written and the closes; it is open until the first close.
 */
public final class RecordingTransport implements Transport {
    public record Close(CloseCode code, String detail) {}

    public final Lane lane;
    public final List<JsonNode> controls = new ArrayList<>();
    public final List<Event> events = new ArrayList<>();
    public final List<Close> closes = new ArrayList<>();
    /** Like a Server-Sent Events stream: the client sends nothing on it, so the idle timeout does not apply. */
    public boolean streamOnly;

    public RecordingTransport(Lane lane) {
        this.lane = lane;
    }

    @Override
    public boolean idleTimeoutApplies() {
        return !streamOnly;
    }

    @Override
    public Lane lane() {
        return lane;
    }

    @Override
    public void sendControl(byte[] json) {
        try {
            controls.add(Json.MAPPER.readTree(json));
        } catch (Exception e) {
            throw new AssertionError("control message is not JSON", e);
        }
    }

    @Override
    public void writeEvent(Event event) {
        events.add(event);
    }

    @Override
    public void flush() {}

    @Override
    public void close(CloseCode code, String detail) {
        closes.add(new Close(code, detail));
    }

    @Override
    public boolean isOpen() {
        return closes.isEmpty();
    }

    @Override
    public String remoteAddress() {
        return "127.0.0.1";
    }

    @Override
    public String userAgent() {
        return "test";
    }

    /** The last control message sent (fails when there is none). */
    public JsonNode last() {
        assertFalse(controls.isEmpty(), "no control message was sent");
        return controls.get(controls.size() - 1);
    }

    /** The control messages of one {@code type}, in the order sent. */
    public List<JsonNode> ofType(String type) {
        return controls.stream().filter(c -> type.equals(c.path("type").textValue())).toList();
    }

    /** The seqs of the events written, in the order written. */
    public List<Long> eventSeqs() {
        return events.stream().map(Event::seq).toList();
    }
}
