package io.eventgate.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * A persisted subscription of a session, with the stream position the session had reached on that channel.
 *
 * @param channel the channel
 * @param events included event types, or null for every type
 * @param excludedEvents types excluded from "every type" (empty otherwise)
 * @param filters the filter JSON as accepted ({@code EventFilter.toJson()}), or null
 * @param seq last seq of the channel this session had seen (delivered or filtered out); 0 if none
 * @param epoch the epoch that {@code seq} belongs to, or null when the session saw no event
 */
public record SubscriptionSnapshot(String channel, List<String> events, List<String> excludedEvents, JsonNode filters,
                                   long seq, String epoch) {}
