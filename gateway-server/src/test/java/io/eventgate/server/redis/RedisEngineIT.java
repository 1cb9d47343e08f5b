package io.eventgate.server.redis;

import static io.eventgate.server.redis.RedisTestSupport.SHARED_URL;
import static io.eventgate.server.redis.RedisTestSupport.WAIT;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.core.channel.Access;
import io.eventgate.core.channel.NamespaceSettings;
import io.eventgate.core.channel.Namespaces;
import io.eventgate.core.engine.Engine;
import io.eventgate.core.engine.EngineUnavailableException;
import io.eventgate.core.engine.Event;
import io.eventgate.core.engine.HistoryPage;
import io.eventgate.core.engine.MemoryEngine;
import io.eventgate.core.engine.PublishOptions;
import io.eventgate.protocol.Json;
import io.eventgate.protocol.StreamPosition;
import io.eventgate.server.testing.PrivateRedis;
import io.eventgate.server.redis.RedisTestSupport.Recorder;
import io.eventgate.server.redis.RedisTestSupport.SharedRedis;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link RedisEngine} against a real Redis: several engine instances act as several nodes. */
class RedisEngineIT {
    private static final Duration TTL = Duration.ofMinutes(10);

    @RegisterExtension
    static final SharedRedis shared = new SharedRedis();

    /** {@code public} (history 1000), {@code small} (history 5), {@code nohist} (no history). */
    private static Namespaces namespaces() {
        return new Namespaces(Map.of(
                "public", new NamespaceSettings("public", Access.PUBLIC, 1000, TTL, false),
                "small", new NamespaceSettings("small", Access.PUBLIC, 5, TTL, false),
                "nohist", new NamespaceSettings("nohist", Access.PUBLIC, 0, TTL, false),
                "user", new NamespaceSettings("user", Access.OWNER, 1000, TTL, true)),
                new NamespaceSettings("default", Access.PRIVATE, 1000, TTL, false));
    }

    private RedisEngine engine(String url, String prefix, String node, Recorder recorder, LongSupplier clock) {
        return shared.start(new RedisEngine(url, prefix, node, namespaces(), clock, Duration.ofSeconds(2)), recorder);
    }

    private RedisEngine engine(String prefix, String node, Recorder recorder) {
        return engine(SHARED_URL, prefix, node, recorder, System::currentTimeMillis);
    }

    private static ObjectNode event(String type) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("type", type);
        return node;
    }

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Subscribes and waits until the subscription is active (position waits for it). */
    private static StreamPosition subscribe(Engine engine, String channel) {
        engine.interest(channel, true);
        return engine.position(channel).join();
    }

    @Test
    void twoNodesPublishingConcurrentlyGetEverySeqExactlyOnceAndAThirdReceivesThemInOrder() throws Exception {
        String prefix = shared.prefix();
        String channel = "public:race";
        Recorder listener = new Recorder();
        RedisEngine a = engine(prefix, "a", new Recorder());
        RedisEngine b = engine(prefix, "b", new Recorder());
        RedisEngine c = engine(prefix, "c", listener);
        subscribe(c, channel);

        int perNode = 1000;
        List<CompletableFuture<Event>> futures = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (RedisEngine publisher : List.of(a, b)) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < perNode; i++) {
                    ObjectNode e = event("tick");
                    e.put("n", i);
                    futures.add(publisher.publish(channel, e, PublishOptions.DEFAULT));
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        TreeSet<Long> seqs = new TreeSet<>();
        for (CompletableFuture<Event> f : futures) {
            assertTrue(seqs.add(f.get().seq()), "seq handed out twice: " + f.get().seq());
        }
        assertEquals(2 * perNode, seqs.size());
        assertEquals(1L, seqs.first());
        assertEquals(2L * perNode, seqs.last());

        await().atMost(WAIT).until(() -> listener.of(channel).size() >= 2 * perNode);
        List<Event> received = listener.of(channel);
        assertEquals(2 * perNode, received.size());
        for (int i = 0; i < received.size(); i++) {
            assertEquals(i + 1, received.get(i).seq(), "delivery order");
        }
        assertEquals(List.of(), listener.gaps);
        assertEquals(2L * perNode, a.publishedCount() + b.publishedCount());
        assertEquals(new StreamPosition(2L * perNode, received.get(0).epoch()), a.position(channel).join());
    }

    @Test
    void historyPositionAndCompleteMirrorTheMemoryEngine() {
        String prefix = shared.prefix();
        AtomicLong clock = new AtomicLong(1_700_000_000_000L);
        RedisEngine redis = engine(SHARED_URL, prefix, "n", new Recorder(), clock::get);
        MemoryEngine memory = new MemoryEngine(namespaces(), clock::get);
        memory.start(e -> { });

        // small: history of 5, trimmed by size
        for (int i = 1; i <= 8; i++) {
            ObjectNode e = event("e");
            e.put("i", i);
            redis.publish("small:x", e.deepCopy(), PublishOptions.DEFAULT).join();
            memory.publish("small:x", e, PublishOptions.DEFAULT).join();
        }
        assertEquals(8, redis.position("small:x").join().seq());
        long[][] reads = {{0, 100}, {2, 100}, {3, 100}, {3, 2}, {5, 2}, {7, 10}, {8, 10}, {9, 10}, {Long.MAX_VALUE, 0},
                {0, 0}, {3, 0}};
        for (long[] r : reads) {
            assertSamePage("small:x after " + r[0] + " limit " + r[1], memory.history("small:x", r[0], (int) r[1]).join(),
                    redis.history("small:x", r[0], (int) r[1]).join());
        }
        HistoryPage trimmed = redis.history("small:x", 0, 100).join();
        assertFalse(trimmed.complete(), "an old position after trimming is not complete");
        assertEquals(List.of(4L, 5L, 6L, 7L, 8L), trimmed.events().stream().map(Event::seq).toList());
        assertTrue(redis.history("small:x", 3, 100).join().complete());

        // public: expiry by time (TTL 10 min)
        for (int i = 1; i <= 3; i++) {
            redis.publish("public:ttl", event("old"), PublishOptions.DEFAULT).join();
            memory.publish("public:ttl", event("old"), PublishOptions.DEFAULT).join();
        }
        clock.addAndGet(TTL.toMillis() + 1);
        for (int i = 4; i <= 5; i++) {
            redis.publish("public:ttl", event("new"), PublishOptions.DEFAULT).join();
            memory.publish("public:ttl", event("new"), PublishOptions.DEFAULT).join();
        }
        for (long after : new long[] {0, 2, 3, 4, 5, 6}) {
            assertSamePage("public:ttl after " + after, memory.history("public:ttl", after, 100).join(),
                    redis.history("public:ttl", after, 100).join());
        }
        clock.addAndGet(TTL.toMillis() + 1);
        for (long after : new long[] {0, 4, 5}) {
            assertSamePage("public:ttl all expired, after " + after, memory.history("public:ttl", after, 100).join(),
                    redis.history("public:ttl", after, 100).join());
        }

        // nohist: no history at all
        redis.publish("nohist:x", event("e"), PublishOptions.DEFAULT).join();
        memory.publish("nohist:x", event("e"), PublishOptions.DEFAULT).join();
        for (long after : new long[] {0, 1, 2}) {
            assertSamePage("nohist after " + after, memory.history("nohist:x", after, 100).join(),
                    redis.history("nohist:x", after, 100).join());
        }

        // unknown channel: empty page at seq 0 in a new epoch that later publishes keep
        HistoryPage unknown = redis.history("public:never", 0, 100).join();
        assertAll(() -> assertEquals(0, unknown.currentSeq()), () -> assertTrue(unknown.events().isEmpty()),
                () -> assertTrue(unknown.complete()));
        assertEquals(new StreamPosition(0, unknown.epoch()), redis.position("public:never").join());
        Event first = redis.publish("public:never", event("e"), PublishOptions.DEFAULT).join();
        assertEquals(1, first.seq());
        assertEquals(unknown.epoch(), first.epoch());
        assertNotEquals(unknown.epoch(), redis.position("public:other-never").join().epoch());
    }

    private static void assertSamePage(String what, HistoryPage expected, HistoryPage actual) {
        assertAll(what,
                () -> assertEquals(expected.currentSeq(), actual.currentSeq(), "currentSeq"),
                () -> assertEquals(expected.complete(), actual.complete(), "complete"),
                () -> assertEquals(expected.events().stream().map(Event::seq).toList(),
                        actual.events().stream().map(Event::seq).toList(), "event seqs"));
    }

    @Test
    void deletingTheMetaHashStartsANewEpoch() {
        String prefix = shared.prefix();
        RedisEngine engine = engine(prefix, "n", new Recorder());
        String channel = "public:lost";
        Event before = engine.publish(channel, event("e"), PublishOptions.DEFAULT).join();
        engine.publish(channel, event("e"), PublishOptions.DEFAULT).join();
        shared.sync().del(engine.metaKey(channel));

        Event after = engine.publish(channel, event("e"), PublishOptions.DEFAULT).join();
        assertEquals(1, after.seq());
        assertNotEquals(before.epoch(), after.epoch());
        HistoryPage page = engine.history(channel, 0, 100).join();
        assertEquals(after.epoch(), page.epoch());
        assertEquals(List.of(1L), page.events().stream().map(Event::seq).toList(), "old epoch's history is gone");
        assertTrue(page.complete());
    }

    @Test
    void everyCopyOfTheEventHasTheBytesLuaBuilt() {
        String prefix = shared.prefix();
        Recorder listener = new Recorder();
        RedisEngine publisher = engine(prefix, "p", new Recorder());
        RedisEngine receiver = engine(prefix, "r", listener);
        String channel = "user:42";
        subscribe(receiver, channel);

        Event published = publisher.publish(channel,
                json("{\"type\":\"trade\",\"price\":50000.00,\"qty\":1.50,\"note\":\"h\\u00e9\\\"llo\",\"n\":null}"),
                new PublishOptions(null, true)).join();
        String text = new String(published.json(), StandardCharsets.UTF_8);
        assertTrue(text.contains("\"price\":50000.00"), text);
        assertTrue(text.contains("\"qty\":1.50"), text);
        assertTrue(text.endsWith(",\"channel\":\"user:42\",\"seq\":1}"), text);
        assertEquals(1, published.body().get("seq").asLong());

        await().atMost(WAIT).until(() -> listener.of(channel).size() == 1);
        Event received = listener.of(channel).get(0);
        Event stored = publisher.history(channel, 0, 10).join().events().get(0);
        assertArrayEquals(published.json(), received.json(), "pub/sub copy");
        assertArrayEquals(published.json(), stored.json(), "history copy");
        for (Event e : List.of(received, stored)) {
            assertAll(() -> assertEquals(published.eventId(), e.eventId()),
                    () -> assertEquals("trade", e.type()),
                    () -> assertEquals(published.epoch(), e.epoch()),
                    () -> assertEquals(1, e.seq()),
                    () -> assertTrue(e.ackRequired(), "user namespace requires ACKs"),
                    () -> assertTrue(e.critical()),
                    () -> assertEquals(published.publishedAtMillis(), e.publishedAtMillis()),
                    () -> assertEquals(published.body().toString(), e.body().toString()),
                    () -> assertEquals("50000.00", e.body().get("price").decimalValue().toPlainString()));
        }
    }

    @Test
    void anEventIdIsPublishedOncePerChannel() {
        String prefix = shared.prefix();
        Recorder listener = new Recorder();
        RedisEngine a = engine(prefix, "a", new Recorder());
        RedisEngine b = engine(prefix, "b", listener);
        String channel = "public:orders";
        subscribe(b, channel);

        Event first = a.publish(channel, json("{\"type\":\"order\",\"eventId\":\"order-1\",\"v\":1}"),
                PublishOptions.DEFAULT).join();
        a.publish(channel, event("other"), PublishOptions.DEFAULT).join();
        Event again = b.publish(channel, json("{\"type\":\"order\",\"eventId\":\"order-1\",\"v\":2}"),
                PublishOptions.DEFAULT).join();
        Event elsewhere = b.publish("public:other", json("{\"type\":\"order\",\"eventId\":\"order-1\"}"),
                PublishOptions.DEFAULT).join();

        assertAll(() -> assertEquals(1, first.seq()),
                () -> assertEquals(1, again.seq(), "the duplicate answers with the original seq"),
                () -> assertEquals(first.epoch(), again.epoch()),
                () -> assertArrayEquals(first.json(), again.json(), "and the original event"),
                () -> assertEquals(1, elsewhere.seq(), "ids are per channel"),
                () -> assertEquals(1, b.duplicateCount()),
                () -> assertEquals(2, a.position(channel).join().seq()));
        await().atMost(WAIT).until(() -> listener.of(channel).size() >= 2);
        Event last = a.publish(channel, event("last"), PublishOptions.DEFAULT).join();
        assertEquals(3, last.seq());
        await().atMost(WAIT).until(() -> listener.of(channel).size() >= 3);
        assertEquals(List.of(1L, 2L, 3L), listener.of(channel).stream().map(Event::seq).toList());
    }

    @Test
    void theDedupeKeyLivesForTheConfiguredWindow() {
        String prefix = shared.prefix();
        RedisEngine engine = shared.start(new RedisEngine(SHARED_URL, prefix, "a", namespaces(),
                System::currentTimeMillis, Duration.ofSeconds(2), Duration.ofSeconds(90)), new Recorder());
        String channel = "public:window";
        engine.publish(channel, json("{\"type\":\"order\",\"eventId\":\"w-1\"}"), PublishOptions.DEFAULT).join();
        long ttl = shared.sync().pttl(engine.dedupeKey(channel, "w-1"));
        assertTrue(ttl > 80_000 && ttl <= 90_000, "PTTL " + ttl + " ms, configured 90 s");
        RedisEngine defaults = engine(prefix, "b", new Recorder());
        defaults.publish(channel, json("{\"type\":\"order\",\"eventId\":\"w-2\"}"), PublishOptions.DEFAULT).join();
        long defaultTtl = shared.sync().pttl(defaults.dedupeKey(channel, "w-2"));
        assertTrue(defaultTtl > RedisEngine.DEFAULT_DEDUPE_TTL.toMillis() - 10_000
                && defaultTtl <= RedisEngine.DEFAULT_DEDUPE_TTL.toMillis(), "PTTL " + defaultTtl + " ms, default 24 h");
    }

    @Test
    void onlyChannelsWithLocalInterestAreSubscribed() {
        String prefix = shared.prefix();
        Recorder listener = new Recorder();
        RedisEngine engine = engine(prefix, "n", listener);
        engine.interest("public:a", true);
        engine.interest("public:b", true);
        engine.interest("public:c", true);
        engine.interest("public:b", false);
        engine.interest("public:c", false);
        engine.interest("public:c", true);
        engine.interest("public:c", false);
        Set<String> expected = Set.of(engine.pubsubChannel("public:a"));
        await().atMost(WAIT).until(() -> Set.copyOf(shared.sync().pubsubChannels(prefix + ":ch:*")).equals(expected));

        engine.publish("public:b", event("not-for-me"), PublishOptions.DEFAULT).join();
        engine.publish("public:a", event("for-me"), PublishOptions.DEFAULT).join();
        await().atMost(WAIT).until(() -> listener.events.size() == 1);
        assertEquals("public:a", listener.events.get(0).channel());

        engine.interest("public:a", false);
        await().atMost(WAIT).until(() -> shared.sync().pubsubChannels(prefix + ":ch:*").isEmpty());
    }

    @Test
    void failsFastWhileRedisIsDownAndDetectsTheGapAfterItComesBack() throws Exception {
        try (PrivateRedis redis = new PrivateRedis()) {
            redis.start();
            String prefix = shared.prefix();
            Recorder listener = new Recorder();
            RedisEngine engine = engine(redis.url(), prefix, "n", listener, System::currentTimeMillis);
            String channel = "public:outage";
            String idle = "public:idle";
            subscribe(engine, channel);
            subscribe(engine, idle);
            Event before = engine.publish(channel, event("before"), PublishOptions.DEFAULT).join();
            await().atMost(WAIT).until(() -> listener.of(channel).size() == 1);
            assertEquals("redis: ok", engine.describe());

            redis.stop();
            await().atMost(WAIT).until(() -> !engine.healthy());
            assertTrue(engine.describe().startsWith("redis: ") && !engine.describe().equals("redis: ok"),
                    engine.describe());
            CompletableFuture<Event> refused = engine.publish(channel, event("during"), PublishOptions.DEFAULT);
            ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    refused::get);
            assertInstanceOf(EngineUnavailableException.class, failure.getCause());
            CompletionException historyFailure = org.junit.jupiter.api.Assertions.assertThrows(
                    CompletionException.class, () -> engine.history(channel, 0, 10).join());
            assertInstanceOf(EngineUnavailableException.class, historyFailure.getCause());

            redis.start();
            await().atMost(WAIT).until(engine::healthy);
            await().atMost(WAIT).until(() -> listener.gaps.containsAll(List.of(channel, idle)));

            Event after = engine.publish(channel, event("after"), PublishOptions.DEFAULT).join();
            assertEquals(1, after.seq(), "the restarted Redis is empty");
            assertNotEquals(before.epoch(), after.epoch());
            await().atMost(WAIT).until(() -> listener.of(channel).size() == 2);
            assertEquals(after.epoch(), listener.of(channel).get(1).epoch());
        }
    }
}
