package io.eventgate.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collection;

/**
 * Encoders of every server-to-client control message, each returning UTF-8 JSON bytes.
 * Events themselves are encoded by {@link EventEncoder}.
 */
public final class ServerMessages {
    private static final byte[] PING = "{\"type\":\"ping\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private ServerMessages() {}

    /** The first frame of every connection. {@code resumed}/{@code recovered} are null unless the client asked to resume. */
    public static byte[] connected(String connectionId, String userId, String sessionId, long heartbeatSeconds,
                                   long nowMillis, Boolean resumed, Boolean recovered,
                                   Collection<SubscriptionState> subscriptions) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("type", "connected");
        node.put("connectionId", connectionId);
        node.put("userId", userId);
        node.put("sessionId", sessionId);
        node.put("heartbeatInterval", heartbeatSeconds);
        node.put("timestamp", Json.timestamp(nowMillis));
        if (resumed != null) {
            node.put("resumed", resumed);
        }
        if (recovered != null) {
            node.put("recovered", recovered);
        }
        if (subscriptions != null) {
            node.set("subscriptions", states(subscriptions));
        }
        return bytes(node);
    }

    /** Reply to subscribe: {@code subscriptions} is the connection's whole resulting subscription. */
    public static byte[] subscribed(String ref, Collection<SubscriptionState> subscriptions) {
        return subscriptionReply("subscribed", ref, subscriptions);
    }

    /** Reply to unsubscribe: {@code subscriptions} is the connection's whole resulting subscription. */
    public static byte[] unsubscribed(String ref, Collection<SubscriptionState> subscriptions) {
        return subscriptionReply("unsubscribed", ref, subscriptions);
    }

    private static byte[] subscriptionReply(String type, String ref, Collection<SubscriptionState> subscriptions) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("type", type);
        if (ref != null) {
            node.put("ref", ref);
        }
        node.set("subscriptions", states(subscriptions));
        return bytes(node);
    }

    private static ArrayNode states(Collection<SubscriptionState> subscriptions) {
        ArrayNode array = Json.MAPPER.createArrayNode();
        for (SubscriptionState s : subscriptions) {
            ObjectNode item = array.addObject();
            item.put("channel", s.channel());
            if (s.events() == null) {
                item.put("events", "*");
                if (!s.excludedEvents().isEmpty()) {
                    ArrayNode excluded = item.putArray("excludedEvents");
                    s.excludedEvents().forEach(excluded::add);
                }
            } else {
                ArrayNode events = item.putArray("events");
                s.events().forEach(events::add);
            }
            if (s.filters() != null) {
                item.set("filters", s.filters());
            }
            if (s.seq() >= 0) {
                item.put("seq", s.seq());
            }
            if (s.epoch() != null) {
                item.put("epoch", s.epoch());
            }
            if (s.recovered() != null) {
                item.put("recovered", s.recovered());
            }
        }
        return array;
    }

    public static byte[] error(ErrorCode code, String message, String ref) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("type", "error");
        node.put("code", code.name());
        node.put("message", message == null ? code.defaultMessage() : message);
        if (ref != null) {
            node.put("ref", ref);
        }
        return bytes(node);
    }

    /** Heartbeat; the same bytes every time (callers must not modify the array). */
    public static byte[] ping() {
        return PING;
    }

    public static byte[] pong(String ref, long nowMillis) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("type", "pong");
        node.put("timestamp", Json.timestamp(nowMillis));
        if (ref != null) {
            node.put("ref", ref);
        }
        return bytes(node);
    }

    /** Reply to an ack: how many of the ids were pending on this connection. */
    public static byte[] acked(String ref, int acknowledged, int unknown) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("type", "acked");
        if (ref != null) {
            node.put("ref", ref);
        }
        node.put("acknowledged", acknowledged);
        node.put("unknown", unknown);
        return bytes(node);
    }

    /**
     * The last message of a Server-Sent Events stream: the close code and reason a WebSocket would have received in
     * its close frame (a stream has no close frame).
     */
    public static byte[] close(int code, String reason) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("type", "close");
        node.put("code", code);
        node.put("reason", reason);
        return bytes(node);
    }

    /** HTTP error body {@code {"error":CODE,"message":...}}. */
    public static byte[] httpError(ErrorCode code, String message) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("error", code.name());
        node.put("message", message == null ? code.defaultMessage() : message);
        return bytes(node);
    }

    public static byte[] bytes(Object node) {
        try {
            return Json.MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + node.getClass().getSimpleName(), e);
        }
    }
}
