package io.eventgate.core.auth;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import io.eventgate.core.auth.TokenException.Reason;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TokenVerifierTest {

    static final String SECRET = "test-secret-0123456789abcdefghijklmnop";
    static final String HS_HEADER = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

    /** Self-signed EC P-256 test certificate (CN=eventgate-test) and its PKCS#8 private key. */
    static final String EC_CERT_PEM = """
            -----BEGIN CERTIFICATE-----
            MIIBiTCCAS+gAwIBAgIUDVoHqcrlJkyEYCUeFkZIhmmvhzgwCgYIKoZIzj0EAwIw
            GTEXMBUGA1UEAwwOZXZlbnRnYXRlLXRlc3QwIBcNMjYxMTIyMDEzODQ1WhgPMjEy
            NjEwMjkwMTM4NDVaMBkxFzAVBgNVBAMMDmV2ZW50Z2F0ZS10ZXN0MFkwEwYHKoZI
            zj0CAQYIKoZIzj0DAQcDQgAEFUXBRMLgJgqJ9U7FxhDNYUg+QWzn5IHb84byAINo
            zuzt1sz8xwMaGpSxVVTgXqPru2fGrsxJkqHnYfRZS72wqaNTMFEwHQYDVR0OBBYE
            FGXa/TDS49TqVQamMtbl5oflB9L2MB8GA1UdIwQYMBaAFGXa/TDS49TqVQamMtbl
            5oflB9L2MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgMkCsECag
            Y67bpP08Xw7cfKdA9DUVBPrIWR+KoRnvm5MCIQD3Z9UXeKP7CrJablCCnYcY0XYx
            gKxAMZOdqndL/aOQDg==
            -----END CERTIFICATE-----
            """;
    static final String EC_CERT_PRIVATE_KEY_B64 =
            "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgxrdJBRKNJGz3JKbV"
            + "Il3+19SXTSI/+D4rgjHXW62WvY6hRANCAAQVRcFEwuAmCon1TsXGEM1hSD5BbOfk"
            + "gdvzhvIAg2jO7O3WzPzHAxoalLFVVOBeo+u7Z8auzEmSoedh9FlLvbCp";

    static KeyPair rsa;
    static KeyPair ec;
    static String rsaPem;
    static String ecPem;

    @BeforeAll
    static void generateKeys() throws Exception {
        KeyPairGenerator rsaGen = KeyPairGenerator.getInstance("RSA");
        rsaGen.initialize(2048);
        rsa = rsaGen.generateKeyPair();
        KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
        ecGen.initialize(new ECGenParameterSpec("secp256r1"));
        ec = ecGen.generateKeyPair();
        rsaPem = pem("PUBLIC KEY", rsa.getPublic().getEncoded());
        ecPem = pem("PUBLIC KEY", ec.getPublic().getEncoded());
    }

    // ---------------------------------------------------------------- helpers

    static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + label + "-----\n";
    }

    static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    static long now() {
        return Instant.now().getEpochSecond();
    }

    /** Hand-made HS256 token: full control over the header and payload JSON. */
    static String hs256(String headerJson, String payloadJson, String secret) {
        String signingInput = b64(headerJson) + "." + b64(payloadJson);
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] sig = mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static String hs256(String payloadJson) {
        return hs256(HS_HEADER, payloadJson, SECRET);
    }

    static TokenVerifier hsVerifier() {
        return new TokenVerifier(new TokenSettings(SECRET, null, null, null, Duration.ZERO));
    }

    static TokenVerifier verifier(String secret, String pem, String issuer, String audience, Duration leeway) {
        return new TokenVerifier(new TokenSettings(secret, pem, issuer, audience, leeway));
    }

    static TokenException refused(TokenVerifier verifier, String token, Reason expected) {
        TokenException e = assertThrows(TokenException.class, () -> verifier.verify(token),
                () -> "expected " + expected + " for " + token);
        assertEquals(expected, e.reason(), () -> "reason for " + token + " (message: " + e.getMessage() + ")");
        return e;
    }

    static Algorithm rs256() {
        return Algorithm.RSA256((RSAPublicKey) rsa.getPublic(), (RSAPrivateKey) rsa.getPrivate());
    }

    static Algorithm es256() {
        return Algorithm.ECDSA256((ECPublicKey) ec.getPublic(), (ECPrivateKey) ec.getPrivate());
    }

    // ---------------------------------------------------------------- accepted tokens

    @Test
    void validHs256TokenYieldsSubjectChannelsAndExpiry() throws Exception {
        long exp = now() + 300;
        VerifiedToken t = hsVerifier().verify(
                hs256("{\"sub\":\"alice\",\"channels\":[\"market:*\",\"news\"],\"exp\":" + exp + "}"));
        assertEquals("alice", t.userId());
        assertEquals(List.of("market:*", "news"), t.channelGrants());
        assertEquals(Instant.ofEpochSecond(exp), t.expiresAt());
        assertEquals(TokenAlgorithm.HS256, hsVerifier().algorithm());
    }

    @Test
    void validRs256TokenIsAcceptedWithPemPublicKey() throws Exception {
        TokenVerifier v = verifier(null, rsaPem, null, null, Duration.ZERO);
        String token = JWT.create().withSubject("bob").withArrayClaim("channels", new String[] {"orders"})
                .withExpiresAt(Instant.now().plusSeconds(60)).sign(rs256());
        VerifiedToken t = v.verify(token);
        assertEquals(TokenAlgorithm.RS256, v.algorithm());
        assertEquals("bob", t.userId());
        assertEquals(List.of("orders"), t.channelGrants());
    }

    @Test
    void validEs256TokenIsAcceptedWithPemPublicKey() throws Exception {
        TokenVerifier v = verifier(null, ecPem, null, null, Duration.ZERO);
        String token = JWT.create().withSubject("carol").withExpiresAt(Instant.now().plusSeconds(60)).sign(es256());
        assertEquals(TokenAlgorithm.ES256, v.algorithm());
        assertEquals("carol", v.verify(token).userId());
    }

    @Test
    void publicKeyIsTakenFromPemCertificate() throws Exception {
        ECPrivateKey certKey = (ECPrivateKey) KeyFactory.getInstance("EC")
                .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(EC_CERT_PRIVATE_KEY_B64)));
        TokenVerifier v = verifier(null, EC_CERT_PEM, null, null, Duration.ZERO);
        assertEquals(TokenAlgorithm.ES256, v.algorithm());
        assertEquals("dave", v.verify(JWT.create().withSubject("dave").sign(Algorithm.ECDSA256(null, certKey))).userId());
        // a token from a different EC key must not verify against the certificate's key
        refused(v, JWT.create().withSubject("dave").sign(es256()), Reason.BAD_SIGNATURE);
    }

    @Test
    void tokenWithoutExpiryOrChannelsIsAcceptedWithNoGrants() throws Exception {
        VerifiedToken t = hsVerifier().verify(hs256("{\"sub\":\"erin\"}"));
        assertNull(t.expiresAt());
        assertEquals(List.of(), t.channelGrants());
    }

    @Test
    void singleStringChannelsClaimIsOneGrant() throws Exception {
        VerifiedToken t = hsVerifier().verify(hs256("{\"sub\":\"frank\",\"channels\":\"market:*\"}"));
        assertEquals(List.of("market:*"), t.channelGrants());
    }

    // ---------------------------------------------------------------- MISSING / MALFORMED

    @Test
    void nullEmptyOrBlankTokenIsMissing() {
        TokenVerifier v = hsVerifier();
        assertEquals("token is missing", refused(v, null, Reason.MISSING).getMessage());
        refused(v, "", Reason.MISSING);
        refused(v, "  \t", Reason.MISSING);
    }

    @Test
    void tokenNotMadeOfThreeBase64UrlPartsIsMalformed() {
        TokenVerifier v = hsVerifier();
        String good = hs256("{\"sub\":\"alice\"}");
        String[] parts = good.split("\\.");
        for (String token : List.of(
                "not-a-jwt",
                parts[0] + "." + parts[1],
                good + ".extra",
                "!!!." + parts[1] + "." + parts[2],
                parts[0] + ".%%%." + parts[2])) {
            assertEquals("token is malformed", refused(v, token, Reason.MALFORMED).getMessage());
        }
    }

    @Test
    void undecodableHeaderOrPayloadJsonIsMalformed() {
        TokenVerifier v = hsVerifier();
        refused(v, hs256("{\"alg\":\"HS256\"", "{\"sub\":\"alice\"}", SECRET), Reason.MALFORMED);
        refused(v, hs256("{\"sub\":\"alice\""), Reason.MALFORMED);
        refused(v, hs256("[\"sub\",\"alice\"]"), Reason.MALFORMED);
    }

    @Test
    void nonNumericExpiryIsMalformed() {
        refused(hsVerifier(), hs256("{\"sub\":\"alice\",\"exp\":\"tomorrow\"}"), Reason.MALFORMED);
    }

    @Test
    void channelsClaimThatIsNotStringOrStringArrayIsMalformed() {
        TokenVerifier v = hsVerifier();
        for (String channels : List.of("5", "{\"a\":1}", "[\"ok\",7]", "[[\"nested\"]]", "null", "true")) {
            TokenException e = refused(v, hs256("{\"sub\":\"alice\",\"channels\":" + channels + "}"), Reason.MALFORMED);
            assertEquals("token claim 'channels' must be a string or an array of strings", e.getMessage());
        }
    }

    @Test
    void duplicateClaimNamesAreMalformed() {
        refused(hsVerifier(), hs256("{\"sub\":\"alice\",\"sub\":\"mallory\"}"), Reason.MALFORMED);
    }

    @Test
    void oversizedTokenIsMalformed() {
        String padding = "x".repeat(TokenVerifier.MAX_TOKEN_CHARS);
        TokenException e = refused(hsVerifier(), hs256("{\"sub\":\"alice\",\"pad\":\"" + padding + "\"}"), Reason.MALFORMED);
        assertEquals("token is too long", e.getMessage());
    }

    // ---------------------------------------------------------------- BAD_SIGNATURE

    @Test
    void tokenSignedWithAnotherSecretHasBadSignature() {
        String token = hs256(HS_HEADER, "{\"sub\":\"alice\"}", "another-secret-0123456789abcdefghijklmnop");
        assertEquals("token signature is invalid", refused(hsVerifier(), token, Reason.BAD_SIGNATURE).getMessage());
    }

    @Test
    void tamperedRs256PayloadHasBadSignature() {
        String[] parts = JWT.create().withSubject("alice").withArrayClaim("channels", new String[] {"news"})
                .sign(rs256()).split("\\.");
        String forged = parts[0] + "." + b64("{\"sub\":\"alice\",\"channels\":[\"*\"]}") + "." + parts[2];
        refused(verifier(null, rsaPem, null, null, Duration.ZERO), forged, Reason.BAD_SIGNATURE);
    }

    @Test
    void emptySignatureWithConfiguredAlgorithmIsBadSignature() {
        String[] parts = hs256("{\"sub\":\"alice\"}").split("\\.");
        refused(hsVerifier(), parts[0] + "." + parts[1] + ".", Reason.BAD_SIGNATURE);
    }

    // ---------------------------------------------------------------- ALGORITHM_NOT_ALLOWED

    @Test
    void algNoneTokenIsRefusedByHmacAndPublicKeyVerifiers() {
        String none = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64("{\"sub\":\"admin\",\"channels\":\"*\"}") + ".";
        assertEquals("token algorithm not allowed (expected HS256)",
                refused(hsVerifier(), none, Reason.ALGORITHM_NOT_ALLOWED).getMessage());
        assertEquals("token algorithm not allowed (expected RS256)",
                refused(verifier(null, rsaPem, null, null, Duration.ZERO), none, Reason.ALGORITHM_NOT_ALLOWED).getMessage());
        assertEquals("token algorithm not allowed (expected ES256)",
                refused(verifier(null, ecPem, null, null, Duration.ZERO), none, Reason.ALGORITHM_NOT_ALLOWED).getMessage());
        String noneUpper = b64("{\"alg\":\"NONE\"}") + "." + b64("{\"sub\":\"admin\"}") + ".";
        refused(hsVerifier(), noneUpper, Reason.ALGORITHM_NOT_ALLOWED);
    }

    @Test
    void hs256TokenSignedWithRsaPublicKeyPemIsRefusedWhenRs256Configured() {
        String confused = JWT.create().withSubject("admin").withArrayClaim("channels", new String[] {"*"})
                .sign(Algorithm.HMAC256(rsaPem));
        refused(verifier(null, rsaPem, null, null, Duration.ZERO), confused, Reason.ALGORITHM_NOT_ALLOWED);
        // also with the raw DER key bytes as the secret
        String confusedDer = JWT.create().withSubject("admin").sign(Algorithm.HMAC256(rsa.getPublic().getEncoded()));
        refused(verifier(null, rsaPem, null, null, Duration.ZERO), confusedDer, Reason.ALGORITHM_NOT_ALLOWED);
    }

    @Test
    void rs256TokenIsRefusedByHs256Verifier() {
        refused(hsVerifier(), JWT.create().withSubject("alice").sign(rs256()), Reason.ALGORITHM_NOT_ALLOWED);
    }

    @Test
    void otherAlgorithmsAndMissingAlgAreRefused() {
        TokenVerifier rs = verifier(null, rsaPem, null, null, Duration.ZERO);
        refused(rs, JWT.create().withSubject("alice").sign(es256()), Reason.ALGORITHM_NOT_ALLOWED);
        refused(rs, JWT.create().withSubject("alice").sign(Algorithm.RSA512(null, (RSAPrivateKey) rsa.getPrivate())),
                Reason.ALGORITHM_NOT_ALLOWED);
        refused(hsVerifier(), hs256("{\"typ\":\"JWT\"}", "{\"sub\":\"alice\"}", SECRET), Reason.ALGORITHM_NOT_ALLOWED);
        refused(hsVerifier(), hs256("{\"alg\":\"hs256\"}", "{\"sub\":\"alice\"}", SECRET), Reason.ALGORITHM_NOT_ALLOWED);
    }

    // ---------------------------------------------------------------- time claims and leeway

    @Test
    void expiredTokenIsRefused() {
        TokenException e = refused(hsVerifier(), hs256("{\"sub\":\"alice\",\"exp\":" + (now() - 5) + "}"), Reason.EXPIRED);
        assertEquals("token expired", e.getMessage());
    }

    @Test
    void tokenUsedBeforeNotBeforeIsNotYetValid() {
        TokenException e = refused(hsVerifier(), hs256("{\"sub\":\"alice\",\"nbf\":" + (now() + 60) + "}"),
                Reason.NOT_YET_VALID);
        assertEquals("token is not valid yet", e.getMessage());
    }

    @Test
    void tokenIssuedInTheFutureIsNotYetValid() {
        refused(hsVerifier(), hs256("{\"sub\":\"alice\",\"iat\":" + (now() + 60) + "}"), Reason.NOT_YET_VALID);
    }

    @Test
    void leewayToleratesClockSkewOnExpiryAndNotBeforeButNoMore() throws Exception {
        TokenVerifier lenient = verifier(SECRET, null, null, null, Duration.ofSeconds(60));
        String recentlyExpired = hs256("{\"sub\":\"alice\",\"exp\":" + (now() - 30) + "}");
        String slightlyEarly = hs256("{\"sub\":\"alice\",\"nbf\":" + (now() + 30) + ",\"iat\":" + (now() + 30) + "}");
        assertEquals("alice", lenient.verify(recentlyExpired).userId());
        assertEquals("alice", lenient.verify(slightlyEarly).userId());
        refused(hsVerifier(), recentlyExpired, Reason.EXPIRED);
        refused(hsVerifier(), slightlyEarly, Reason.NOT_YET_VALID);
        refused(lenient, hs256("{\"sub\":\"alice\",\"exp\":" + (now() - 120) + "}"), Reason.EXPIRED);
        refused(lenient, hs256("{\"sub\":\"alice\",\"nbf\":" + (now() + 120) + "}"), Reason.NOT_YET_VALID);
    }

    // ---------------------------------------------------------------- issuer, audience, subject

    @Test
    void issuerIsCheckedOnlyWhenConfigured() throws Exception {
        TokenVerifier v = verifier(SECRET, null, "https://auth.example", null, Duration.ZERO);
        assertEquals("alice", v.verify(hs256("{\"sub\":\"alice\",\"iss\":\"https://auth.example\"}")).userId());
        TokenException e = refused(v, hs256("{\"sub\":\"alice\",\"iss\":\"https://evil.example\"}"), Reason.WRONG_ISSUER);
        assertEquals("token issuer is not accepted", e.getMessage());
        refused(v, hs256("{\"sub\":\"alice\"}"), Reason.WRONG_ISSUER);
        assertEquals("alice", hsVerifier().verify(hs256("{\"sub\":\"alice\",\"iss\":\"https://evil.example\"}")).userId());
    }

    @Test
    void audienceMayBeStringOrArrayAndIsCheckedOnlyWhenConfigured() throws Exception {
        TokenVerifier v = verifier(SECRET, null, null, "eventgate", Duration.ZERO);
        assertEquals("alice", v.verify(hs256("{\"sub\":\"alice\",\"aud\":\"eventgate\"}")).userId());
        assertEquals("alice", v.verify(hs256("{\"sub\":\"alice\",\"aud\":[\"billing\",\"eventgate\"]}")).userId());
        TokenException e = refused(v, hs256("{\"sub\":\"alice\",\"aud\":\"billing\"}"), Reason.WRONG_AUDIENCE);
        assertEquals("token audience is not accepted", e.getMessage());
        refused(v, hs256("{\"sub\":\"alice\",\"aud\":[\"billing\"]}"), Reason.WRONG_AUDIENCE);
        refused(v, hs256("{\"sub\":\"alice\"}"), Reason.WRONG_AUDIENCE);
        assertEquals("alice", hsVerifier().verify(hs256("{\"sub\":\"alice\",\"aud\":\"billing\"}")).userId());
    }

    @Test
    void missingBlankOrNonStringSubjectIsRefused() {
        TokenVerifier v = hsVerifier();
        for (String payload : List.of("{}", "{\"sub\":\"\"}", "{\"sub\":\"   \"}", "{\"sub\":42}",
                "{\"sub\":null}", "{\"sub\":[\"alice\"]}")) {
            TokenException e = refused(v, hs256(payload), Reason.MISSING_SUBJECT);
            assertEquals("token has no subject", e.getMessage());
        }
    }

    // ---------------------------------------------------------------- client-safe messages

    @Test
    void refusalMessagesNeverEchoTheToken() {
        TokenVerifier v = verifier(SECRET, null, "iss-a", "aud-a", Duration.ZERO);
        List<String> tokens = List.of(
                "garbage-token-value",
                hs256(HS_HEADER, "{\"sub\":\"alice\",\"iss\":\"iss-a\",\"aud\":\"aud-a\"}", "wrong-secret-0123456789abcdefghijklmnop"),
                hs256("{\"sub\":\"alice\",\"iss\":\"iss-a\",\"aud\":\"aud-a\",\"exp\":1}"),
                hs256("{\"sub\":\"alice\",\"iss\":\"iss-b\",\"aud\":\"aud-a\"}"),
                hs256("{\"sub\":\"alice\",\"iss\":\"iss-a\",\"aud\":\"aud-b\"}"),
                hs256("{\"iss\":\"iss-a\",\"aud\":\"aud-a\"}"),
                hs256("{\"sub\":\"alice\",\"iss\":\"iss-a\",\"aud\":\"aud-a\",\"channels\":5}"),
                b64("{\"alg\":\"none\"}") + "." + b64("{\"sub\":\"alice\"}") + ".");
        for (String token : tokens) {
            TokenException e = assertThrows(TokenException.class, () -> v.verify(token));
            assertFalse(e.getMessage().contains(token), e::getMessage);
            for (String part : token.split("\\.")) {
                assertFalse(!part.isEmpty() && e.getMessage().contains(part), e::getMessage);
            }
            assertFalse(e.getMessage().contains("alice"), e::getMessage);
            assertFalse(e.toString().contains(token), e::toString);
        }
    }

    // ---------------------------------------------------------------- grants

    @Test
    void exactGrantCoversOnlyThatChannel() {
        VerifiedToken t = new VerifiedToken("u", List.of("market:7f3a"), null);
        assertTrue(t.grants("market:7f3a"));
        assertFalse(t.grants("market:7f3b"));
        assertFalse(t.grants("market:7f3a:trades"));
        assertFalse(t.grants(null));
    }

    @Test
    void starSuffixGrantCoversChannelsWithThatPrefix() {
        VerifiedToken t = new VerifiedToken("u", List.of("market:*"), null);
        assertAll(
                () -> assertTrue(t.grants("market:7f3a")),
                () -> assertTrue(t.grants("market:")),
                () -> assertFalse(t.grants("market")),
                () -> assertFalse(t.grants("news:1")),
                () -> assertFalse(t.grants("xmarket:1")));
    }

    @Test
    void loneStarGrantsEveryChannel() {
        VerifiedToken t = new VerifiedToken("u", List.of("*"), null);
        assertTrue(t.grants("market:7f3a"));
        assertTrue(t.grants("anything"));
        assertTrue(t.grants(""));
    }

    @Test
    void starInsideGrantIsLiteral() {
        VerifiedToken t = new VerifiedToken("u", List.of("a*b"), null);
        assertTrue(t.grants("a*b"));
        assertFalse(t.grants("axb"));
    }

    @Test
    void noGrantsCoverNoChannel() {
        VerifiedToken t = new VerifiedToken("u", null, null);
        assertEquals(List.of(), t.channelGrants());
        assertFalse(t.grants("market:7f3a"));
        assertFalse(t.grants(""));
    }

    @Test
    void verifiedTokenGrantsAreImmutable() {
        List<String> source = new ArrayList<>(List.of("news"));
        VerifiedToken t = new VerifiedToken("u", source, null);
        source.add("*");
        assertFalse(t.grants("market:1"));
        assertThrows(UnsupportedOperationException.class, () -> t.channelGrants().add("*"));
    }

    // ---------------------------------------------------------------- settings and key parsing

    @Test
    void shortSecretIsRejectedNamingGatewayJwtSecret() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TokenSettings("a".repeat(31), null, null, null, Duration.ZERO));
        assertTrue(e.getMessage().contains("GATEWAY_JWT_SECRET"), e::getMessage);
        assertFalse(e.getMessage().contains("a".repeat(31)), "the secret must not be echoed");
        new TokenSettings("a".repeat(32), null, null, null, Duration.ZERO);
        // length counts UTF-8 bytes: 16 x 'é' is 32 bytes
        new TokenSettings("é".repeat(16), null, null, null, Duration.ZERO);
        assertThrows(IllegalArgumentException.class, () -> new TokenSettings("é".repeat(15), null, null, null, Duration.ZERO));
    }

    @Test
    void exactlyOneKeySourceIsRequired() {
        assertThrows(IllegalArgumentException.class, () -> new TokenSettings(null, null, null, null, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new TokenSettings(" ", "", null, null, Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> new TokenSettings(SECRET, rsaPem, null, null, Duration.ZERO));
    }

    @Test
    void negativeLeewayIsRejectedAndNullMeansZero() {
        assertThrows(IllegalArgumentException.class,
                () -> new TokenSettings(SECRET, null, null, null, Duration.ofSeconds(-1)));
        assertEquals(Duration.ZERO, new TokenSettings(SECRET, null, null, null, null).leeway());
    }

    @Test
    void settingsToStringDoesNotRevealSecret() {
        assertFalse(new TokenSettings(SECRET, null, "iss", "aud", Duration.ZERO).toString().contains(SECRET));
    }

    @Test
    void unusablePemIsRejectedNamingPublicKeyFile() throws Exception {
        String rsaBody = Base64.getEncoder().encodeToString(rsa.getPublic().getEncoded());
        List<String> bad = List.of(
                "not a pem at all",
                "-----BEGIN PUBLIC KEY-----\n@@@@\n-----END PUBLIC KEY-----\n",
                "-----BEGIN PUBLIC KEY-----\n" + rsaBody.substring(0, 100) + "\n-----END PUBLIC KEY-----\n",
                "-----BEGIN CERTIFICATE-----\n" + rsaBody + "\n-----END CERTIFICATE-----\n",
                pem("PRIVATE KEY", rsa.getPrivate().getEncoded()),
                pem("PRIVATE KEY", rsa.getPrivate().getEncoded()) + rsaPem,
                "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEA\n-----END RSA PUBLIC KEY-----\n");
        for (String pem : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new TokenVerifier(new TokenSettings(null, pem, null, null, Duration.ZERO)), pem);
            assertTrue(e.getMessage().contains("GATEWAY_JWT_PUBLIC_KEY_FILE"), e::getMessage);
        }
    }

    @Test
    void rsaKeyShorterThan2048BitsIsRejected() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(1024);
        String weak = pem("PUBLIC KEY", gen.generateKeyPair().getPublic().getEncoded());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TokenVerifier(new TokenSettings(null, weak, null, null, Duration.ZERO)));
        assertTrue(e.getMessage().contains("GATEWAY_JWT_PUBLIC_KEY_FILE"), e::getMessage);
    }

    @Test
    void ecKeyNotOnP256IsRejected() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp384r1"));
        String p384 = pem("PUBLIC KEY", gen.generateKeyPair().getPublic().getEncoded());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TokenVerifier(new TokenSettings(null, p384, null, null, Duration.ZERO)));
        assertTrue(e.getMessage().contains("P-256"), e::getMessage);
    }

    @Test
    void pemWithSurroundingTextAndCrlfIsAccepted() {
        String messy = "# gateway key\r\n" + rsaPem.replace("\n", "\r\n") + "trailing\r\n";
        assertEquals(TokenAlgorithm.RS256, verifier(null, messy, null, null, Duration.ZERO).algorithm());
    }

    // ---------------------------------------------------------------- concurrency

    @Test
    void oneVerifierServesConcurrentCallers() throws Exception {
        TokenVerifier v = hsVerifier();
        String good = hs256("{\"sub\":\"alice\",\"channels\":[\"a\"]}");
        String expired = hs256("{\"sub\":\"alice\",\"exp\":" + (now() - 100) + "}");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < 500; i++) {
                        if (v.verify(good).grants("a")) {
                            ok++;
                        }
                        try {
                            v.verify(expired);
                            return -1;
                        } catch (TokenException e) {
                            if (e.reason() != Reason.EXPIRED) {
                                return -1;
                            }
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> r : results) {
                assertEquals(500, r.get(30, TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
