package io.eventgate.core.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.core.auth.VerifiedToken;
import io.eventgate.core.engine.Engine;
import io.eventgate.core.engine.EngineListener;
import io.eventgate.core.engine.Event;
import io.eventgate.core.engine.HistoryPage;
import io.eventgate.core.engine.PublishOptions;
import io.eventgate.core.filter.EventFilter;
import io.eventgate.core.limit.TokenBucket;
import io.eventgate.core.testing.InlineLane;
import io.eventgate.core.testing.RecordingTransport;
import io.eventgate.protocol.CloseCode;
import io.eventgate.protocol.Json;
import io.eventgate.protocol.StreamPosition;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HubTest {

    /** A lane that records what it is given and accepts or refuses as configured. */
    static final class RecordingLane extends InlineLane {
        record Enqueued(Event event, Subscription[] subscribers) {}

        final String name;
        final List<Enqueued> enqueued = Collections.synchronizedList(new ArrayList<>());
        volatile boolean accept = true;

        RecordingLane(String name) {
            this.name = name;
        }

        @Override
        public boolean enqueue(Event event, Subscription[] subscribers) {
            enqueued.add(new Enqueued(event, subscribers));
            return accept;
        }

        @Override
        public String toString() {
            return "Lane[" + name + "]";
        }
    }

    /** An engine that only records interest changes. */
    static final class RecordingEngine implements Engine {
        record Interest(String channel, boolean interested) {}

        final List<Interest> interest = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void start(EngineListener listener) {}

        @Override
        public CompletableFuture<Event> publish(String channel, ObjectNode event, PublishOptions options) {
            return CompletableFuture.failedFuture(new AssertionError("the hub never publishes"));
        }

        @Override
        public CompletableFuture<HistoryPage> history(String channel, long afterSeq, int limit) {
            return CompletableFuture.failedFuture(new AssertionError("the hub never reads history"));
        }

        @Override
        public CompletableFuture<StreamPosition> position(String channel) {
            return CompletableFuture.failedFuture(new AssertionError("the hub never reads positions"));
        }

        @Override
        public void interest(String channel, boolean interested) {
            interest.add(new Interest(channel, interested));
        }

        @Override
        public boolean healthy() {
            return true;
        }

        @Override
        public String describe() {
            return "recording";
        }

        @Override
        public void close() {}
    }

    private final RecordingEngine engine = new RecordingEngine();
    private final Hub hub = new Hub(engine);
    private final RecordingLane lane1 = new RecordingLane("1");
    private final RecordingLane lane2 = new RecordingLane("2");
    private int nextId;

    private Connection connection(String userId, Lane lane) {
        return new Connection("C-" + (++nextId), userId, "S-" + nextId, new VerifiedToken(userId, List.of(), null),
                new RecordingTransport(lane), new TokenBucket(100, 20, 0), 0, 30_000);
    }

    private static Subscription sub(Connection c, String channel) {
        return new Subscription(c, channel, TypeSelection.ALL, EventFilter.NONE);
    }

    private static Event event(String channel, long seq) {
        ObjectNode body = Json.MAPPER.createObjectNode().put("type", "t").put("channel", channel).put("seq", seq);
        return new Event(channel, seq, "ep", "EV-" + seq, "t", body, new byte[0], false, false, 0);
    }

    private static RecordingTransport transport(Connection c) {
        return (RecordingTransport) c.transport();
    }

    private static Set<Subscription> set(Subscription... subs) {
        return Set.of(subs);
    }

    @Test
    void dispatchHandsEachLaneOneBatchWithOnlyItsSubscribers() {
        Connection a = connection("alice", lane1);
        Connection b = connection("bob", lane1);
        Connection c = connection("carol", lane2);
        Subscription sa = sub(a, "market:x");
        Subscription sb = sub(b, "market:x");
        Subscription sc = sub(c, "market:x");
        hub.put(sa);
        hub.put(sb);
        hub.put(sc);

        Event e = event("market:x", 1);
        hub.dispatch(e);

        assertEquals(1, lane1.enqueued.size());
        assertEquals(1, lane2.enqueued.size());
        assertSame(e, lane1.enqueued.get(0).event());
        assertSame(e, lane2.enqueued.get(0).event());
        assertEquals(set(sa, sb), Set.of(lane1.enqueued.get(0).subscribers()));
        assertEquals(2, lane1.enqueued.get(0).subscribers().length);
        assertArrayEquals(new Subscription[] {sc}, lane2.enqueued.get(0).subscribers());
        assertEquals(0, hub.laneDrops());
    }

    @Test
    void dispatchToAChannelWithoutSubscribersDoesNothing() {
        hub.put(sub(connection("alice", lane1), "market:x"));
        hub.dispatch(event("market:other", 1));
        assertTrue(lane1.enqueued.isEmpty());
        assertTrue(lane2.enqueued.isEmpty());
    }

    @Test
    void dispatchReachesOnlySubscribersOfTheEventsChannel() {
        Connection a = connection("alice", lane1);
        Connection b = connection("bob", lane1);
        Subscription sa = sub(a, "market:x");
        hub.put(sa);
        hub.put(sub(b, "market:y"));
        hub.dispatch(event("market:x", 1));
        assertEquals(1, lane1.enqueued.size());
        assertArrayEquals(new Subscription[] {sa}, lane1.enqueued.get(0).subscribers());
    }

    @Test
    void replacingAConnectionsSubscriptionDoesNotDuplicateIt() {
        Connection a = connection("alice", lane1);
        Subscription first = sub(a, "market:x");
        Subscription second = first.with(TypeSelection.of(List.of("trade")), EventFilter.NONE);
        hub.put(first);
        hub.put(second);

        assertEquals(1, hub.subscriberCount("market:x"));
        assertEquals(1, hub.subscriptionCount());
        hub.dispatch(event("market:x", 1));
        assertEquals(1, lane1.enqueued.size());
        assertArrayEquals(new Subscription[] {second}, lane1.enqueued.get(0).subscribers(),
                "the replacement, not the original, is dispatched to");
        assertEquals(List.of(new RecordingEngine.Interest("market:x", true)), engine.interest);
    }

    @Test
    void replacingOneOfSeveralSubscriptionsKeepsTheOthers() {
        Connection a = connection("alice", lane1);
        Connection b = connection("bob", lane1);
        Subscription sa = sub(a, "market:x");
        Subscription sb = sub(b, "market:x");
        hub.put(sa);
        hub.put(sb);
        Subscription sa2 = sa.with(TypeSelection.of(List.of("t")), EventFilter.NONE);
        hub.put(sa2);
        assertEquals(2, hub.subscriptionCount());
        hub.dispatch(event("market:x", 1));
        assertEquals(set(sa2, sb), Set.of(lane1.enqueued.get(0).subscribers()));
    }

    @Test
    void firstSubscriberRegistersInterestAndLastRemovalWithdrawsIt() {
        Connection a = connection("alice", lane1);
        Connection b = connection("bob", lane2);
        Subscription sa = sub(a, "market:x");
        Subscription sb = sub(b, "market:x");

        hub.put(sa);
        hub.put(sb);
        assertEquals(List.of(new RecordingEngine.Interest("market:x", true)), engine.interest,
                "only the first subscriber registers interest");

        hub.remove(sa);
        assertEquals(1, engine.interest.size(), "a remaining subscriber keeps the interest");
        assertEquals(1, hub.channelCount());

        hub.remove(sb);
        assertEquals(List.of(new RecordingEngine.Interest("market:x", true),
                new RecordingEngine.Interest("market:x", false)), engine.interest);
        assertEquals(0, hub.channelCount());
        assertEquals(0, hub.subscriberCount("market:x"));

        hub.dispatch(event("market:x", 1));
        assertTrue(lane1.enqueued.isEmpty());
        assertTrue(lane2.enqueued.isEmpty());
    }

    @Test
    void removingTheLastSubscriberOfALaneDropsThatLaneFromDispatch() {
        Connection a = connection("alice", lane1);
        Connection b = connection("bob", lane2);
        Subscription sa = sub(a, "market:x");
        hub.put(sa);
        hub.put(sub(b, "market:x"));
        hub.remove(sub(b, "market:x"));
        hub.dispatch(event("market:x", 1));
        assertTrue(lane2.enqueued.isEmpty(), "no empty batch for a lane without subscribers");
        assertArrayEquals(new Subscription[] {sa}, lane1.enqueued.get(0).subscribers());
    }

    @Test
    void removingASubscriptionOfANonSubscriberChangesNothing() {
        Connection a = connection("alice", lane1);
        Connection stranger = connection("eve", lane1);
        hub.put(sub(a, "market:x"));
        hub.remove(sub(stranger, "market:x"));
        hub.remove(sub(stranger, "market:unknown"));
        assertEquals(1, hub.subscriptionCount());
        assertEquals(1, hub.channelCount());
        assertEquals(1, hub.subscriberCount("market:x"));
        assertEquals(1, engine.interest.size());
    }

    @Test
    void removingTwiceCountsOnce() {
        Connection a = connection("alice", lane1);
        Connection b = connection("bob", lane1);
        Subscription sa = sub(a, "market:x");
        hub.put(sa);
        hub.put(sub(b, "market:x"));
        hub.remove(sa);
        hub.remove(sa);
        assertEquals(1, hub.subscriptionCount());
        assertEquals(1, hub.subscriberCount("market:x"));
    }

    @Test
    void connectionAndUserCountsFollowRegisterAndUnregister() {
        Connection a1 = connection("alice", lane1);
        Connection a2 = connection("alice", lane2);
        Connection b = connection("bob", lane1);
        hub.register(a1);
        hub.register(a2);
        hub.register(b);
        assertEquals(3, hub.connectionCount());
        assertEquals(2, hub.userCount());
        assertEquals(Set.of(a1, a2), Set.copyOf(hub.connectionsOf("alice")));
        assertTrue(hub.hasConnections("alice"));

        hub.unregister(a1);
        assertEquals(2, hub.connectionCount());
        assertEquals(2, hub.userCount());
        assertEquals(List.of(a2), hub.connectionsOf("alice"));

        hub.unregister(a1);
        assertEquals(2, hub.connectionCount(), "unregistering twice counts once");

        hub.unregister(a2);
        assertEquals(1, hub.connectionCount());
        assertEquals(1, hub.userCount());
        assertFalse(hub.hasConnections("alice"));
        assertEquals(List.of(), hub.connectionsOf("alice"));

        hub.unregister(b);
        assertEquals(0, hub.connectionCount());
        assertEquals(0, hub.userCount());
    }

    @Test
    void unregisteringAnUnknownConnectionChangesNothing() {
        hub.register(connection("alice", lane1));
        hub.unregister(connection("alice", lane1));
        hub.unregister(connection("nobody", lane1));
        assertEquals(1, hub.connectionCount());
        assertEquals(1, hub.userCount());
    }

    @Test
    void channelAndSubscriptionCountsFollowPutAndRemove() {
        Connection a = connection("alice", lane1);
        Connection b = connection("bob", lane2);
        Subscription ax = sub(a, "market:x");
        Subscription bx = sub(b, "market:x");
        Subscription ay = sub(a, "market:y");
        hub.put(ax);
        hub.put(bx);
        hub.put(ay);
        assertEquals(2, hub.channelCount());
        assertEquals(3, hub.subscriptionCount());
        assertEquals(2, hub.subscriberCount("market:x"));
        assertEquals(1, hub.subscriberCount("market:y"));

        hub.remove(ax);
        assertEquals(2, hub.channelCount());
        assertEquals(2, hub.subscriptionCount());

        hub.remove(ay);
        assertEquals(1, hub.channelCount());
        assertEquals(1, hub.subscriptionCount());

        hub.remove(bx);
        assertEquals(0, hub.channelCount());
        assertEquals(0, hub.subscriptionCount());
        assertEquals(List.of(new RecordingEngine.Interest("market:x", true),
                new RecordingEngine.Interest("market:y", true),
                new RecordingEngine.Interest("market:y", false),
                new RecordingEngine.Interest("market:x", false)), engine.interest);
    }

    @Test
    void aLaneThatRefusesMakesTheHubCloseItsSubscribersForResume() {
        Connection a = connection("alice", lane1);
        Connection b = connection("bob", lane2);
        Connection c = connection("carol", lane2);
        hub.put(sub(a, "market:x"));
        hub.put(sub(b, "market:x"));
        hub.put(sub(c, "market:x"));
        lane2.accept = false;

        hub.dispatch(event("market:x", 1));

        assertEquals(1, hub.laneDrops());
        assertTrue(transport(a).closes.isEmpty(), "subscribers of an accepting lane stay open");
        assertEquals(1, transport(b).closes.size());
        assertEquals(CloseCode.INSUFFICIENT_STATE, transport(b).closes.get(0).code());
        assertEquals(1, transport(c).closes.size());
        assertEquals(CloseCode.INSUFFICIENT_STATE, transport(c).closes.get(0).code());
        assertEquals(1, lane1.enqueued.size(), "the accepting lane still got the event");

        hub.dispatch(event("market:x", 2));
        assertEquals(2, hub.laneDrops());
    }

    @Test
    void aBatchAlreadyHandedToALaneIsNotChangedByLaterSubscriptionChanges() {
        Connection a = connection("alice", lane1);
        Connection b = connection("bob", lane1);
        Subscription sa = sub(a, "market:x");
        hub.put(sa);
        hub.dispatch(event("market:x", 1));
        Subscription[] handed = lane1.enqueued.get(0).subscribers();

        hub.put(sub(b, "market:x"));
        hub.remove(sa);
        hub.put(sa.with(TypeSelection.of(List.of("t")), EventFilter.NONE));

        assertArrayEquals(new Subscription[] {sa}, handed);
    }

    @Test
    void concurrentPutsAndRemovesKeepCountsRight() throws Exception {
        int threads = 4;
        int perThread = 500;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Lane lane = t % 2 == 0 ? lane1 : lane2;
                futures.add(pool.submit(() -> {
                    start.await();
                    List<Subscription> mine = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        Subscription s = sub(connection("u", lane), "market:x");
                        hub.put(s);
                        mine.add(s);
                        hub.put(sub(s.connection(), "market:" + (i % 7)));
                    }
                    for (int i = 0; i < mine.size(); i++) {
                        Subscription s = mine.get(i);
                        hub.remove(s);
                        hub.remove(sub(s.connection(), "market:" + (i % 7)));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, hub.subscriptionCount());
        assertEquals(0, hub.channelCount());
        long up = engine.interest.stream().filter(RecordingEngine.Interest::interested).count();
        long down = engine.interest.size() - up;
        assertEquals(up, down, "every interest registration is withdrawn");
    }
}
