package io.eventgate.core.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A sequenced event, encoded once. Immutable by contract: the parsed body is shared by every filter evaluation and
 * must never be modified; {@link #json()} is shared by every recipient and must never be modified.
 *
 * <p>A live event carries its parsed {@code body}; events held for a longer time (history, the pending store of
 * offline users) are kept {@linkplain #compact() compact}, as their bytes only: a parsed Jackson tree costs several
 * times the size of its JSON and is only needed when a filter looks at the event again. {@link #filterBody()}
 * returns the parsed body either way. (A connection's unacknowledged events keep the live instance: it is shared by
 * every recipient, a compact copy per recipient would not be.)
 *
 * @param channel the channel it was published to
 * @param seq its position in the channel's stream (strictly increasing per channel)
 * @param epoch the stream's epoch at publish time
 * @param eventId the publisher's or the gateway's id; clients deduplicate by it
 * @param type the event's {@code type}
 * @param body the parsed, stamped event, or null in a compact event; read it with {@link #filterBody()}
 * @param json the stamped event as UTF-8 JSON, exactly what recipients receive
 * @param ackRequired whether acking connections track it until acknowledged
 * @param critical whether an unacknowledged or undeliverable copy goes to the fallback webhook
 * @param publishedAtMillis wall-clock publish time
 */
public record Event(String channel, long seq, String epoch, String eventId, String type, ObjectNode body,
                    byte[] json, boolean ackRequired, boolean critical, long publishedAtMillis) {

    /** Approximate heap bytes of a compact event besides its JSON: the record, the array header, the strings. */
    public static final int COMPACT_OVERHEAD_BYTES = 160;

    /** The parsed event: the body a live event carries, or the JSON parsed again for a compact one. */
    public ObjectNode filterBody() {
        if (body != null) {
            return body;
        }
        try {
            return (ObjectNode) Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("stored event " + eventId + " is not valid JSON", e);
        }
    }

    /** This event without its parsed body (this instance when it has none). */
    public Event compact() {
        return body == null ? this
                : new Event(channel, seq, epoch, eventId, type, null, json, ackRequired, critical, publishedAtMillis);
    }

    /** Approximate heap bytes this event holds when compact. */
    public int compactBytes() {
        return json.length + COMPACT_OVERHEAD_BYTES;
    }
}
