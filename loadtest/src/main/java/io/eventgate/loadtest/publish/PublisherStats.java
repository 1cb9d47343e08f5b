package io.eventgate.loadtest.publish;

import org.HdrHistogram.Histogram;

/**
 * @param submitted items handed to the publisher
 * @param published items the server accepted
 * @param failed    items refused or lost (connection closed, non-200)
 * @param requests  HTTP requests answered
 * @param roundTrip request round-trip times (µs)
 */
public record PublisherStats(long submitted, long published, long failed, long requests, Histogram roundTrip) {
    public long backlog() {
        return submitted - published - failed;
    }
}
