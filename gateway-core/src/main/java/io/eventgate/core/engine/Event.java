package io.eventgate.core.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A sequenced event, encoded once. Immutable by contract: {@link #body()} is shared by every filter evaluation and
 * must never be modified; {@link #json()} is shared by every recipient and must never be modified.
 *
 * @param channel the channel it was published to
 * @param seq its position in the channel's stream (strictly increasing per channel)
 * @param epoch the stream's epoch at publish time
 * @param eventId the publisher's or the gateway's id; clients deduplicate by it
 * @param type the event's {@code type}
 * @param body the parsed, stamped event (for filters)
 * @param json the stamped event as UTF-8 JSON, exactly what recipients receive
 * @param ackRequired whether acking connections track it until acknowledged
 * @param critical whether an unacknowledged or undeliverable copy goes to the fallback webhook
 * @param publishedAtMillis wall-clock publish time
 */
public record Event(String channel, long seq, String epoch, String eventId, String type, ObjectNode body,
                    byte[] json, boolean ackRequired, boolean critical, long publishedAtMillis) {}
