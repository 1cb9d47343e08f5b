package io.eventgate.loadtest.publish;

/**
 * One event to publish. {@code node} picks the server (index into the URLs), {@code route} the publisher connection
 * (all events of one route key go through one connection, one request at a time, so they reach the server in
 * order). {@code stream}/{@code k} are the recipient-side sequence key (stream 0: the addressed user's own stream;
 * stream 1+: a broadcast channel), {@code phase} the measurement phase, {@code intendedNanos} the time the schedule
 * meant to send it (System.nanoTime), from which latency is measured (no coordinated omission).
 */
public record PublishItem(int node, int route, Kind kind, String dest, int stream, long k, int phase,
                          long intendedNanos, String eventId) {
    public enum Kind {
        /** To one user: eventgate {@code {"user":..}}, peers {@code POST /publish}. */
        USER,
        /** To a channel's subscribers: eventgate {@code {"channel":..}}, peers {@code POST /broadcast} (everyone). */
        CHANNEL
    }
}
