package io.eventgate.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void timestampIsIsoUtcWithMilliseconds() {
        assertEquals("2023-11-14T22:13:20.123Z", Json.timestamp(1_700_000_000_123L));
    }

    @Test
    void timestampOfTheEpochHasZeroMillisecondsWritten() {
        assertEquals("1970-01-01T00:00:00.000Z", Json.timestamp(0));
    }

    @Test
    void timestampPadsMilliseconds() {
        assertEquals("2023-11-14T22:13:20.005Z", Json.timestamp(1_700_000_000_005L));
        assertEquals("2023-11-14T22:13:20.050Z", Json.timestamp(1_700_000_000_050L));
    }

    @Test
    void timestampRoundTripsThroughInstant() {
        long millis = 1_767_225_599_999L;
        String text = Json.timestamp(millis);
        assertTrue(text.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z"), text);
        assertEquals(millis, Instant.parse(text).toEpochMilli());
    }
}
