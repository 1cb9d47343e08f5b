package io.eventgate.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import io.eventgate.server.testing.TestGateway;
import io.eventgate.server.testing.WsClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GATEWAY_JWT_PUBLIC_KEY_FILE end to end: RS256 and ES256 tokens accepted, HS256 and the other algorithm refused. */
class PublicKeyAuthIT {

    private static Path pem(KeyPair pair) throws Exception {
        String body = Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(pair.getPublic().getEncoded());
        Path file = Files.createTempFile("gateway-key-", ".pem");
        Files.writeString(file, "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n");
        return file;
    }

    private static TestGateway gatewayWithKey(Path pem) {
        return TestGateway.start(Map.of("GATEWAY_JWT_SECRET", "", "GATEWAY_JWT_PUBLIC_KEY_FILE", pem.toString()));
    }

    private static String token(Algorithm algorithm, String sub) {
        return JWT.create().withSubject(sub).withExpiresAt(Instant.now().plusSeconds(300)).sign(algorithm);
    }

    @Test
    void rs256KeyFileAcceptsRs256TokensAndRefusesHs256AndEs256() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair rsa = generator.generateKeyPair();
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair other = ec.generateKeyPair();
        try (TestGateway gateway = gatewayWithKey(pem(rsa))) {
            String good = token(Algorithm.RSA256((RSAPublicKey) rsa.getPublic(), (RSAPrivateKey) rsa.getPrivate()), "rs-1");
            WsClient client = WsClient.connect(gateway.wsUri("/api/v1/ws"), good);
            assertEquals("rs-1", client.awaitType("connected").path("userId").asText());
            client.close();
            assertEquals(401, WsClient.refused(gateway.wsUri("/api/v1/ws"),
                    token(Algorithm.HMAC256(TestGateway.SECRET), "rs-2")).getResponse().statusCode());
            assertEquals(401, WsClient.refused(gateway.wsUri("/api/v1/ws"), token(Algorithm.ECDSA256(
                    (ECPublicKey) other.getPublic(), (ECPrivateKey) other.getPrivate()), "rs-3")).getResponse().statusCode());
        }
    }

    @Test
    void es256KeyFileAcceptsEs256Tokens() throws Exception {
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = ec.generateKeyPair();
        try (TestGateway gateway = gatewayWithKey(pem(pair))) {
            String good = token(Algorithm.ECDSA256((ECPublicKey) pair.getPublic(), (ECPrivateKey) pair.getPrivate()), "es-1");
            WsClient client = WsClient.connect(gateway.wsUri("/api/v1/ws"), good);
            assertEquals("es-1", client.awaitType("connected").path("userId").asText());
            client.close();
        }
    }
}
