package io.eventgate.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One channel subscription as stated to the client in {@code subscribed}/{@code unsubscribed} replies.
 *
 * @param channel the channel
 * @param events the event types delivered, or null for every type
 * @param excludedEvents types removed from "every type" by an unsubscribe, empty otherwise
 * @param filters the filter JSON, or null
 * @param seq the channel's current sequence number (last published), or -1 when unknown
 * @param epoch the channel's epoch, or null when unknown
 * @param recovered for subscriptions made with {@code since}: whether every missed event was replayed; null otherwise
 */
public record SubscriptionState(String channel, List<String> events, List<String> excludedEvents, JsonNode filters,
                                long seq, String epoch, Boolean recovered) {}
