package io.eventgate.server.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Message validation and stream-id ordering of {@link RedisIngress} (no Redis needed). */
class RedisIngressTest {
    private static RedisIngress.Parsed parse(String json) throws RedisIngress.InvalidMessage {
        return RedisIngress.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void acceptsTheRestPublishBody() throws Exception {
        RedisIngress.Parsed p = parse("{\"channel\":\"market:btc\",\"event\":{\"type\":\"tick\",\"p\":50000.00},"
                + "\"ack\":false,\"critical\":true}");
        assertEquals("market:btc", p.channel());
        assertEquals(Boolean.FALSE, p.ack());
        assertTrue(p.critical());
        assertEquals("{\"type\":\"tick\",\"p\":50000.00}", p.event().toString());

        RedisIngress.Parsed user = parse("{\"user\":42,\"event\":{\"type\":\"note\"}}");
        assertEquals("user:42", user.channel());
        assertNull(user.ack(), "namespace default");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "nope", "[]", "{}", "{\"channel\":5,\"event\":{\"type\":\"x\"}}",
            "{\"channel\":\"bad\",\"event\":{\"type\":\"x\"}}", "{\"user\":\"\",\"event\":{\"type\":\"x\"}}",
            "{\"channel\":\"a:b\",\"user\":\"1\",\"event\":{\"type\":\"x\"}}", "{\"channel\":\"a:b\"}",
            "{\"channel\":\"a:b\",\"event\":{}}", "{\"channel\":\"a:b\",\"event\":{\"type\":\"x\",\"eventId\":3}}",
            "{\"channel\":\"a:b\",\"event\":{\"type\":\"x\"},\"critical\":1}", "{\"channel\":\"a:b\",\"event\":[]}"})
    void rejectsInvalidMessages(String json) {
        assertThrows(RedisIngress.InvalidMessage.class, () -> parse(json));
    }

    @Test
    void streamIdsCompareNumerically() {
        assertTrue(RedisIngress.compareIds("9-0", "10-0") < 0);
        assertTrue(RedisIngress.compareIds("10-2", "10-10") < 0);
        assertEquals(0, RedisIngress.compareIds("5-5", "5-5"));
        assertTrue(RedisIngress.compareIds("11-0", "10-99") > 0);
    }
}
