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
 */
public record GatewaySettings(Duration heartbeatInterval, Duration idleTimeout, int rateLimitPerMinute,
                              int rateLimitBurst, int rateLimitCloseAfter, int maxSubscriptionsPerConnection) {
    public static final int DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION = 256;

    public static GatewaySettings defaults() {
        return new GatewaySettings(Duration.ofSeconds(30), Duration.ofSeconds(75), 100, 20, 50,
                DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION);
    }
}
