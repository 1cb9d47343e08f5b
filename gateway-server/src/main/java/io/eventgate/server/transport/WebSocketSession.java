package io.eventgate.server.transport;

import io.eventgate.core.Gateway;
import io.eventgate.core.auth.VerifiedToken;
import io.eventgate.core.engine.Event;
import io.eventgate.core.hub.Connection;
import io.eventgate.core.hub.Lane;
import io.eventgate.core.hub.Transport;
import io.eventgate.protocol.CloseCode;
import io.eventgate.protocol.ErrorCode;
import io.eventgate.protocol.ServerMessages;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an upgraded WebSocket pipeline and the core's {@link Transport} for that connection.
 * Not sharable: one per connection; every method runs on the channel's event loop except {@link #close}.
 */
public final class WebSocketSession extends ChannelInboundHandlerAdapter implements Transport {
    private static final Logger LOG = LoggerFactory.getLogger("eventgate.connections");

    private final Gateway gateway;
    private final EventLoopLane lane;
    private final long maxPendingBytes;
    private final int maxMessageBytes;
    private final String userAgent;
    private final String path;
    private Channel channel;
    private Connection connection;
    private int laneIndex = -1;
    private boolean dirty;
    private volatile boolean closing;
    private volatile boolean closeRequested;
    private int closeCode = -1;
    private String closeReason;
    private String closedBy;
    /** A fragmented message being received (null almost always); see {@link #fragment}. */
    private CompositeByteBuf fragments;
    private boolean fragmentsBinary;

    /**
     * @param maxMessageBytes largest message, also when it arrives in fragments (GATEWAY_MAX_FRAME_SIZE; the decoder
     *                        checks each frame against the same bound)
     */
    public WebSocketSession(Gateway gateway, EventLoopLane lane, long maxPendingBytes, int maxMessageBytes,
                            String userAgent, String path) {
        this.gateway = gateway;
        this.lane = lane;
        this.maxPendingBytes = maxPendingBytes;
        this.maxMessageBytes = maxMessageBytes;
        this.userAgent = userAgent;
        this.path = path;
    }

    /** Called once the 101 response is written: opens the core connection and sends {@code connected}. */
    void start(ChannelHandlerContext ctx, VerifiedToken token, List<String> initialEvents, String resumeSessionId) {
        this.channel = ctx.channel();
        if (!channel.isActive()) {
            return;
        }
        lane.register(this);
        connection = gateway.open(token, this, initialEvents, resumeSessionId);
        LOG.info("connect connectionId={} userId={} remote={} path={} resume={} userAgent=\"{}\"", connection.id(),
                connection.userId(), remoteAddress(), path, resumeSessionId != null, userAgent == null ? "" : userAgent);
    }

    Connection connection() {
        return connection;
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
        lane.unregister(this);
        if (connection != null) {
            gateway.closed(connection, closeCode < 0 ? 1006 : closeCode);
            LOG.info("disconnect connectionId={} userId={} remote={} durationMs={} closeCode={} closeReason=\"{}\""
                            + " closedBy={}", connection.id(), connection.userId(), remoteAddress(),
                    gateway.now() - connection.connectedAtMillis(), closeCode < 0 ? 1006 : closeCode,
                    closeReason == null ? "" : closeReason, closedBy == null ? "network" : closedBy);
        }
        ctx.fireChannelInactive();
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
        if (closeCode < 0) {
            closeCode = 1006;
            closeReason = cause.getClass().getSimpleName();
            closedBy = "network";
        }
        LOG.debug("connection error remote={}", remoteAddress(), cause);
        ctx.close();
    }

    // ---------------------------------------------------------------- Transport

    @Override
    public Lane lane() {
        return lane;
    }

    @Override
    public void sendControl(byte[] json) {
        if (channel == null || closing) {
            return;
        }
        channel.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(json)), channel.voidPromise());
    }

    @Override
    public void writeEvent(Event event) {
        if (!hasRoomFor(event.json().length + WebSocketFrames.MAX_HEADER_BYTES)) {
            return;
        }
        ByteBuf frame = WebSocketFrames.text(channel.alloc(), event.json());
        try {
            writeShared(frame);
        } finally {
            frame.release();
        }
    }

    /**
     * Loop thread. Whether a frame of {@code bytes} fits under the per-connection cap; if not, the connection is closed
     * as a slow consumer (checked before the event is admitted, so its position does not move past it).
     */
    boolean hasRoomFor(int bytes) {
        ChannelOutboundBuffer out = channel == null ? null : channel.unsafe().outboundBuffer();
        if (out == null || closing) {
            return false;
        }
        if (out.totalPendingWriteBytes() + bytes > maxPendingBytes) {
            gateway.stats().slowConsumerCloses.increment();
            close(CloseCode.SLOW_CONSUMER, "more than " + maxPendingBytes + " bytes queued");
            return false;
        }
        return true;
    }

    /**
     * Loop thread. Writes a retained duplicate of a shared frame (the caller keeps its reference); the caller has
     * checked {@link #hasRoomFor}. Returns false when the connection is closing.
     */
    boolean writeShared(ByteBuf frame) {
        if (closing) {
            return false;
        }
        channel.write(frame.retainedDuplicate(), channel.voidPromise());
        gateway.stats().messagesOut.increment();
        return true;
    }

    boolean markDirty() {
        if (dirty) {
            return false;
        }
        dirty = true;
        return true;
    }

    void flushCoalesced() {
        dirty = false;
        channel.flush();
    }

    @Override
    public void flush() {
        if (channel != null) {
            channel.flush();
        }
    }

    @Override
    public void close(CloseCode code, String detail) {
        if (channel == null) {
            return;
        }
        if (!channel.eventLoop().inEventLoop()) {
            // Stop admitting events at once (isOpen() turns false), so no later event overtakes the close.
            closeRequested = true;
            channel.eventLoop().execute(() -> close(code, detail));
            return;
        }
        if (closing) {
            return;
        }
        closing = true;
        closeCode = code.code();
        closeReason = detail == null ? code.reason() : code.reason() + ": " + detail;
        closedBy = "server";
        String reason = closeReason.length() > 120 ? closeReason.substring(0, 120) : closeReason;
        channel.writeAndFlush(new CloseWebSocketFrame(code.code(), reason)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public boolean isOpen() {
        return channel != null && !closing && !closeRequested && channel.isActive();
    }

    @Override
    public String remoteAddress() {
        // From the channel when asked (logs, the connection record): one string fewer per idle connection.
        return channel == null ? "" : HttpRouter.remote(channel);
    }

    @Override
    public String userAgent() {
        return userAgent;
    }

    ByteBufAllocator alloc() {
        return channel.alloc();
    }

    int laneIndex() {
        return laneIndex;
    }

    void laneIndex(int index) {
        laneIndex = index;
    }
}
