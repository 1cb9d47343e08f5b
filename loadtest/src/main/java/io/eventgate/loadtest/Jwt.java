package io.eventgate.loadtest;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mints HS256 JWTs (RFC 7519) the way any backend would: base64url(header) "." base64url(payload), signed with
 * HMAC-SHA256. No library: the harness must not share code with the gateway. Thread-safe.
 */
public final class Jwt {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final String HEADER = B64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
            .getBytes(StandardCharsets.UTF_8));

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;

    public Jwt(String secret) {
        if (secret == null || secret.getBytes(StandardCharsets.UTF_8).length < 32) {
            throw new IllegalArgumentException("--jwt-secret must be at least 32 bytes (the gateway refuses shorter)");
        }
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
        this.macs = ThreadLocal.withInitial(() -> {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(key);
                return mac;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 unavailable", e);
            }
        });
    }

    /** A token for {@code subject} valid for {@code ttlSeconds} from now. */
    public String mint(String subject, long ttlSeconds) {
        long now = System.currentTimeMillis() / 1000;
        String payload = "{\"sub\":\"" + Json.escape(subject) + "\",\"iat\":" + now + ",\"exp\":" + (now + ttlSeconds)
                + "}";
        String signingInput = HEADER + "." + B64.encodeToString(payload.getBytes(StandardCharsets.UTF_8));
        byte[] signature = macs.get().doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + B64.encodeToString(signature);
    }

    /** The {@code sub} claim of a compact JWT (not verified: the harness only needs to know whom it addresses). */
    public static String subject(String token) {
        String[] parts = token.split("\\.");
        if (parts.length < 2) {
            throw new IllegalArgumentException("not a compact JWT: " + token.substring(0, Math.min(20, token.length())));
        }
        try {
            var node = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(parts[1]));
            var sub = node.get("sub");
            if (sub == null || !sub.isTextual()) {
                throw new IllegalArgumentException("token has no string 'sub' claim");
            }
            return sub.textValue();
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("token payload is not JSON", e);
        }
    }
}
