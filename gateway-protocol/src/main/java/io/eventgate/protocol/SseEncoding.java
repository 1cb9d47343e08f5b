package io.eventgate.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The Server-Sent Events form of server messages (docs/PROTOCOL.md section 15): every message is one SSE event of type
 * {@code message}, {@code data: <json>} and an empty line, so the JSON is byte for byte the WebSocket frame's payload.
 *
 * <p>JSON written by the gateway never holds a raw line break (Jackson escapes control characters inside strings and
 * writes no whitespace), so the hot path is a fixed prefix and suffix around shared bytes ({@link #isSingleLine}). A
 * payload that did hold one is split over several {@code data:} lines, which SSE joins back with {@code \n}.
 */
public final class SseEncoding {
    /** {@code retry:} sent at the start of every stream: how long an EventSource waits before it reconnects. */
    public static final int RETRY_MILLIS = 1_000;
    /** {@code retry:} sent with a close that asks for a reconnect with backoff, or for none. */
    public static final int BACKOFF_RETRY_MILLIS = 5_000;

    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
    /** Bytes around a single-line payload: {@code "data: "} and the two line feeds. */
    public static final int OVERHEAD = 8;

    private SseEncoding() {}

    public static byte[] dataPrefix() {
        return DATA.clone();
    }

    /** Whether {@code json} can be framed as one {@code data:} line (it holds no CR or LF byte). */
    public static boolean isSingleLine(byte[] json) {
        for (byte b : json) {
            if (b == '\n' || b == '\r') {
                return false;
            }
        }
        return true;
    }

    /** One event: {@code data: <json>} (split at line breaks) and an empty line. */
    public static byte[] message(byte[] json) {
        return message(json, null, -1);
    }

    /**
     * One event with optional fields: {@code retry: <retryMillis>} when {@code retryMillis >= 0} and {@code id: <id>}
     * when {@code id} is not null ({@code id} must hold no line break and no NUL: the caller's session ids do not).
     */
    public static byte[] message(byte[] json, String id, int retryMillis) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(json.length + OVERHEAD + 48);
        if (retryMillis >= 0) {
            out.writeBytes(("retry: " + retryMillis + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        if (id != null) {
            if (id.indexOf('\n') >= 0 || id.indexOf('\r') >= 0 || id.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("an SSE id cannot hold a line break or NUL");
            }
            out.writeBytes(("id: " + id + "\n").getBytes(StandardCharsets.UTF_8));
        }
        int start = 0;
        for (int i = 0; i <= json.length; i++) {
            if (i == json.length || json[i] == '\n' || json[i] == '\r') {
                out.writeBytes(DATA);
                out.write(json, start, i - start);
                out.write('\n');
                if (i < json.length && json[i] == '\r' && i + 1 < json.length && json[i + 1] == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        out.write('\n');
        return out.toByteArray();
    }

    /**
     * The {@code retry:} that goes with a close: reconnect now after a shutdown (1001) or a lost stream state
     * (4200-4299); otherwise wait (reconnect with backoff, or a terminal code the client must act on itself).
     */
    public static int retryAfterClose(int closeCode) {
        return closeCode == CloseCode.GOING_AWAY.code() || (closeCode >= 4200 && closeCode < 4300)
                ? 0 : BACKOFF_RETRY_MILLIS;
    }

    /** The stream's last message: {@code retry:} per {@link #retryAfterClose} and the {@code close} message. */
    public static byte[] close(int closeCode, String reason) {
        return message(ServerMessages.close(closeCode, reason), null, retryAfterClose(closeCode));
    }
}
