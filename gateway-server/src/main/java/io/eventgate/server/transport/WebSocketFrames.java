package io.eventgate.server.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Encodes a complete unmasked WebSocket text frame (header and payload) into one buffer, so one encoding serves every
 * recipient: server-to-client frames are identical for all. Written as a raw {@link ByteBuf}, it passes Netty's
 * frame encoder untouched. (permessage-deflate is off, so frames need no per-connection state.)
 */
public final class WebSocketFrames {
    private static final int FIN_TEXT = 0x81;
    /** The largest header of an unmasked server frame (2 bytes + 64-bit length). */
    public static final int MAX_HEADER_BYTES = 10;

    private WebSocketFrames() {}

    /** Returns a new buffer with refCnt 1, owned by the caller. */
    public static ByteBuf text(ByteBufAllocator alloc, byte[] payload) {
        int length = payload.length;
        int header = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
        ByteBuf buf = alloc.directBuffer(header + length);
        buf.writeByte(FIN_TEXT);
        if (length < 126) {
            buf.writeByte(length);
        } else if (length <= 0xFFFF) {
            buf.writeByte(126);
            buf.writeShort(length);
        } else {
            buf.writeByte(127);
            buf.writeLong(length);
        }
        buf.writeBytes(payload);
        return buf;
    }
}
