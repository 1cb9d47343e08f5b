package io.eventgate.core.auth;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Immutable token verification settings. Exactly one key source is set: {@code hmacSecret} pins
 * HS256; {@code publicKeyPem} pins RS256 or ES256 depending on the key (see {@link TokenVerifier}).
 *
 * <p>Blank strings count as unset: a blank key source is treated as absent, and a blank
 * {@code issuer}/{@code audience} becomes {@code null} (not checked). A {@code null} leeway means
 * zero. {@link #toString()} never prints the secret.
 *
 * @param hmacSecret   HS256 shared secret, at least {@value #MIN_SECRET_BYTES} bytes in UTF-8
 * @param publicKeyPem PEM text of a public key ({@code BEGIN PUBLIC KEY}) or certificate
 * @param issuer       required {@code iss} value, or {@code null} to skip the check
 * @param audience     audience that {@code aud} must contain, or {@code null} to skip the check
 * @param leeway       clock skew tolerated on {@code exp}, {@code nbf} and {@code iat}; not negative
 * @throws IllegalArgumentException naming {@code GATEWAY_JWT_SECRET} for a short secret, or when
 *                                  the key sources or the leeway are invalid
 */
public record TokenSettings(String hmacSecret, String publicKeyPem, String issuer, String audience, Duration leeway) {

    /** Minimum HS256 secret length in UTF-8 bytes (the HMAC-SHA256 output size). */
    public static final int MIN_SECRET_BYTES = 32;

    public TokenSettings {
        hmacSecret = blankToNull(hmacSecret);
        publicKeyPem = blankToNull(publicKeyPem);
        issuer = blankToNull(issuer);
        audience = blankToNull(audience);
        if ((hmacSecret == null) == (publicKeyPem == null)) {
            throw new IllegalArgumentException("configure exactly one JWT key: GATEWAY_JWT_SECRET (HS256) "
                    + "or GATEWAY_JWT_PUBLIC_KEY_FILE (RS256/ES256)"
                    + (hmacSecret == null ? "; neither is set" : "; both are set"));
        }
        if (hmacSecret != null) {
            requireStrongSecret(hmacSecret);
        }
        if (leeway == null) {
            leeway = Duration.ZERO;
        } else if (leeway.isNegative()) {
            throw new IllegalArgumentException("JWT leeway must not be negative: " + leeway);
        }
    }

    /** Throws if the secret is shorter than {@value #MIN_SECRET_BYTES} UTF-8 bytes; shared with {@link TokenMinter}. */
    static void requireStrongSecret(String secret) {
        int bytes = secret == null ? 0 : secret.getBytes(StandardCharsets.UTF_8).length;
        if (bytes < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("GATEWAY_JWT_SECRET must be at least " + MIN_SECRET_BYTES
                    + " bytes (UTF-8) for HS256, got " + bytes + "; use 32 random bytes, e.g. base64url-encoded");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** Like the record default, but the secret is redacted and the PEM is summarised. */
    @Override
    public String toString() {
        return "TokenSettings[hmacSecret=" + (hmacSecret == null ? "null" : "<redacted>")
                + ", publicKeyPem=" + (publicKeyPem == null ? "null" : "<" + publicKeyPem.length() + " chars>")
                + ", issuer=" + issuer + ", audience=" + audience + ", leeway=" + leeway + "]";
    }
}
