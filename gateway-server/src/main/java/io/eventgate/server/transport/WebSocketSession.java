package io.eventgate.server.transport;

import io.eventgate.core.Gateway;
import io.eventgate.protocol.CloseCode;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;

/**
 * The last handler of an upgraded WebSocket pipeline and the core's {@link io.eventgate.core.hub.Transport} for that
 * connection: frames arrive here, messages leave as text frames. Not sharable: one per connection; every method runs
 * on the channel's event loop except {@link #close}.
 */
public final class WebSocketSession extends ClientSession {
    private final int maxMessageBytes;
    /** A fragmented message being received (null almost always); see {@link #fragment}. */
    private CompositeByteBuf fragments;
    private boolean fragmentsBinary;

    /**
     * @param maxMessageBytes largest message, also when it arrives in fragments (GATEWAY_MAX_FRAME_SIZE; the decoder
     *                        checks each frame against the same bound)
     */
    public WebSocketSession(Gateway gateway, EventLoopLane lane, long maxPendingBytes, int maxMessageBytes,
                            String userAgent, String path) {
        super(gateway, lane, maxPendingBytes, userAgent, path);
        this.maxMessageBytes = maxMessageBytes;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (connection == null) {
                return;
            }
            if (closing && (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame
                    || msg instanceof ContinuationWebSocketFrame)) {
                // The close handshake has started: messages still in flight are dropped, not handled (a rate-limit
                // close would otherwise be counted again for every message read after it).
                return;
            }
            if (msg instanceof TextWebSocketFrame text && text.isFinalFragment() && fragments == null) {
                gateway.onText(connection, ByteBufUtil.getBytes(text.content()));
            } else if (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame
                    || msg instanceof ContinuationWebSocketFrame) {
                fragment(ctx, (WebSocketFrame) msg);
            } else if (msg instanceof PingWebSocketFrame ping) {
                gateway.activity(connection);
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
            } else if (msg instanceof PongWebSocketFrame) {
                gateway.activity(connection);
            } else if (msg instanceof CloseWebSocketFrame close) {
                if (closeCode < 0) {
                    closeCode = close.statusCode() < 0 ? 1005 : close.statusCode(); // 1005: no status received
                    closeReason = close.reasonText();
                    closedBy = "client";
                }
                closing = true;
                ctx.writeAndFlush(new CloseWebSocketFrame(close.statusCode() < 0 ? 1000 : close.statusCode(),
                        null)).addListener(ChannelFutureListener.CLOSE);
            }
        } finally {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    /**
     * A data frame other than a whole text message: a binary message, or a fragment of a message. Fragments are
     * joined here (instead of a frame aggregator in every pipeline) up to {@link #maxMessageBytes}; a larger message
     * closes the connection with 1009. Netty's decoder has already checked the fragment sequence (a continuation
     * without a start, or a new message inside one, is a protocol error it closes with 1002).
     */
    private void fragment(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (!(frame instanceof ContinuationWebSocketFrame)) {
            if (frame.isFinalFragment()) {
                gateway.onBinary(connection); // a whole binary message
                return;
            }
            releaseFragments();
            fragments = ctx.alloc().compositeBuffer();
            fragmentsBinary = frame instanceof BinaryWebSocketFrame;
        } else if (fragments == null) {
            return; // unreachable after the decoder's check; nothing to continue
        }
        if (fragments.readableBytes() + frame.content().readableBytes() > maxMessageBytes) {
            releaseFragments();
            // Unlike the decoder, nothing has told the client yet: close with 1009 here.
            gateway.stats().oversizeFrames.increment();
            close(CloseCode.MESSAGE_TOO_BIG, null);
            return;
        }
        fragments.addComponent(true, frame.content().retain());
        if (frame.isFinalFragment()) {
            CompositeByteBuf message = fragments;
            fragments = null;
            try {
                if (fragmentsBinary) {
                    gateway.onBinary(connection);
                } else {
                    gateway.onText(connection, ByteBufUtil.getBytes(message));
                }
            } finally {
                message.release();
            }
        }
    }

    private void releaseFragments() {
        if (fragments != null) {
            fragments.release();
            fragments = null;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseFragments();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseFragments();
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException corrupt) {
            // Netty's decoder already sent the close frame (1009 for oversize, 1002 otherwise) and closes the channel.
            WebSocketCloseStatus status = corrupt.closeStatus();
            if (status != null && status.code() == CloseCode.MESSAGE_TOO_BIG.code()) {
                gateway.stats().oversizeFrames.increment();
            }
            if (closeCode < 0) {
                closeCode = status == null ? 1002 : status.code();
                closeReason = cause.getMessage();
                closedBy = "server";
            }
            return;
        }
        super.exceptionCaught(ctx, cause);
    }

    @Override
    int frameForm() {
        return WEBSOCKET_FRAMES;
    }

    @Override
    int frameOverhead() {
        return WebSocketFrames.MAX_HEADER_BYTES;
    }

    @Override
    public void sendControl(byte[] json) {
        if (channel == null || closing) {
            return;
        }
        channel.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(json)), channel.voidPromise());
    }

    @Override
    void writeClose(int code, String reason) {
        channel.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
    }
}
