package io.eventgate.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CloseCodeTest {

    @ParameterizedTest
    @EnumSource(CloseCode.class)
    void everyCodeIsInADocumentedRange(CloseCode code) {
        int c = code.code();
        assertTrue((c >= 1000 && c <= 1015) || (c >= 4000 && c <= 4299), code + " = " + c);
    }

    @ParameterizedTest
    @EnumSource(CloseCode.class)
    void terminalRangeNeverReconnects(CloseCode code) {
        if (code.code() >= 4000 && code.code() <= 4099) {
            assertFalse(code.reconnect(), code.name());
        }
    }

    @ParameterizedTest
    @EnumSource(CloseCode.class)
    void backoffAndResumeRangesReconnect(CloseCode code) {
        if (code.code() >= 4100 && code.code() <= 4299) {
            assertTrue(code.reconnect(), code.name());
        }
    }

    @Test
    void goingAwayReconnectsAndNormalDoesNot() {
        assertTrue(CloseCode.GOING_AWAY.reconnect());
        assertFalse(CloseCode.NORMAL.reconnect());
    }

    @Test
    void catalogueCodesAreTheDocumentedNumbers() {
        assertEquals(1000, CloseCode.NORMAL.code());
        assertEquals(1001, CloseCode.GOING_AWAY.code());
        assertEquals(4000, CloseCode.DISCONNECTED.code());
        assertEquals(4001, CloseCode.TOKEN_EXPIRED.code());
        assertEquals(4100, CloseCode.STALE.code());
        assertEquals(4101, CloseCode.SLOW_CONSUMER.code());
        assertEquals(4102, CloseCode.POLICY_VIOLATION.code());
        assertEquals(4200, CloseCode.INSUFFICIENT_STATE.code());
        assertFalse(CloseCode.DISCONNECTED.reconnect());
        assertFalse(CloseCode.TOKEN_EXPIRED.reconnect());
        assertTrue(CloseCode.STALE.reconnect());
        assertTrue(CloseCode.SLOW_CONSUMER.reconnect());
        assertTrue(CloseCode.POLICY_VIOLATION.reconnect());
        assertTrue(CloseCode.INSUFFICIENT_STATE.reconnect());
    }

    @Test
    void codesAreUniqueAndReasonsFitACloseFrame() {
        assertEquals(CloseCode.values().length, Arrays.stream(CloseCode.values()).mapToInt(CloseCode::code).distinct().count());
        for (CloseCode code : CloseCode.values()) {
            // RFC 6455: the close reason is at most 123 bytes of UTF-8.
            assertTrue(code.reason().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 123, code.name());
        }
    }
}
