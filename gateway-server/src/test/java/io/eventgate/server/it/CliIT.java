package io.eventgate.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventgate.core.auth.TokenSettings;
import io.eventgate.core.auth.TokenVerifier;
import io.eventgate.core.auth.VerifiedToken;
import io.eventgate.server.MainAccess;
import io.eventgate.server.testing.TestGateway;
import io.eventgate.server.testing.WsClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CLI commands in the server jar: token and publish. */
class CliIT {

    @Test
    void tokenCommandMintsAVerifiableTokenWithChannelsAndTtl() throws Exception {
        MainAccess.Result r = MainAccess.run(Map.of("GATEWAY_JWT_SECRET", TestGateway.SECRET, "GATEWAY_API_KEY",
                TestGateway.API_KEY), "token", "--sub", "42", "--channels", "market:*,chat:7", "--ttl", "2h");
        assertEquals(0, r.code(), r.err());
        VerifiedToken token = new TokenVerifier(new TokenSettings(TestGateway.SECRET, null, null, null, Duration.ZERO))
                .verify(r.out().trim());
        assertEquals("42", token.userId());
        assertEquals(List.of("market:*", "chat:7"), token.channelGrants());
        assertTrue(token.grants("market:7f3a"));
    }

    @Test
    void tokenCommandWithoutSecretExplainsWhatIsMissing() throws Exception {
        MainAccess.Result r = MainAccess.run(Map.of(), "token", "--sub", "42");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("GATEWAY_JWT_SECRET"), r.err());
    }

    @Test
    void publishCommandPublishesThroughTheRestApi() throws Exception {
        try (TestGateway gateway = TestGateway.start()) {
            WsClient client = gateway.connect("cli-1");
            MainAccess.Result r = MainAccess.run(Map.of("GATEWAY_API_KEY", TestGateway.API_KEY), "publish",
                    "--url", "http://127.0.0.1:" + gateway.port(), "--channel", "user:cli-1",
                    "--event", "{\"type\":\"hello\",\"n\":1}");
            assertEquals(0, r.code(), r.out() + r.err());
            assertTrue(r.out().startsWith("200 "), r.out());
            assertEquals(1, client.awaitType("hello").path("n").asInt());
        }
    }

    @Test
    void unknownCommandAndBadOptionsExitWith2AndUsage() throws Exception {
        assertEquals(2, MainAccess.run(Map.of(), "frobnicate").code());
        MainAccess.Result r = MainAccess.run(Map.of(), "publish", "--channel");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("needs a value"), r.err());
    }
}
