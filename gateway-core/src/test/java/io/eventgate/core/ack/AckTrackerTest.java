package io.eventgate.core.ack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.core.engine.Event;
import io.eventgate.protocol.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Redelivery timing with explicit (fake) times: ack timeout, redelivery cap, pending TTL. */
class AckTrackerTest {
    private static final long TIMEOUT = 10_000;
    private static final long TTL = 60_000;

    private static Event event(String id, long seq) {
        ObjectNode body = Json.MAPPER.createObjectNode().put("type", "t").put("eventId", id);
        return new Event("user:1", seq, "e", id, "t", body, body.toString().getBytes(), true, false, 0);
    }

    private static List<Event> due(AckTracker tracker, long now, int maxRedeliveries) {
        return tracker.due(now, TIMEOUT, maxRedeliveries, TTL, new int[1]);
    }

    @Test
    void nothingIsDueBeforeTheAckTimeout() {
        AckTracker tracker = new AckTracker();
        tracker.track(event("a", 1), 0);
        assertTrue(due(tracker, TIMEOUT - 1, 3).isEmpty());
    }

    @Test
    void unackedEventIsDueAtTheTimeoutAndAgainOneTimeoutAfterItsRedelivery() {
        AckTracker tracker = new AckTracker();
        Event a = event("a", 1);
        tracker.track(a, 0);
        assertEquals(List.of(a), due(tracker, TIMEOUT, 3));
        assertTrue(due(tracker, TIMEOUT + TIMEOUT - 1, 3).isEmpty(), "the timeout restarts at each redelivery");
        assertEquals(List.of(a), due(tracker, 2 * TIMEOUT, 3));
    }

    @Test
    void redeliveriesStopAtTheCapButTheAckStillCountsUntilTheTtl() {
        AckTracker tracker = new AckTracker();
        Event a = event("a", 1);
        tracker.track(a, 0);
        assertEquals(1, due(tracker, TIMEOUT, 2).size());
        assertEquals(1, due(tracker, 2 * TIMEOUT, 2).size());
        assertTrue(due(tracker, 3 * TIMEOUT, 2).isEmpty(), "no third redelivery with a cap of 2");
        assertEquals(1, tracker.size());
        assertSame(a, tracker.ack("a"));
    }

    @Test
    void entriesOlderThanTheTtlAreDroppedAndCounted() {
        AckTracker tracker = new AckTracker();
        tracker.track(event("a", 1), 0);
        tracker.track(event("b", 2), TTL / 2);
        int[] dropped = new int[1];
        tracker.due(TTL, TIMEOUT, 100, TTL, dropped);
        assertEquals(1, dropped[0]);
        assertNull(tracker.ack("a"));
        assertEquals("b", tracker.ack("b").eventId());
    }

    @Test
    void ackRemovesTheEntryAndUnknownIdsReturnNull() {
        AckTracker tracker = new AckTracker();
        tracker.track(event("a", 1), 0);
        assertNull(tracker.ack("zzz"));
        assertEquals("a", tracker.ack("a").eventId());
        assertTrue(tracker.isEmpty());
        assertTrue(due(tracker, TIMEOUT * 5, 3).isEmpty());
    }

    @Test
    void trackingTheSameEventTwiceKeepsOneEntry() {
        AckTracker tracker = new AckTracker();
        assertTrue(tracker.track(event("a", 1), 0));
        assertFalse(tracker.track(event("a", 1), 5));
        assertEquals(1, tracker.size());
    }

    @Test
    void eventsAreListedOldestFirst() {
        AckTracker tracker = new AckTracker();
        tracker.track(event("a", 1), 0);
        tracker.track(event("b", 2), 1);
        tracker.track(event("c", 3), 2);
        assertEquals(List.of("a", "b", "c"), tracker.events().stream().map(Event::eventId).toList());
    }
}
