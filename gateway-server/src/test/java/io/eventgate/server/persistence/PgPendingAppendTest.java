package io.eventgate.server.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The insert/ack fold of a queued pending insert (no database needed). */
class PgPendingAppendTest {
    private static PgPendingStore.Append append() {
        return new PgPendingStore.Append("u1", TestEvents.event("user:u1", 1, "EV-1", false, 1_000), 2_000);
    }

    @Test
    void anAckBeforeTheWriterTakesTheInsertIsWrittenWithItAndTheFirstAckTimeStays() {
        PgPendingStore.Append a = append();
        assertTrue(a.ackBeforeWrite(1_500));
        assertTrue(a.ackedBeforeWrite());
        assertTrue(a.ackBeforeWrite(1_900), "a repeated ack is absorbed too");
        assertEquals(1_500L, a.claimForWrite());
        assertEquals(1_500L, a.claimForWrite(), "a retried batch writes the row the same way");
        assertTrue(a.ackBeforeWrite(1_950), "still acknowledged: nothing more to write");
        assertEquals(1_500L, a.claimForWrite());
    }

    @Test
    void anAckAfterTheWriterTookTheInsertIsNotFolded() {
        PgPendingStore.Append a = append();
        assertNull(a.claimForWrite());
        assertFalse(a.ackBeforeWrite(1_500), "the ack must be written on its own");
        assertFalse(a.ackedBeforeWrite());
        assertNull(a.claimForWrite(), "a retried batch writes the row unacknowledged again");
    }
}
