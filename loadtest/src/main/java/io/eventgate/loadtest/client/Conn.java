package io.eventgate.loadtest.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventgate.loadtest.Hist;
import io.eventgate.loadtest.Json;
import io.eventgate.loadtest.Target;
import io.eventgate.loadtest.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * One client connection (one attempt of connection {@link #index}): the protocol state machine of its target,
 * heartbeats, ACK batching and the per-stream bookkeeping of received events. Every method runs on the connection's
 * event loop. The transport only carries messages: a WebSocket text frame and an SSE event's data ({@link SseStream})
 * both end up in {@link #onPayload}, so the bookkeeping is the same whatever carried them. Over SSE the client's own
 * messages go through {@link SsePoster}, and the channels come with the stream's request instead of a subscribe.
 */
final class Conn extends ChannelInboundHandlerAdapter {
    enum State { CONNECTING, HANDSHAKING, AWAIT_CONNECTED, AWAIT_OPEN, AWAIT_NAMESPACE, SUBSCRIBING, READY, DONE }

    static final int MAX_ACK_IDS = 1000;
    /** The {@code id} of the subscribe message; SSE's {@code channels=} subscription replies with ref "sse". */
    private static final String WS_SUBSCRIBE_REF = "sub";
    private static final String SSE_SUBSCRIBE_REF = "sse";

    final LocalFleet fleet;
    final int index;
    final int urlIndex;
    final int attempt;
    final ThreadStats ts;
    final Target target;
    final Transport transport;
    final long attemptStartNanos = System.nanoTime();
    final int generation;
    Channel channel;
    State state = State.CONNECTING;
    boolean permitHeld = true;
    boolean resumeAttempt;
    private ArrayList<String> pendingAcks;
    private boolean ackQueued;
    /** SSE only: where acks go. */
    SsePoster poster;
    /** SSE only: the close message the server wrote before ending the stream (code 0: none). */
    private int closeCode;
    private String closeReason;

    Conn(LocalFleet fleet, int index, int urlIndex, int attempt, ThreadStats ts, Target target, Transport transport) {
        this.fleet = fleet;
        this.index = index;
        this.urlIndex = urlIndex;
        this.attempt = attempt;
        this.ts = ts;
        this.target = target;
        this.transport = transport;
        this.generation = fleet.generation;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        state = State.HANDSHAKING;
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            switch (target) {
                case EVENTGATE -> state = State.AWAIT_CONNECTED;
                case SOCKETIO -> state = State.AWAIT_OPEN;
                case WS -> ready();
            }
        } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            fail("handshake timeout");
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof TextWebSocketFrame frame) {
                onText(frame.content());
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onText(ByteBuf content) {
        int len = content.readableBytes();
        byte[] b = ts.scratch(len);
        content.getBytes(content.readerIndex(), b, 0, len);
        onPayload(b, len);
    }

    /** SSE: the stream's response is a 200 event stream; its first event must be {@code connected}. */
    void streamOpened() {
        if (state == State.HANDSHAKING) {
            state = State.AWAIT_CONNECTED;
        }
    }

    /** One server message: a WebSocket text frame's payload or an SSE event's data ({@code b}: during the call). */
    void onPayload(byte[] b, int len) {
        long now = System.nanoTime();
        if (target == Target.SOCKETIO) {
            engineIo(b, len, now);
        } else if (FrameScan.indexOf(b, len, FrameScan.SENT_AT) >= 0) {
            event(b, len, now);
        } else if (FrameScan.equals(b, len, FrameScan.PING)) {
            ping();
        } else {
            control(b, len);
        }
    }

    /** A heartbeat: answered over a WebSocket; an SSE stream has no pong (its ping only keeps proxies from idling). */
    private void ping() {
        fleet.pings.increment();
        if (transport == Transport.WS) {
            send("{\"type\":\"pong\"}");
        }
    }

    /** Engine.IO v4 packet types: 0 open, 2 ping, 3 pong, 4 message (Socket.IO: 40 connect, 42 event, 44 error). */
    private void engineIo(byte[] b, int len, long now) {
        if (len == 0) {
            return;
        }
        switch (b[0]) {
            case '2' -> {
                fleet.pings.increment();
                send("3");
            }
            case '0' -> {
                if (state == State.AWAIT_OPEN) {
                    state = State.AWAIT_NAMESPACE;
                    send("40");
                }
            }
            case '4' -> {
                char type = len > 1 ? (char) b[1] : ' ';
                if (type == '2' && FrameScan.indexOf(b, len, FrameScan.SENT_AT) >= 0) {
                    event(b, len, now);
                } else if (type == '0' && state == State.AWAIT_NAMESPACE) {
                    ready();
                } else if (type == '4') {
                    error("socket.io connect error: " + new String(b, 0, Math.min(len, 200),
                            java.nio.charset.StandardCharsets.UTF_8));
                    fail("socket.io connect error");
                } else if (type == '1') {
                    channel.close();
                }
            }
            case '1' -> channel.close();
            default -> { }
        }
    }

    private void control(byte[] b, int len) {
        if (target != Target.EVENTGATE) {
            error("unexpected frame: " + new String(b, 0, Math.min(len, 200), java.nio.charset.StandardCharsets.UTF_8));
            return;
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(b, 0, len);
        } catch (java.io.IOException e) {
            error("unparsable frame: " + new String(b, 0, Math.min(len, 200), java.nio.charset.StandardCharsets.UTF_8));
            return;
        }
        String type = node.path("type").asText("");
        switch (type) {
            case "connected" -> {
                if (state == State.AWAIT_CONNECTED) {
                    String sid = node.path("sessionId").asText(null);
                    if (sid != null) {
                        fleet.sessionId(index, sid);
                    }
                    if (resumeAttempt) {
                        if (node.path("resumed").asBoolean(false)) {
                            ts.resumedTrue++;
                        } else {
                            ts.resumedFalse++;
                        }
                        if (node.has("recovered")) {
                            if (node.path("recovered").asBoolean(false)) {
                                ts.recoveredTrue++;
                            } else {
                                ts.recoveredFalse++;
                            }
                        }
                    }
                    if (poster != null) {
                        poster.connectionId(node.path("connectionId").asText());
                    }
                    if (fleet.channels.isEmpty()) {
                        ready();
                    } else {
                        state = State.SUBSCRIBING;
                        if (transport == Transport.WS) {
                            send(fleet.subscribeMessage);
                        } // SSE: the request's channels= are subscribed by the server, which replies ref "sse"
                    }
                }
            }
            case "subscribed" -> {
                if (state == State.SUBSCRIBING && (transport == Transport.WS
                        || SSE_SUBSCRIBE_REF.equals(node.path("ref").asText()))) {
                    ready();
                }
            }
            case "ping" -> ping();
            case "error" -> {
                error("server error: " + node);
                if (state == State.SUBSCRIBING && subscribeRef().equals(node.path("ref").asText())) {
                    fail("subscribe refused: " + node.path("message").asText());
                }
            }
            case "close" -> {
                if (transport != Transport.SSE) {
                    error("unexpected message: " + truncate(node.toString()));
                    return;
                }
                // the TCP close follows and ends the Conn (channelInactive); the fleet reports it with this code
                closeCode = node.path("code").asInt(0);
                closeReason = node.path("reason").asText("");
                ts.serverClose(closeCode);
            }
            case "acked" -> {
                ts.ackConfirmed += node.path("acknowledged").asLong(0);
                ts.ackUnknown += node.path("unknown").asLong(0);
            }
            case "pong" -> { }
            default -> error("unexpected message: " + truncate(node.toString()));
        }
    }

    private void event(byte[] b, int len, long now) {
        long stream = FrameScan.longField(b, len, FrameScan.STREAM);
        long k = FrameScan.longField(b, len, FrameScan.SEQ_KEY);
        long ph = FrameScan.longField(b, len, FrameScan.PHASE);
        long sent = FrameScan.longField(b, len, FrameScan.SENT_AT);
        long posted = FrameScan.longField(b, len, FrameScan.POSTED_AT);
        if (stream < 0 || stream > 1000 || k < 0 || k > Integer.MAX_VALUE || ph < 0 || sent < 0) {
            error("malformed event: " + new String(b, 0, Math.min(len, 200), java.nio.charset.StandardCharsets.UTF_8));
            return;
        }
        StreamTracker t = stream((int) stream);
        if (!t.mark(k)) {
            ts.duplicates++;
            if (target == Target.EVENTGATE && FrameScan.indexOf(b, len, FrameScan.REDELIVERED) >= 0) {
                ts.redelivered++;
            }
        } else {
            if (t.outOfOrder(k)) {
                ts.orderViolations++;
            }
            PhaseStats p = ts.phase((int) ph);
            p.received++;
            Hist.recordMicros(p.latency, (now - sent) / 1000);
            Hist.recordMicros(p.rawLatency, (now - (posted < 0 ? sent : posted)) / 1000);
            if (stream > 0) {
                ts.spread((int) stream).record(k, now, (int) ph);
            }
            fleet.received.increment();
        }
        if (target == Target.EVENTGATE && fleet.ackMode != LocalFleet.AckMode.NONE
                && (fleet.ackMode == LocalFleet.AckMode.ALL || FrameScan.indexOf(b, len, FrameScan.USER_CHANNEL) >= 0)) {
            String id = FrameScan.stringField(b, len, FrameScan.EVENT_ID);
            if (id != null) {
                if (pendingAcks == null) {
                    pendingAcks = new ArrayList<>();
                }
                pendingAcks.add(id);
                if (!ackQueued) {
                    ackQueued = true;
                    ts.ackDirty.add(this);
                }
            }
        }
    }

    /** Sends the batched acknowledgements (the loop's 50 ms ack task). */
    void flushAcks() {
        ackQueued = false;
        if (pendingAcks == null || pendingAcks.isEmpty() || channel == null || !channel.isActive()) {
            return;
        }
        if (poster != null) {
            poster.ack(pendingAcks);
        } else {
            for (int from = 0; from < pendingAcks.size(); from += MAX_ACK_IDS) {
                int to = Math.min(pendingAcks.size(), from + MAX_ACK_IDS);
                ts.ackedIds += to - from;
                channel.write(new TextWebSocketFrame(ackMessage(pendingAcks, from, to, fleet.spec.ackConfirm())),
                        channel.voidPromise());
                ts.acksSent++;
            }
            channel.flush();
        }
        pendingAcks.clear();
        if (pendingAcks.size() > 4096) {
            pendingAcks = null;
        }
    }

    /** The ack message for {@code ids[from, to)}, with an id when the server is to confirm it ({@code acked}). */
    static String ackMessage(List<String> ids, int from, int to, boolean confirm) {
        StringBuilder sb = new StringBuilder(40 + (to - from) * 40).append("{\"type\":\"ack\",");
        if (confirm) {
            sb.append("\"id\":\"a\",");
        }
        sb.append("\"eventIds\":[");
        for (int i = from; i < to; i++) {
            if (i > from) {
                sb.append(',');
            }
            sb.append('"').append(ids.get(i)).append('"');
        }
        return sb.append("]}").toString();
    }

    /** The connection's trackers live in the fleet, per connection index: they survive reconnects (dedup by event). */
    private StreamTracker stream(int s) {
        StreamTracker[] streams = fleet.trackers(index);
        if (s >= streams.length) {
            streams = java.util.Arrays.copyOf(streams, s + 1);
            fleet.trackers(index, streams);
        }
        StreamTracker t = streams[s];
        if (t == null) {
            t = streams[s] = new StreamTracker();
        }
        return t;
    }

    private String subscribeRef() {
        return transport == Transport.SSE ? SSE_SUBSCRIBE_REF : WS_SUBSCRIBE_REF;
    }

    /** WebSocket only: SSE client messages are POSTs ({@link SsePoster}). */
    private void send(String text) {
        if (transport == Transport.WS && channel != null && channel.isActive()) {
            channel.writeAndFlush(new TextWebSocketFrame(text), channel.voidPromise());
        }
    }

    private void ready() {
        state = State.READY;
        fleet.onReady(this, System.nanoTime() - attemptStartNanos);
    }

    void fail(String reason) {
        if (state == State.READY || state == State.DONE) {
            return;
        }
        state = State.DONE;
        fleet.onAttemptFailed(this, reason);
        if (channel != null) {
            channel.close();
        }
    }

    private void error(String what) {
        fleet.error(what);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (poster != null) {
            poster.close();
        }
        if (state == State.READY) {
            state = State.DONE;
            fleet.onClosed(this);
        } else if (state != State.DONE) {
            state = State.DONE;
            fleet.onAttemptFailed(this, "closed before ready" + closeNote());
        }
        ctx.fireChannelInactive();
    }

    /** The server's close message, for the failure or drop this close is reported as ("" without one). */
    String closeNote() {
        return closeCode == 0 ? "" : " (close " + closeCode + ": " + closeReason + ")";
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (state != State.READY && state != State.DONE) {
            fail(cause.getClass().getSimpleName() + ": " + cause.getMessage());
        } else {
            if (!fleet.closing) {
                error("connection error: " + cause);
            }
            ctx.close();
        }
    }

    private static String truncate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
