package io.eventgate.server.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.core.Gateway;
import io.eventgate.core.GatewaySettings;
import io.eventgate.core.auth.TokenMinter;
import io.eventgate.core.auth.TokenSettings;
import io.eventgate.core.auth.TokenVerifier;
import io.eventgate.core.channel.Namespaces;
import io.eventgate.core.engine.Event;
import io.eventgate.core.engine.MemoryEngine;
import io.eventgate.core.engine.PublishOptions;
import io.eventgate.core.filter.EventFilter;
import io.eventgate.core.hub.Subscription;
import io.eventgate.core.hub.TypeSelection;
import io.eventgate.protocol.Json;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Lane delivery (write coalescing) and the shared frame encoding, on EmbeddedChannels. */
class EventLoopLaneTest {
    static final String SECRET = "lane-test-secret-0123456789-abcdefghij";
    static final String CHANNEL = "public:lane";

    private Gateway gateway;
    private MemoryEngine engine;
    private TokenVerifier verifier;
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @BeforeEach
    void setUp() {
        // The gateway is not started: the test hands events to the lane itself, as Hub.dispatch would.
        engine = new MemoryEngine(Namespaces.defaults());
        gateway = new Gateway(engine, Namespaces.defaults(), GatewaySettings.defaults());
        verifier = new TokenVerifier(new TokenSettings(SECRET, null, null, null, Duration.ZERO));
    }

    @AfterEach
    void tearDown() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
        gateway.close();
    }

    /** Counts flush calls that pass from the session towards the socket. */
    static final class FlushCounter extends ChannelOutboundHandlerAdapter {
        int flushes;

        @Override
        public void flush(ChannelHandlerContext ctx) {
            flushes++;
            ctx.flush();
        }
    }

    /** A started session of {@code user} on {@code channel}, subscribed to {@link #CHANNEL}. */
    private Subscription subscribedSession(EmbeddedChannel channel, EventLoopLane lane, FlushCounter counter,
                                           String user) throws Exception {
        return subscribed(new WebSocketSession(gateway, lane, 1024 * 1024, 64 * 1024, null, "/api/v1/ws"), channel,
                counter, user);
    }

    /** Like {@link #subscribedSession}, for a Server-Sent Events stream. */
    private Subscription subscribedStream(EmbeddedChannel channel, EventLoopLane lane, String user) throws Exception {
        return subscribed(new SseSession(gateway, lane, 1024 * 1024, null, "/api/v1/sse", List.of()), channel,
                new FlushCounter(), user);
    }

    private Subscription subscribed(ClientSession session, EmbeddedChannel channel, FlushCounter counter,
                                    String user) throws Exception {
        channel.pipeline().addLast("flush-counter", counter).addLast("session", session);
        String token = new TokenMinter(SECRET, null, null).mint(user, List.of(), Duration.ofMinutes(5));
        session.start(channel.pipeline().context(session), verifier.verify(token), null, null);
        io.netty.util.ReferenceCountUtil.release(channel.readOutbound()); // connected
        Subscription subscription = new Subscription(session.connection(), CHANNEL, TypeSelection.of(null),
                EventFilter.NONE);
        session.connection().putSubscription(subscription);
        counter.flushes = 0;
        return subscription;
    }

    private EmbeddedChannel newChannel() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channels.add(channel);
        return channel;
    }

    private Event event(String type) {
        ObjectNode node = Json.MAPPER.createObjectNode().put("type", type).put("n", type.length());
        return engine.publish(CHANNEL, node, new PublishOptions(false, false)).join();
    }

    private static List<byte[]> written(EmbeddedChannel channel) {
        List<byte[]> out = new ArrayList<>();
        for (Object msg; (msg = channel.readOutbound()) != null; ) {
            ByteBuf buf = assertInstanceOf(ByteBuf.class, msg, "events are written as pre-encoded frames");
            out.add(ByteBufUtil.getBytes(buf));
            buf.release();
        }
        return out;
    }

    /** RFC 6455 server frame: FIN + text opcode, unmasked length (7, 7+16 or 7+64 bits), payload. */
    private static byte[] expectedFrame(byte[] payload) {
        int n = payload.length;
        byte[] header = n < 126 ? new byte[] {(byte) 0x81, (byte) n}
                : new byte[] {(byte) 0x81, 126, (byte) (n >>> 8), (byte) n};
        byte[] frame = Arrays.copyOf(header, header.length + n);
        System.arraycopy(payload, 0, frame, header.length, n);
        return frame;
    }

    // ---------------------------------------------------------------- slicing

    @Test
    void fanOutLargerThanTheRecipientBudgetIsSlicedAndKeepsOrderPerSession() throws Exception {
        Fanout f = fanout(EventLoopLane.RECIPIENT_BUDGET + 5);
        Event big = event("big");
        Event next = event("next");
        f.lane().enqueue(big, f.subscribers());
        // Another array (as after a subscription change): not part of big's run, so it waits for big's last slice.
        f.lane().enqueue(next, f.subscribers().clone());
        f.loop().runPendingTasks();
        for (int i = 0; i < f.subscribers().length; i++) {
            List<byte[]> frames = written(f.channels().get(i));
            assertEquals(2, frames.size(), "session " + i);
            assertArrayEquals(expectedFrame(big.json()), frames.get(0), "session " + i + " first");
            assertArrayEquals(expectedFrame(next.json()), frames.get(1), "session " + i + " second");
        }
        // The first session got 'big' in the first slice and 'next' in the second: two flushes. Without slicing
        // both would have left in one drain.
        assertEquals(2, f.counters().get(0).flushes);
    }

    // ---------------------------------------------------------------- coalescing

    /** A lane on its own loop with {@code n} sessions subscribed to {@link #CHANNEL}, their channels and counters. */
    private record Fanout(EmbeddedChannel loop, EventLoopLane lane, Subscription[] subscribers,
                          List<EmbeddedChannel> channels, List<FlushCounter> counters) {}

    private Fanout fanout(int n) throws Exception {
        EmbeddedChannel loop = newChannel();
        EventLoopLane lane = new EventLoopLane(loop.eventLoop(), 1024, gateway);
        Subscription[] subscribers = new Subscription[n];
        List<EmbeddedChannel> channelsOut = new ArrayList<>();
        List<FlushCounter> countersOut = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            EmbeddedChannel ch = newChannel();
            FlushCounter counter = new FlushCounter();
            subscribers[i] = subscribedSession(ch, lane, counter, "u" + i);
            channelsOut.add(ch);
            countersOut.add(counter);
        }
        return new Fanout(loop, lane, subscribers, channelsOut, countersOut);
    }

    @Test
    void eventsQueuedForOneSubscriberSetLeaveInOneFlushPerRecipientAcrossSlices() throws Exception {
        Fanout f = fanout(EventLoopLane.RECIPIENT_BUDGET + 5);
        List<Event> events = List.of(event("a"), event("b"), event("c"));
        for (Event e : events) {
            f.lane().enqueue(e, f.subscribers());
        }
        f.loop().runPendingTasks();
        for (int i = 0; i < f.subscribers().length; i++) {
            assertFrames(events, f.channels().get(i), "session " + i);
            // Without runs, the first sessions would get a, b and c in three slices: three flushes.
            assertEquals(1, f.counters().get(i).flushes, "session " + i + ": one send for the three queued events");
        }
    }

    @Test
    void aRunNeverOvertakesAnEventQueuedForAnotherSubscriberSet() throws Exception {
        Fanout f = fanout(1);
        Subscription[] otherSet = f.subscribers().clone();
        List<Event> events = List.of(event("first"), event("middle"), event("last"));
        f.lane().enqueue(events.get(0), f.subscribers());
        f.lane().enqueue(events.get(1), otherSet);
        f.lane().enqueue(events.get(2), f.subscribers());
        f.loop().runPendingTasks();

        assertFrames(events, f.channels().get(0), "queue order, not grouped by subscriber set");
        assertEquals(1, f.counters().get(0).flushes);
    }

    /** {@code channel} was written exactly the frames of {@code events}, in that order. */
    private static void assertFrames(List<Event> events, EmbeddedChannel channel, String what) {
        List<byte[]> frames = written(channel);
        assertEquals(events.size(), frames.size(), what);
        for (int k = 0; k < events.size(); k++) {
            assertArrayEquals(expectedFrame(events.get(k).json()), frames.get(k), what + ", frame " + k);
        }
    }

    @Test
    void moreQueuedEventsThanOneRunHoldAreDeliveredInOrder() throws Exception {
        Fanout f = fanout(3);
        List<Event> events = new ArrayList<>();
        for (int k = 0; k < EventLoopLane.MAX_RUN * 2 + 3; k++) {
            Event e = event("e" + k);
            events.add(e);
            f.lane().enqueue(e, f.subscribers());
        }
        f.loop().runPendingTasks();
        for (int i = 0; i < f.subscribers().length; i++) {
            assertFrames(events, f.channels().get(i), "session " + i);
            assertEquals(1, f.counters().get(i).flushes, "three runs in one drain task, one flush");
        }
    }

    @Test
    void writesTwoQueuedEventsForOneSessionAndFlushesOnce() throws Exception {
        EmbeddedChannel channel = newChannel();
        EventLoopLane lane = new EventLoopLane(channel.eventLoop(), 1024, gateway);
        FlushCounter counter = new FlushCounter();
        Subscription subscription = subscribedSession(channel, lane, counter, "alice");
        Event first = event("first");
        Event second = event("second");

        lane.enqueue(first, new Subscription[] {subscription});
        lane.enqueue(second, new Subscription[] {subscription});
        assertEquals(0, counter.flushes, "nothing is written before the loop runs");
        assertNull(channel.readOutbound());
        channel.runPendingTasks();

        assertEquals(1, counter.flushes, "one flush for both events");
        List<byte[]> frames = written(channel);
        assertEquals(2, frames.size());
        assertArrayEquals(expectedFrame(first.json()), frames.get(0), "first frame: 0x81, length, payload");
        assertArrayEquals(expectedFrame(second.json()), frames.get(1), "second frame: 0x81, length, payload");
    }

    @Test
    void flushesEachSessionOnceWhenOneEventGoesToTwoSessions() throws Exception {
        EmbeddedChannel loopOwner = newChannel();
        EventLoopLane lane = new EventLoopLane(loopOwner.eventLoop(), 1024, gateway);
        EmbeddedChannel a = newChannel();
        EmbeddedChannel b = newChannel();
        FlushCounter countA = new FlushCounter();
        FlushCounter countB = new FlushCounter();
        Subscription subA = subscribedSession(a, lane, countA, "ann");
        Subscription subB = subscribedSession(b, lane, countB, "ben");
        Event first = event("one");
        Event second = event("two");

        lane.enqueue(first, new Subscription[] {subA, subB});
        lane.enqueue(second, new Subscription[] {subA, subB});
        loopOwner.runPendingTasks();

        assertEquals(1, countA.flushes);
        assertEquals(1, countB.flushes);
        List<byte[]> toA = written(a);
        List<byte[]> toB = written(b);
        assertEquals(2, toA.size());
        assertArrayEquals(expectedFrame(first.json()), toA.get(0));
        assertArrayEquals(expectedFrame(second.json()), toA.get(1));
        assertEquals(2, toB.size());
        assertArrayEquals(toA.get(0), toB.get(0), "every recipient gets the same bytes");
        assertArrayEquals(toA.get(1), toB.get(1));
    }

    @Test
    void webSocketAndSseRecipientsOfOneEventGetTheirOwnFormEncodedOncePerForm() throws Exception {
        EmbeddedChannel loopOwner = newChannel();
        EventLoopLane lane = new EventLoopLane(loopOwner.eventLoop(), 1024, gateway);
        EmbeddedChannel ws = newChannel();
        EmbeddedChannel sseA = newChannel();
        EmbeddedChannel sseB = newChannel();
        Subscription[] subscribers = {subscribedStream(sseA, lane, "ann"), subscribedSession(ws, lane,
                new FlushCounter(), "ben"), subscribedStream(sseB, lane, "cid")};
        Event first = event("one");
        Event second = event("two");

        lane.enqueue(first, subscribers);
        lane.enqueue(second, subscribers);
        loopOwner.runPendingTasks();

        List<ByteBuf> toA = outbound(sseA);
        List<ByteBuf> toB = outbound(sseB);
        List<byte[]> toWs = written(ws);
        assertEquals(List.of(expectedFrame(first.json()), expectedFrame(second.json())).stream()
                .map(Arrays::toString).toList(), toWs.stream().map(Arrays::toString).toList());
        for (int i = 0; i < 2; i++) {
            Event e = i == 0 ? first : second;
            String expected = "data: " + new String(e.json(), java.nio.charset.StandardCharsets.UTF_8) + "\n\n";
            assertEquals(expected, toA.get(i).toString(java.nio.charset.StandardCharsets.UTF_8));
            assertEquals(expected, toB.get(i).toString(java.nio.charset.StandardCharsets.UTF_8));
            assertSame(root(toA.get(i)), root(toB.get(i)), "both streams share one encoded frame");
        }
        toA.forEach(ByteBuf::release);
        toB.forEach(ByteBuf::release);
    }

    /** The buffer under any duplicates (how many wrappers a duplicate has depends on the allocator). */
    private static ByteBuf root(ByteBuf buf) {
        while (buf.unwrap() != null) {
            buf = buf.unwrap();
        }
        return buf;
    }

    private static List<ByteBuf> outbound(EmbeddedChannel channel) {
        List<ByteBuf> out = new ArrayList<>();
        for (Object msg; (msg = channel.readOutbound()) != null; ) {
            out.add(assertInstanceOf(ByteBuf.class, msg));
        }
        assertEquals(2, out.size());
        return out;
    }

    @Test
    void skipsSessionThatUnsubscribedAfterTheEventWasQueued() throws Exception {
        EmbeddedChannel channel = newChannel();
        EventLoopLane lane = new EventLoopLane(channel.eventLoop(), 1024, gateway);
        FlushCounter counter = new FlushCounter();
        Subscription subscription = subscribedSession(channel, lane, counter, "carl");

        lane.enqueue(event("late"), new Subscription[] {subscription});
        subscription.connection().removeSubscription(CHANNEL);
        channel.runPendingTasks();

        assertEquals(List.of(), written(channel).stream().map(Arrays::toString).toList());
        assertEquals(0, counter.flushes, "no flush for a session that got nothing");
    }

    // ---------------------------------------------------------------- frame encoding

    @ParameterizedTest(name = "payload of {0} bytes")
    @ValueSource(ints = {0, 1, 125})
    void encodesShortLengthInTheSecondByte(int length) {
        byte[] payload = payload(length);

        byte[] frame = encode(payload);

        assertEquals(2 + length, frame.length);
        assertEquals((byte) 0x81, frame[0], "FIN + text opcode");
        assertEquals(length, frame[1] & 0xFF, "unmasked 7-bit length");
        assertArrayEquals(payload, Arrays.copyOfRange(frame, 2, frame.length));
        assertDecodesTo(payload, frame);
    }

    @ParameterizedTest(name = "payload of {0} bytes")
    @ValueSource(ints = {126, 127, 1000, 65_535})
    void encodesMediumLengthAs16BitExtendedLength(int length) {
        byte[] payload = payload(length);

        byte[] frame = encode(payload);

        assertEquals(4 + length, frame.length);
        assertEquals((byte) 0x81, frame[0]);
        assertEquals(126, frame[1] & 0xFF);
        assertEquals(length, ((frame[2] & 0xFF) << 8) | (frame[3] & 0xFF));
        assertArrayEquals(payload, Arrays.copyOfRange(frame, 4, frame.length));
        assertDecodesTo(payload, frame);
    }

    @ParameterizedTest(name = "payload of {0} bytes")
    @ValueSource(ints = {65_536, 70_000, 1 << 20})
    void encodesLongLengthAs64BitExtendedLength(int length) {
        byte[] payload = payload(length);

        byte[] frame = encode(payload);

        assertEquals(10 + length, frame.length);
        assertEquals((byte) 0x81, frame[0]);
        assertEquals(127, frame[1] & 0xFF);
        long encoded = 0;
        for (int i = 2; i < 10; i++) {
            encoded = (encoded << 8) | (frame[i] & 0xFF);
        }
        assertEquals(length, encoded);
        assertArrayEquals(payload, Arrays.copyOfRange(frame, 10, frame.length));
        assertDecodesTo(payload, frame);
    }

    private static byte[] payload(int length) {
        byte[] payload = new byte[length];
        for (int i = 0; i < length; i++) {
            payload[i] = (byte) ('a' + i % 26);
        }
        return payload;
    }

    private static byte[] encode(byte[] payload) {
        ByteBuf buf = WebSocketFrames.text(ByteBufAllocator.DEFAULT, payload);
        try {
            assertEquals(1, buf.refCnt());
            return ByteBufUtil.getBytes(buf);
        } finally {
            buf.release();
        }
    }

    /** A client-side (unmasked) RFC 6455 decoder reads exactly one text frame with the payload. */
    private static void assertDecodesTo(byte[] payload, byte[] frame) {
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .expectMaskedFrames(false).maxFramePayloadLength(2 << 20).build()));
        try {
            client.writeInbound(io.netty.buffer.Unpooled.wrappedBuffer(frame));
            TextWebSocketFrame text = assertInstanceOf(TextWebSocketFrame.class, client.readInbound());
            try {
                assertArrayEquals(payload, ByteBufUtil.getBytes(text.content()));
                assertEquals(true, text.isFinalFragment());
            } finally {
                text.release();
            }
            assertNull(client.readInbound(), "exactly one frame");
        } finally {
            client.finishAndReleaseAll();
        }
    }
}
