package io.eventgate.core.session;

import java.util.List;

/**
 * What a session leaves behind for a resume: its user, subscriptions and positions.
 *
 * @param sessionId the id sent in {@code connected}
 * @param userId the token subject; a resume must present a token for the same user
 * @param subscriptions every subscription with its position
 * @param savedAtMillis when this snapshot was taken
 */
public record SessionSnapshot(String sessionId, String userId, List<SubscriptionSnapshot> subscriptions,
                              long savedAtMillis) {}
