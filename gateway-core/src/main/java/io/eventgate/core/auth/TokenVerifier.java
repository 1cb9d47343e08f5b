package io.eventgate.core.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.AlgorithmMismatchException;
import com.auth0.jwt.exceptions.IncorrectClaimException;
import com.auth0.jwt.exceptions.MissingClaimException;
import com.auth0.jwt.exceptions.SignatureVerificationException;
import com.auth0.jwt.exceptions.TokenExpiredException;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.auth0.jwt.interfaces.JWTVerifier;
import com.auth0.jwt.interfaces.Verification;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.eventgate.core.auth.TokenException.Reason;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * Verifies client JWTs against one pinned algorithm: HS256 when {@link TokenSettings#hmacSecret()}
 * is set, otherwise RS256 or ES256 chosen by the type of the PEM key (RSA, or EC P-256).
 *
 * <p>The header {@code alg} is compared with the pinned algorithm before anything else is
 * checked, so {@code none} and HS/RS confusion are refused as {@link Reason#ALGORITHM_NOT_ALLOWED}.
 * Then the signature, {@code exp}/{@code nbf}/{@code iat} (with the leeway, rounded up to whole
 * seconds), {@code iss} and {@code aud} (only when configured), {@code sub} and {@code channels}.
 *
 * <p>Instances are immutable and thread-safe; the PEM is parsed and the underlying java-jwt
 * verifier is built once, in the constructor.
 */
public final class TokenVerifier {
    /** Longer tokens are refused as {@link Reason#MALFORMED} without being decoded. */
    static final int MAX_TOKEN_CHARS = 16 * 1024;

    static final String MSG_MISSING = "token is missing";
    static final String MSG_MALFORMED = "token is malformed";
    static final String MSG_TOO_LONG = "token is too long";
    static final String MSG_BAD_CHANNELS = "token claim 'channels' must be a string or an array of strings";
    static final String MSG_BAD_SIGNATURE = "token signature is invalid";
    static final String MSG_EXPIRED = "token expired";
    static final String MSG_NOT_YET_VALID = "token is not valid yet";
    static final String MSG_WRONG_ISSUER = "token issuer is not accepted";
    static final String MSG_WRONG_AUDIENCE = "token audience is not accepted";
    static final String MSG_MISSING_SUBJECT = "token has no subject";

    private static final ObjectMapper PAYLOAD_MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final TokenAlgorithm algorithm;
    private final JWTVerifier verifier;
    private final String algorithmNotAllowedMessage;
    private final java.time.Duration leeway;

    /**
     * @param settings key, optional issuer/audience and leeway
     * @throws IllegalArgumentException naming {@code GATEWAY_JWT_PUBLIC_KEY_FILE} if the PEM is not an
     *                                  X.509 public key or certificate holding an RSA (>= 2048 bits)
     *                                  or EC P-256 key, or if it contains a private key
     */
    public TokenVerifier(TokenSettings settings) {
        Objects.requireNonNull(settings, "settings");
        Algorithm jwtAlgorithm;
        if (settings.hmacSecret() != null) {
            algorithm = TokenAlgorithm.HS256;
            jwtAlgorithm = Algorithm.HMAC256(settings.hmacSecret());
        } else {
            PublicKey key = PemPublicKeys.parse(settings.publicKeyPem());
            algorithm = PemPublicKeys.algorithmFor(key);
            jwtAlgorithm = algorithm == TokenAlgorithm.RS256
                    ? Algorithm.RSA256((RSAPublicKey) key, null)
                    : Algorithm.ECDSA256((ECPublicKey) key, null);
        }
        this.leeway = java.time.Duration.ofSeconds(ceilSeconds(settings.leeway()));
        Verification v = JWT.require(jwtAlgorithm).acceptLeeway(ceilSeconds(settings.leeway()));
        if (settings.issuer() != null) {
            v = v.withIssuer(settings.issuer());
        }
        if (settings.audience() != null) {
            v = v.withAudience(settings.audience());
        }
        verifier = v.build();
        algorithmNotAllowedMessage = "token algorithm not allowed (expected " + algorithm + ")";
    }

    /** @return the pinned algorithm: tokens with any other header {@code alg} are refused */
    public TokenAlgorithm algorithm() {
        return algorithm;
    }

    /**
     * Verifies a compact JWS and returns its claims.
     *
     * @param token the raw token (without a {@code Bearer } prefix)
     * @throws TokenException with the first failed check; its message is safe to send to the client
     */
    public VerifiedToken verify(String token) throws TokenException {
        if (token == null || token.isBlank()) {
            throw new TokenException(Reason.MISSING, MSG_MISSING);
        }
        if (token.length() > MAX_TOKEN_CHARS) {
            throw new TokenException(Reason.MALFORMED, MSG_TOO_LONG);
        }
        DecodedJWT jwt;
        try {
            jwt = JWT.decode(token);
        } catch (RuntimeException e) { // JWTDecodeException, or anything unexpected from the parser
            throw new TokenException(Reason.MALFORMED, MSG_MALFORMED);
        }
        if (!algorithm.name().equals(jwt.getAlgorithm())) {
            throw new TokenException(Reason.ALGORITHM_NOT_ALLOWED, algorithmNotAllowedMessage);
        }
        try {
            verifier.verify(jwt);
        } catch (AlgorithmMismatchException e) { // unreachable after the header check; kept for safety
            throw new TokenException(Reason.ALGORITHM_NOT_ALLOWED, algorithmNotAllowedMessage);
        } catch (SignatureVerificationException e) {
            throw new TokenException(Reason.BAD_SIGNATURE, MSG_BAD_SIGNATURE);
        } catch (TokenExpiredException e) {
            throw new TokenException(Reason.EXPIRED, MSG_EXPIRED);
        } catch (MissingClaimException e) {
            throw claimFailure(e.getClaimName());
        } catch (IncorrectClaimException e) {
            throw claimFailure(e.getClaimName());
        } catch (RuntimeException e) { // JWTDecodeException, other InvalidClaimException, anything unexpected
            throw new TokenException(Reason.MALFORMED, MSG_MALFORMED);
        }
        JsonNode payload = parsePayload(jwt.getPayload());
        JsonNode sub = payload.get("sub");
        if (sub == null || !sub.isTextual() || sub.textValue().isBlank()) {
            throw new TokenException(Reason.MISSING_SUBJECT, MSG_MISSING_SUBJECT);
        }
        // The connection lives as long as the handshake would still accept the token: exp plus the leeway.
        java.time.Instant exp = jwt.getExpiresAtAsInstant();
        return new VerifiedToken(sub.textValue(), channels(payload.get("channels")),
                exp == null ? null : exp.plus(leeway));
    }

    private static TokenException claimFailure(String claim) {
        return switch (claim == null ? "" : claim) {
            case "iss" -> new TokenException(Reason.WRONG_ISSUER, MSG_WRONG_ISSUER);
            case "aud" -> new TokenException(Reason.WRONG_AUDIENCE, MSG_WRONG_AUDIENCE);
            case "exp" -> new TokenException(Reason.EXPIRED, MSG_EXPIRED);
            case "nbf", "iat" -> new TokenException(Reason.NOT_YET_VALID, MSG_NOT_YET_VALID);
            default -> new TokenException(Reason.MALFORMED, MSG_MALFORMED);
        };
    }

    /** Parses the (already signature-checked) payload; duplicate claim names are refused. */
    private static JsonNode parsePayload(String base64UrlPayload) throws TokenException {
        try {
            JsonNode node = PAYLOAD_MAPPER.readTree(Base64.getUrlDecoder().decode(base64UrlPayload));
            if (node != null && node.isObject()) {
                return node;
            }
        } catch (Exception e) {
            // fall through
        }
        throw new TokenException(Reason.MALFORMED, MSG_MALFORMED);
    }

    /** Absent: no grants. A string: one grant. An array of strings: those grants. Anything else is malformed. */
    private static List<String> channels(JsonNode claim) throws TokenException {
        if (claim == null) {
            return List.of();
        }
        if (claim.isTextual()) {
            return List.of(claim.textValue());
        }
        if (claim.isArray()) {
            List<String> grants = new ArrayList<>(claim.size());
            for (JsonNode element : claim) {
                if (!element.isTextual()) {
                    throw new TokenException(Reason.MALFORMED, MSG_BAD_CHANNELS);
                }
                grants.add(element.textValue());
            }
            return grants;
        }
        throw new TokenException(Reason.MALFORMED, MSG_BAD_CHANNELS);
    }

    private static long ceilSeconds(Duration d) {
        return d.getNano() == 0 ? d.getSeconds() : d.getSeconds() + 1;
    }
}
