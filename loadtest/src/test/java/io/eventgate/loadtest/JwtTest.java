package io.eventgate.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class JwtTest {
    private static final String SECRET = "a-test-secret-of-at-least-32-bytes!!";

    @Test
    void mintsAnHs256TokenWhoseSignatureChecksOut() throws Exception {
        String token = new Jwt(SECRET).mint("u42", 3600);
        String[] parts = token.split("\\.");
        assertEquals(3, parts.length);
        var header = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(parts[0]));
        assertEquals("HS256", header.get("alg").asText());
        var payload = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(parts[1]));
        assertEquals("u42", payload.get("sub").asText());
        assertEquals(3600, payload.get("exp").asLong() - payload.get("iat").asLong());
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String expected = Base64.getUrlEncoder().withoutPadding().encodeToString(
                mac.doFinal((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII)));
        assertEquals(expected, parts[2]);
        assertEquals("u42", Jwt.subject(token));
        assertTrue(!parts[2].contains("="), "base64url without padding");
    }

    @Test
    void refusesShortSecrets() {
        assertThrows(IllegalArgumentException.class, () -> new Jwt("short"));
    }
}
