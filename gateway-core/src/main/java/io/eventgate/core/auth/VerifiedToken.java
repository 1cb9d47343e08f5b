package io.eventgate.core.auth;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The claims of a token that passed {@link TokenVerifier#verify(String)}.
 *
 * @param userId        the {@code sub} claim (non-blank)
 * @param channelGrants the {@code channels} claim; empty when the token has none (immutable)
 * @param expiresAt     when the token stops being accepted: its {@code exp} claim plus the configured leeway, or
 *                      {@code null} if the token does not expire
 */
public record VerifiedToken(String userId, List<String> channelGrants, Instant expiresAt) {

    /** Copies {@code channelGrants} (null means none); {@code userId} is required. */
    public VerifiedToken {
        Objects.requireNonNull(userId, "userId");
        channelGrants = channelGrants == null ? List.of() : List.copyOf(channelGrants);
    }

    /**
     * True if a grant equals the channel, or a grant ending in {@code '*'} is a prefix of it once
     * the star is removed: {@code "market:*"} grants {@code "market:7f3a"}, {@code "*"} grants
     * everything. A {@code '*'} anywhere else in a grant is an ordinary character.
     *
     * @param channel channel name; {@code null} is never granted
     */
    public boolean grants(String channel) {
        if (channel == null) {
            return false;
        }
        for (String grant : channelGrants) {
            if (grant.endsWith("*")) {
                if (channel.startsWith(grant.substring(0, grant.length() - 1))) {
                    return true;
                }
            } else if (grant.equals(channel)) {
                return true;
            }
        }
        return false;
    }
}
