package io.eventgate.protocol;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses and validates client frames into {@link ClientMessage}s. Stateless and thread-safe.
 * Every refusal is a {@link ProtocolException} whose code comes from {@link ErrorCode} and whose message names the field.
 */
public final class ClientMessageDecoder {
    public static final int MAX_LIST_SIZE = 100;
    public static final int MAX_ACK_IDS = 1000;
    public static final int MAX_ID_LENGTH = 128;
    public static final int MAX_EVENT_TYPE_LENGTH = 64;

    private ClientMessageDecoder() {}

    public static ClientMessage decode(byte[] utf8) throws ProtocolException {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(utf8);
        } catch (JacksonException e) {
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, "malformed JSON: " + shortReason(e));
        } catch (IOException e) {
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, "malformed JSON");
        }
        return decode(root);
    }

    public static ClientMessage decode(String text) throws ProtocolException {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(text);
        } catch (JacksonException e) {
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, "malformed JSON: " + shortReason(e));
        }
        return decode(root);
    }

    private static ClientMessage decode(JsonNode root) throws ProtocolException {
        if (root == null || !root.isObject()) {
            throw new ProtocolException(ErrorCode.MALFORMED_JSON, "a message must be a JSON object");
        }
        String id = optionalId(root);
        try {
            JsonNode type = root.get("type");
            if (type == null || !type.isTextual()) {
                throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, "field 'type' must be a string");
            }
            return switch (type.textValue()) {
                case "subscribe" -> subscribe(id, root);
                case "unsubscribe" -> unsubscribe(id, root);
                case "ack" -> ack(id, root);
                case "ping" -> new ClientMessage.Ping(id);
                case "pong" -> new ClientMessage.Pong(id);
                default -> throw new ProtocolException(ErrorCode.UNKNOWN_TYPE,
                        "unknown message type '" + truncate(type.textValue()) + "'");
            };
        } catch (ProtocolException e) {
            throw e.withRef(id);
        }
    }

    private static String optionalId(JsonNode root) throws ProtocolException {
        JsonNode id = root.get("id");
        if (id == null || id.isNull()) {
            return null;
        }
        if (id.isTextual() && id.textValue().length() <= MAX_ID_LENGTH) {
            return id.textValue();
        }
        if (id.isIntegralNumber()) {
            return id.asText();
        }
        throw new ProtocolException(ErrorCode.INVALID_FIELD, "field 'id' must be a string of at most "
                + MAX_ID_LENGTH + " characters or an integer");
    }

    private static ClientMessage.Subscribe subscribe(String id, JsonNode root) throws ProtocolException {
        List<String> events = eventTypes(root);
        List<String> channels = channels(root);
        JsonNode filters = root.get("filters");
        if (filters != null && !filters.isNull() && !filters.isObject() && !filters.isArray()) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "field 'filters' must be an object or an array");
        }
        if (filters != null && filters.isNull()) {
            filters = null;
        }
        Map<String, StreamPosition> since = since(root);
        if (events == null && channels == null && filters == null && since == null) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD,
                    "subscribe needs at least one of 'events', 'channels', 'filters' or 'since'");
        }
        return new ClientMessage.Subscribe(id, events, channels, filters, since);
    }

    private static ClientMessage.Unsubscribe unsubscribe(String id, JsonNode root) throws ProtocolException {
        List<String> events = eventTypes(root);
        List<String> channels = channels(root);
        if (events == null && channels == null) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "unsubscribe needs 'events' or 'channels'");
        }
        return new ClientMessage.Unsubscribe(id, events, channels);
    }

    private static ClientMessage.Ack ack(String id, JsonNode root) throws ProtocolException {
        List<String> ids = new ArrayList<>();
        JsonNode single = root.get("eventId");
        if (single != null && !single.isNull()) {
            if (!single.isTextual() || single.textValue().isEmpty()) {
                throw new ProtocolException(ErrorCode.INVALID_FIELD, "field 'eventId' must be a non-empty string");
            }
            ids.add(single.textValue());
        }
        JsonNode many = root.get("eventIds");
        if (many != null && !many.isNull()) {
            ids.addAll(stringList(many, "eventIds", MAX_ACK_IDS, Integer.MAX_VALUE));
        }
        if (ids.isEmpty()) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "ack needs 'eventId' or a non-empty 'eventIds'");
        }
        return new ClientMessage.Ack(id, Collections.unmodifiableList(ids));
    }

    private static List<String> eventTypes(JsonNode root) throws ProtocolException {
        JsonNode node = root.get("events");
        if (node == null || node.isNull()) {
            return null;
        }
        return stringList(node, "events", MAX_LIST_SIZE, MAX_EVENT_TYPE_LENGTH);
    }

    private static List<String> channels(JsonNode root) throws ProtocolException {
        JsonNode node = root.get("channels");
        if (node == null || node.isNull()) {
            return null;
        }
        List<String> channels = stringList(node, "channels", MAX_LIST_SIZE, Integer.MAX_VALUE);
        for (int i = 0; i < channels.size(); i++) {
            String problem = ChannelNames.problem(channels.get(i));
            if (problem != null) {
                throw new ProtocolException(ErrorCode.INVALID_FIELD, "channels[" + i + "]: " + problem);
            }
        }
        return channels;
    }

    private static Map<String, StreamPosition> since(JsonNode root) throws ProtocolException {
        JsonNode node = root.get("since");
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD,
                    "field 'since' must be an object of channel -> {\"seq\":n,\"epoch\":\"...\"}");
        }
        if (node.size() > MAX_LIST_SIZE) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "field 'since' has more than " + MAX_LIST_SIZE + " channels");
        }
        Map<String, StreamPosition> positions = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String field = "since." + truncate(entry.getKey());
            String problem = ChannelNames.problem(entry.getKey());
            if (problem != null) {
                throw new ProtocolException(ErrorCode.INVALID_FIELD, field + ": " + problem);
            }
            JsonNode pos = entry.getValue();
            JsonNode seq = pos.get("seq");
            JsonNode epoch = pos.get("epoch");
            if (!pos.isObject() || seq == null || !seq.isIntegralNumber() || !seq.canConvertToLong()
                    || seq.asLong() < 0) {
                throw new ProtocolException(ErrorCode.INVALID_FIELD, field + ".seq must be a non-negative integer");
            }
            if (epoch == null || !epoch.isTextual()) {
                throw new ProtocolException(ErrorCode.INVALID_FIELD, field + ".epoch must be a string");
            }
            positions.put(entry.getKey(), new StreamPosition(seq.asLong(), epoch.textValue()));
        }
        return Collections.unmodifiableMap(positions);
    }

    private static List<String> stringList(JsonNode node, String field, int maxSize, int maxLength)
            throws ProtocolException {
        if (!node.isArray()) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "field '" + field + "' must be an array of strings");
        }
        if (node.size() > maxSize) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "field '" + field + "' has more than " + maxSize + " entries");
        }
        if (node.isEmpty()) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "field '" + field + "' must not be empty");
        }
        List<String> values = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            if (!item.isTextual() || item.textValue().isEmpty() || item.textValue().length() > maxLength) {
                throw new ProtocolException(ErrorCode.INVALID_FIELD, field + "[" + i + "] must be a non-empty string"
                        + (maxLength < Integer.MAX_VALUE ? " of at most " + maxLength + " characters" : ""));
            }
            values.add(item.textValue());
        }
        return Collections.unmodifiableList(values);
    }

    private static String shortReason(JacksonException e) {
        String message = e.getOriginalMessage();
        if (message == null) {
            return "unreadable input";
        }
        int newline = message.indexOf('\n');
        return truncate(newline > 0 ? message.substring(0, newline) : message);
    }

    static String truncate(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }

    /** For publishers: an event must be a JSON object with a non-empty string {@code type}. */
    public static ObjectNode requireEvent(JsonNode event, String field) throws ProtocolException {
        if (event == null || !event.isObject()) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "field '" + field + "' must be a JSON object");
        }
        JsonNode type = event.get("type");
        if (type == null || !type.isTextual() || type.textValue().isEmpty()
                || type.textValue().length() > MAX_EVENT_TYPE_LENGTH) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "field '" + field
                    + ".type' must be a non-empty string of at most " + MAX_EVENT_TYPE_LENGTH + " characters");
        }
        JsonNode eventId = event.get("eventId");
        if (eventId != null && (!eventId.isTextual() || eventId.textValue().isEmpty()
                || eventId.textValue().length() > MAX_ID_LENGTH)) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "field '" + field
                    + ".eventId' must be a non-empty string of at most " + MAX_ID_LENGTH + " characters");
        }
        JsonNode timestamp = event.get("timestamp");
        if (timestamp != null && !timestamp.isTextual()) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "field '" + field + ".timestamp' must be a string");
        }
        return (ObjectNode) event;
    }
}
