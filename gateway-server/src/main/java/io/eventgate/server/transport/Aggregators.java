package io.eventgate.server.transport;

import io.eventgate.core.GatewayStats;
import io.netty.channel.ChannelHandler;

/** Factory for the per-connection HTTP body aggregator. */
public final class Aggregators {
    private Aggregators() {}

    public static ChannelHandler json(int maxBodyBytes, GatewayStats stats) {
        return new JsonBodyAggregator(maxBodyBytes, stats);
    }
}
