package io.eventgate.core.auth;

import java.util.Objects;

/**
 * A token was refused. {@link #getMessage()} is a short sentence that is safe to send back to the
 * client: it never contains the token or any part of it.
 *
 * <p>Refusals are an expected, possibly attacker-driven outcome, so the exception carries no stack
 * trace (it is cheap to create) and no cause.
 */
public final class TokenException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a token was refused. */
    public enum Reason {
        /** No token, or a blank one. */
        MISSING,
        /** Not a compact JWS, undecodable JSON, or a claim of the wrong type. */
        MALFORMED,
        /** The signature does not match the configured key. */
        BAD_SIGNATURE,
        /** The header {@code alg} is not the configured algorithm (this includes {@code none}). */
        ALGORITHM_NOT_ALLOWED,
        /** {@code exp} is in the past (beyond the leeway). */
        EXPIRED,
        /** {@code nbf} or {@code iat} is in the future (beyond the leeway). */
        NOT_YET_VALID,
        /** An issuer is configured and {@code iss} is missing or different. */
        WRONG_ISSUER,
        /** An audience is configured and {@code aud} is missing or does not contain it. */
        WRONG_AUDIENCE,
        /** {@code sub} is missing, not a string, or blank. */
        MISSING_SUBJECT
    }

    private final Reason reason;

    /**
     * @param reason  why the token was refused
     * @param message a client-safe sentence; must not contain the token
     */
    public TokenException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    /** @return why the token was refused */
    public Reason reason() {
        return reason;
    }

    @Override
    public String toString() {
        return "TokenException[" + reason + "]: " + getMessage();
    }
}
