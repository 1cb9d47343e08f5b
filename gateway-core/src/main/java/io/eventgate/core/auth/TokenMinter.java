package io.eventgate.core.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTCreator;
import com.auth0.jwt.algorithms.Algorithm;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * Mints HS256 tokens that a {@link TokenVerifier} configured with the same secret (and issuer /
 * audience) accepts. Used by the CLI {@code token} command and development mode. Thread-safe.
 */
public final class TokenMinter {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Algorithm algorithm;
    private final String issuer;
    private final String audience;

    /**
     * @param hmacSecret at least 32 UTF-8 bytes, else {@link IllegalArgumentException} naming {@code GATEWAY_JWT_SECRET}
     * @param issuer     {@code iss} to put in every token, or {@code null}/blank for none
     * @param audience   {@code aud} to put in every token, or {@code null}/blank for none
     */
    public TokenMinter(String hmacSecret, String issuer, String audience) {
        TokenSettings.requireStrongSecret(hmacSecret);
        this.algorithm = Algorithm.HMAC256(hmacSecret);
        this.issuer = issuer == null || issuer.isBlank() ? null : issuer;
        this.audience = audience == null || audience.isBlank() ? null : audience;
    }

    /**
     * @param subject       the user id ({@code sub}); must not be blank
     * @param channelGrants {@code channels} claim; {@code null} or empty omits the claim
     * @param ttl           lifetime, positive; {@code iat} is now and {@code exp} is now + ttl (whole seconds)
     * @return a compact HS256 JWS
     */
    public String mint(String subject, List<String> channelGrants, Duration ttl) {
        if (subject == null || subject.isBlank()) {
            throw new IllegalArgumentException("token subject must not be blank");
        }
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("token ttl must be positive: " + ttl);
        }
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        JWTCreator.Builder builder = JWT.create()
                .withSubject(subject)
                .withIssuedAt(now)
                .withExpiresAt(now.plus(ttl));
        if (issuer != null) {
            builder.withIssuer(issuer);
        }
        if (audience != null) {
            builder.withAudience(audience);
        }
        if (channelGrants != null && !channelGrants.isEmpty()) {
            builder.withArrayClaim("channels", List.copyOf(channelGrants).toArray(String[]::new));
        }
        return builder.sign(algorithm);
    }

    /** @return 32 bytes from {@link SecureRandom}, base64url-encoded without padding (43 characters) */
    public static String randomSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
