package io.eventgate.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * A message from client to server. Every message may carry an {@code id}, echoed as {@code ref} in the reply.
 * Produced by {@link ClientMessageDecoder}, which has already validated every field's JSON type.
 */
public sealed interface ClientMessage {
    /** The client's correlation id, or null. */
    String id();

    /**
     * Subscribe to event types of the user channel ({@code channels} absent) or to channels, with optional filters.
     *
     * @param events event types to add, or null (no change to the type selection)
     * @param channels channels to subscribe to, or null (the message targets the user channel)
     * @param filters the raw filter JSON, or null (keep the current filter)
     * @param since per-channel stream positions to recover from, or null
     */
    record Subscribe(String id, List<String> events, List<String> channels, JsonNode filters,
                     Map<String, StreamPosition> since) implements ClientMessage {}

    /** Remove event types (of the user channel or of the given channels), or whole channels when only channels are given. */
    record Unsubscribe(String id, List<String> events, List<String> channels) implements ClientMessage {}

    /** Acknowledge delivered events by {@code eventId}. */
    record Ack(String id, List<String> eventIds) implements ClientMessage {}

    /** Application-level ping; the server answers with {@code pong}. */
    record Ping(String id) implements ClientMessage {}

    /** Answer to the server's heartbeat {@code ping}. */
    record Pong(String id) implements ClientMessage {}
}
