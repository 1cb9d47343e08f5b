package io.eventgate.core;

import java.time.Duration;

/**
 * Core runtime settings (the server maps its configuration onto this).
 *
 * @param heartbeatInterval how often a {@code ping} is sent to each connection
 * @param idleTimeout silence after which a connection is closed as stale
 * @param rateLimitPerMinute client messages a connection may send per minute (acks and pongs are exempt)
 * @param rateLimitBurst how many messages may arrive at once
 * @param rateLimitCloseAfter consecutive refused messages before the connection is closed
 * @param maxSubscriptionsPerConnection channels one connection may subscribe to
 * @param ackTimeout an unacknowledged event is redelivered after this long
 * @param maxRedeliveries redeliveries of one event to one connection
 * @param pendingTtl how long an unacknowledged event is kept
 * @param maxPendingPerConnection unacknowledged events one connection may hold before it is closed as slow
 */
public record GatewaySettings(Duration heartbeatInterval, Duration idleTimeout, int rateLimitPerMinute,
                              int rateLimitBurst, int rateLimitCloseAfter, int maxSubscriptionsPerConnection,
                              Duration ackTimeout, int maxRedeliveries, Duration pendingTtl,
                              int maxPendingPerConnection) {
    public static final int DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION = 256;
    /** Live events buffered for one connection while its recovery reads history. */
    public static final int MAX_RECOVERY_BUFFER = 10_000;

    public static GatewaySettings defaults() {
        return new GatewaySettings(Duration.ofSeconds(30), Duration.ofSeconds(75), 100, 20, 50,
                DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION, Duration.ofSeconds(10), 3, Duration.ofSeconds(60), 1000);
    }

    public GatewaySettings withHeartbeat(Duration interval, Duration idle) {
        return new GatewaySettings(interval, idle, rateLimitPerMinute, rateLimitBurst, rateLimitCloseAfter,
                maxSubscriptionsPerConnection, ackTimeout, maxRedeliveries, pendingTtl, maxPendingPerConnection);
    }

    public GatewaySettings withAcks(Duration timeout, int redeliveries, Duration ttl, int maxPending) {
        return new GatewaySettings(heartbeatInterval, idleTimeout, rateLimitPerMinute, rateLimitBurst,
                rateLimitCloseAfter, maxSubscriptionsPerConnection, timeout, redeliveries, ttl, maxPending);
    }
}
