package io.eventgate.core.auth;

/**
 * JWS algorithms the gateway can be pinned to. Exactly one is accepted per {@link TokenVerifier};
 * the constant names are the JWA {@code alg} header values.
 */
public enum TokenAlgorithm {
    /** HMAC-SHA256 with a shared secret ({@code GATEWAY_JWT_SECRET}). */
    HS256,
    /** RSASSA-PKCS1-v1_5 with SHA-256, verified with an RSA public key (at least 2048 bits). */
    RS256,
    /** ECDSA on P-256 with SHA-256, verified with an EC public key. */
    ES256
}
