package io.eventgate.core.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.auth0.jwt.JWT;
import com.auth0.jwt.interfaces.DecodedJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenMinterTest {

    static final String SECRET = TokenVerifierTest.SECRET;

    static TokenVerifier verifier(String secret, String issuer, String audience) {
        return new TokenVerifier(new TokenSettings(secret, null, issuer, audience, Duration.ZERO));
    }

    @Test
    void mintedTokenVerifiesAndCarriesChannels() throws Exception {
        String token = new TokenMinter(SECRET, null, null).mint("alice", List.of("market:*", "news"), Duration.ofMinutes(5));
        VerifiedToken t = verifier(SECRET, null, null).verify(token);
        assertEquals("alice", t.userId());
        assertEquals(List.of("market:*", "news"), t.channelGrants());
        assertTrue(t.grants("market:7f3a"));
        assertEquals("HS256", JWT.decode(token).getAlgorithm());
    }

    @Test
    void mintedTokenWithoutChannelsOmitsTheClaim() throws Exception {
        TokenMinter minter = new TokenMinter(SECRET, null, null);
        String empty = minter.mint("bob", List.of(), Duration.ofMinutes(5));
        assertTrue(JWT.decode(empty).getClaim("channels").isMissing());
        assertEquals(List.of(), verifier(SECRET, null, null).verify(empty).channelGrants());
        assertTrue(JWT.decode(minter.mint("bob", null, Duration.ofMinutes(5))).getClaim("channels").isMissing());
    }

    @Test
    void mintedTokenCarriesIssuerAudienceAndExpiryAfterTtl() throws Exception {
        Instant before = Instant.now().minusSeconds(1);
        String token = new TokenMinter(SECRET, "eventgate-cli", "eventgate").mint("carol", List.of("a"), Duration.ofHours(1));
        VerifiedToken t = verifier(SECRET, "eventgate-cli", "eventgate").verify(token);
        DecodedJWT jwt = JWT.decode(token);
        assertEquals("eventgate-cli", jwt.getIssuer());
        assertEquals(List.of("eventgate"), jwt.getAudience());
        assertEquals(jwt.getIssuedAtAsInstant().plus(Duration.ofHours(1)), t.expiresAt());
        assertFalse(jwt.getIssuedAtAsInstant().isBefore(before.minusSeconds(1)));
        assertTrue(jwt.getIssuedAtAsInstant().isBefore(Instant.now().plusSeconds(1)));
    }

    @Test
    void mintedTokenIsRefusedByVerifierWithAnotherSecret() {
        String token = new TokenMinter(SECRET, null, null).mint("dave", List.of(), Duration.ofMinutes(5));
        TokenException e = assertThrows(TokenException.class,
                () -> verifier(TokenMinter.randomSecret(), null, null).verify(token));
        assertEquals(TokenException.Reason.BAD_SIGNATURE, e.reason());
    }

    @Test
    void minterRejectsShortSecretNamingGatewayJwtSecret() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TokenMinter("too-short", null, null));
        assertTrue(e.getMessage().contains("GATEWAY_JWT_SECRET"), e::getMessage);
        assertThrows(IllegalArgumentException.class, () -> new TokenMinter(null, null, null));
    }

    @Test
    void minterRejectsBlankSubjectAndNonPositiveTtl() {
        TokenMinter minter = new TokenMinter(SECRET, null, null);
        assertThrows(IllegalArgumentException.class, () -> minter.mint(" ", List.of(), Duration.ofMinutes(1)));
        assertThrows(IllegalArgumentException.class, () -> minter.mint("erin", List.of(), Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> minter.mint("erin", List.of(), Duration.ofSeconds(-5)));
    }

    @Test
    void randomSecretIs32RandomBytesInUnpaddedBase64Url() throws Exception {
        String a = TokenMinter.randomSecret();
        String b = TokenMinter.randomSecret();
        assertTrue(a.matches("[A-Za-z0-9_-]{43}"), a);
        assertEquals(32, Base64.getUrlDecoder().decode(a).length);
        assertNotEquals(a, b);
        String token = new TokenMinter(a, null, null).mint("frank", List.of(), Duration.ofMinutes(1));
        assertEquals("frank", verifier(a, null, null).verify(token).userId());
    }
}
