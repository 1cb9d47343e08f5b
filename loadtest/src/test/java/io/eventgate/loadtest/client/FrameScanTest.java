package io.eventgate.loadtest.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FrameScanTest {
    @Test
    void readsTheHarnessFieldsFromAGatewayEvent() {
        byte[] b = ("{\"type\":\"bench\",\"eventId\":\"r1-u7-3\",\"s\":0,\"k\":3,\"ph\":1,\"sentAtNanos\":123456789,"
                + "\"postedAtNanos\":123456999,\"timestamp\":\"2025-01-01T00:00:00.000Z\",\"channel\":\"user:u7\","
                + "\"seq\":17,\"redelivered\":true}").getBytes(StandardCharsets.UTF_8);
        int len = b.length;
        assertEquals(0, FrameScan.longField(b, len, FrameScan.STREAM));
        assertEquals(3, FrameScan.longField(b, len, FrameScan.SEQ_KEY));
        assertEquals(1, FrameScan.longField(b, len, FrameScan.PHASE));
        assertEquals(123456789L, FrameScan.longField(b, len, FrameScan.SENT_AT));
        assertEquals(123456999L, FrameScan.longField(b, len, FrameScan.POSTED_AT));
        assertEquals("r1-u7-3", FrameScan.stringField(b, len, FrameScan.EVENT_ID));
        assertTrue(FrameScan.indexOf(b, len, FrameScan.REDELIVERED) >= 0);
        assertTrue(FrameScan.indexOf(b, len, FrameScan.USER_CHANNEL) >= 0);
    }

    @Test
    void missingFieldsAreReportedAsAbsent() {
        byte[] b = "42[\"bench\",{\"type\":\"bench\"}]".getBytes(StandardCharsets.UTF_8);
        assertEquals(-1, FrameScan.longField(b, b.length, FrameScan.SEQ_KEY));
        assertNull(FrameScan.stringField(b, b.length, FrameScan.EVENT_ID));
        assertFalse(FrameScan.indexOf(b, b.length, FrameScan.SENT_AT) >= 0);
    }

    @Test
    void streamTrackerFindsDuplicatesAndReordering() {
        StreamTracker t = new StreamTracker();
        assertTrue(t.mark(0));
        assertFalse(t.outOfOrder(0));
        assertTrue(t.mark(200));
        assertFalse(t.outOfOrder(200));
        assertTrue(t.mark(5));
        assertTrue(t.outOfOrder(5));
        assertFalse(t.mark(200));
    }
}
