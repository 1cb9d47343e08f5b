package io.eventgate.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SseEncodingTest {
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void aMessageIsOneDataLineAndAnEmptyLine() {
        byte[] json = utf8("{\"type\":\"ping\"}");
        assertTrue(SseEncoding.isSingleLine(json));
        assertEquals("data: {\"type\":\"ping\"}\n\n", text(SseEncoding.message(json)));
        assertEquals(json.length + SseEncoding.OVERHEAD, SseEncoding.message(json).length);
    }

    @Test
    void retryComesFirstThenIdThenData() {
        assertEquals("retry: 1000\nid: S-abc\ndata: {}\n\n",
                text(SseEncoding.message(utf8("{}"), "S-abc", SseEncoding.RETRY_MILLIS)));
    }

    @Test
    void lineBreaksInAPayloadSplitItOverDataLinesThatSseJoinsBackWithLineFeeds() {
        byte[] json = utf8("{\"a\":\n1,\r\n\"b\":\r2}");
        assertFalse(SseEncoding.isSingleLine(json));
        assertEquals("data: {\"a\":\ndata: 1,\ndata: \"b\":\ndata: 2}\n\n", text(SseEncoding.message(json)));
    }

    @Test
    void gatewayJsonNeverHoldsARawLineBreak() {
        byte[] error = ServerMessages.error(ErrorCode.INVALID_FIELD, "line one\nline two\r", "r\n1");
        assertTrue(SseEncoding.isSingleLine(error), text(error));
    }

    @Test
    void anIdWithALineBreakIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> SseEncoding.message(utf8("{}"), "S-a\nb", -1));
    }

    @Test
    void closeTellsWhenToReconnect() {
        assertEquals(0, SseEncoding.retryAfterClose(CloseCode.GOING_AWAY.code()));
        assertEquals(0, SseEncoding.retryAfterClose(CloseCode.INSUFFICIENT_STATE.code()));
        assertEquals(5000, SseEncoding.retryAfterClose(CloseCode.SLOW_CONSUMER.code()));
        assertEquals(5000, SseEncoding.retryAfterClose(CloseCode.DISCONNECTED.code()));
        assertEquals(5000, SseEncoding.retryAfterClose(1006));
        assertEquals("retry: 0\ndata: {\"type\":\"close\",\"code\":4200,\"reason\":\"recovery buffer full\"}\n\n",
                text(SseEncoding.close(4200, "recovery buffer full")));
    }
}
