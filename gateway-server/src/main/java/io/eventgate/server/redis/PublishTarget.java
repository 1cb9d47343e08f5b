package io.eventgate.server.redis;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.CompletableFuture;

/**
 * Where {@link RedisIngress} publishes: in a node, {@code Gateway.publish}; in tests, an engine directly.
 *
 * <p>A synchronous {@link io.eventgate.protocol.ProtocolException} (or a future failing with one) marks the message
 * invalid; any other failure is retried (durable ingress) or counted as a failure (best-effort ingress).
 */
@FunctionalInterface
public interface PublishTarget {
    /**
     * @param ack true/false overrides the namespace's ACK default; null keeps it
     * @return completes when the event is sequenced and stored, exceptionally when it was not
     */
    CompletableFuture<?> publish(String channel, ObjectNode event, Boolean ack, boolean critical) throws Exception;
}
