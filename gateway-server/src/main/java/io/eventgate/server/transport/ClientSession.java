package io.eventgate.server.transport;

import io.eventgate.core.Gateway;
import io.eventgate.core.auth.VerifiedToken;
import io.eventgate.core.engine.Event;
import io.eventgate.core.hub.Connection;
import io.eventgate.core.hub.Lane;
import io.eventgate.core.hub.Transport;
import io.eventgate.protocol.CloseCode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a client connection's pipeline and the core's {@link Transport} for it: what a WebSocket and a
 * Server-Sent Events stream share (lane membership, the per-connection byte cap, shared-frame writes, coalesced
 * flushes, the close bookkeeping and the connect/disconnect log lines). Subclasses frame messages their way.
 *
 * <p>Not sharable: one per connection; every method runs on the channel's event loop except {@link #close}.
 */
public abstract class ClientSession extends ChannelInboundHandlerAdapter implements Transport {
    /** Index of the WebSocket frame form of an event in a lane's per-event frame cache. */
    static final int WEBSOCKET_FRAMES = 0;
    /** Index of the SSE form. */
    static final int SSE_FRAMES = 1;
    /** How many frame forms there are. */
    static final int FRAME_FORMS = 2;

    static final Logger LOG = LoggerFactory.getLogger("eventgate.connections");
    /** How long a server-initiated close may wait for its close frame or message to be written before the TCP close. */
    static final long CLOSE_TIMEOUT_MILLIS = 5_000;

    final Gateway gateway;
    private final EventLoopLane lane;
    private final long maxPendingBytes;
    private final String userAgent;
    private final String path;
    Channel channel;
    Connection connection;
    private int laneIndex = -1;
    private boolean dirty;
    volatile boolean closing;
    private volatile boolean closeRequested;
    int closeCode = -1;
    String closeReason;
    String closedBy;

    ClientSession(Gateway gateway, EventLoopLane lane, long maxPendingBytes, String userAgent, String path) {
        this.gateway = gateway;
        this.lane = lane;
        this.maxPendingBytes = maxPendingBytes;
        this.userAgent = userAgent;
        this.path = path;
    }

    /** Called once the handshake response is written: opens the core connection, which sends {@code connected}. */
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

    /** Which form of an event's frame this transport writes: {@link #WEBSOCKET_FRAMES} or {@link #SSE_FRAMES}. */
    abstract int frameForm();

    /** Bytes a frame adds around an event's JSON, at most (for the byte cap). */
    abstract int frameOverhead();

    /** Writes the close to the client (a close frame, or the stream's close message) and closes the channel. */
    abstract void writeClose(int code, String reason);

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
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

    /** A network error (a reset, a failed write): the connection is closed as a 1006. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
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
    public void writeEvent(Event event) {
        if (!hasRoomFor(event.json().length + frameOverhead())) {
            return;
        }
        ByteBuf frame = Frames.encode(frameForm(), channel.alloc(), event.json());
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
        writeClose(code.code(), closeReason.length() > 120 ? closeReason.substring(0, 120) : closeReason);
        // The close goes out behind what is queued; a client that stops reading (the slow consumer above all) never
        // takes it, and the connection would stay open for good. Drop it after a grace period; a connection that
        // closes sooner cancels the timer, so a storm of closes does not keep thousands of sessions reachable.
        Future<?> timeout = channel.eventLoop().schedule(() -> {
            if (channel.isOpen()) {
                channel.close();
            }
        }, CLOSE_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        channel.closeFuture().addListener(closed -> timeout.cancel(false));
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
