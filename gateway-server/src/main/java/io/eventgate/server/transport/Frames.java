package io.eventgate.server.transport;

import io.eventgate.protocol.SseEncoding;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;

/**
 * The encode-once primitive of the lanes: a message's complete frame, in one of the {@link ClientSession} frame forms,
 * in one buffer that every recipient of that form shares ({@code retainedDuplicate()} per write).
 */
final class Frames {
    private static final byte[] SSE_DATA = SseEncoding.dataPrefix();

    private Frames() {}

    /** Returns a new buffer with refCnt 1, owned by the caller. */
    static ByteBuf encode(int form, ByteBufAllocator alloc, byte[] json) {
        return form == ClientSession.SSE_FRAMES ? sse(alloc, json) : WebSocketFrames.text(alloc, json);
    }

    /** {@code data: <json>} and an empty line; see {@link SseEncoding}. Returns a new buffer owned by the caller. */
    static ByteBuf sse(ByteBufAllocator alloc, byte[] json) {
        if (!SseEncoding.isSingleLine(json)) {
            return Unpooled.wrappedBuffer(SseEncoding.message(json));
        }
        ByteBuf buf = alloc.directBuffer(json.length + SseEncoding.OVERHEAD);
        buf.writeBytes(SSE_DATA).writeBytes(json).writeByte('\n').writeByte('\n');
        return buf;
    }
}
