package io.eventgate.server.transport;

import io.eventgate.core.GatewayStats;
import io.eventgate.protocol.ErrorCode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Netty's aggregator with a JSON 413 ({@code PAYLOAD_TOO_LARGE}) instead of its bare one, counted in the stats.
 * The connection is closed afterwards: the rest of the oversized body is not read.
 */
final class JsonBodyAggregator extends HttpObjectAggregator {
    private final GatewayStats stats;
    private final int maxBodyBytes;

    JsonBodyAggregator(int maxBodyBytes, GatewayStats stats) {
        super(maxBodyBytes);
        this.maxBodyBytes = maxBodyBytes;
        this.stats = stats;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        stats.oversizeBodies.increment();
        if (oversized instanceof HttpRequest) {
            HttpUtil.setKeepAlive(oversized, false);
            HttpResponses.error(ctx, false, ErrorCode.PAYLOAD_TOO_LARGE,
                    "request body larger than " + maxBodyBytes + " bytes (GATEWAY_MAX_BODY_SIZE)");
        } else {
            ctx.close();
        }
    }
}
