package io.eventgate.loadtest.client;

import java.util.ArrayList;
import java.util.List;

/**
 * The client-to-server half of an SSE {@link Conn}: the acks it still has to POST to
 * {@code /api/v1/sse/{connectionId}}. The POSTs themselves leave through its loop's {@link SseAckPool} (a few
 * keep-alive connections shared by every stream of the loop, as a browser pools its connections per origin): one
 * socket per stream and another per stream for its acks would double the sockets of both sides, which hit the open
 * files limit of a process at 10,000 streams. Acks arriving while this connection's POST is queued or in flight
 * join the next one (at most {@link Conn#MAX_ACK_IDS} ids each, as over the WebSocket). Runs on the Conn's loop only.
 */
final class SsePoster {
    final Conn conn;
    final String authorization;
    private final String basePath;
    private final SseAckPool pool;
    final ArrayList<String> queued = new ArrayList<>();
    String path;
    /** In the pool's queue or in flight: the pool calls {@link #sent} when it may be queued again. */
    boolean pending;
    boolean closed;

    /** {@code basePath}: the stream's path ({@code /api/v1/sse}). */
    SsePoster(Conn conn, String basePath, String token, SseAckPool pool) {
        this.conn = conn;
        this.basePath = basePath;
        this.authorization = "Bearer " + token;
        this.pool = pool;
    }

    /** From the stream's {@code connected} message: where the POSTs go. */
    void connectionId(String id) {
        path = basePath + "/" + id;
    }

    /** Queues {@code ids} for acknowledgement; the pool POSTs them when a connection of it is free. */
    void ack(List<String> ids) {
        if (closed) {
            return;
        }
        if (path == null) {
            conn.fleet.error("connection " + conn.index + ": acks before the stream's connected message");
            return;
        }
        queued.addAll(ids);
        if (!pending) {
            pending = true;
            pool.submit(this);
        }
    }

    /** The pool answered this connection's POST (or dropped it): queue again if more acks arrived meanwhile. */
    void sent() {
        pending = false;
        if (!closed && !queued.isEmpty()) {
            pending = true;
            pool.submit(this);
        }
    }

    /** The stream ended: no more POSTs (unacknowledged events are redelivered at resume). */
    void close() {
        closed = true;
        queued.clear();
    }
}
