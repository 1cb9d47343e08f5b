package io.eventgate.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.core.channel.Access;
import io.eventgate.core.channel.NamespaceSettings;
import io.eventgate.core.channel.Namespaces;
import io.eventgate.protocol.Json;
import io.eventgate.protocol.StreamPosition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class MemoryEngineTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final Duration TEN_MINUTES = Duration.ofMinutes(10);

    private final AtomicLong clock = new AtomicLong(T0);
    private final Namespaces namespaces = new Namespaces(Map.of(
            "big", new NamespaceSettings("big", Access.PUBLIC, 100, TEN_MINUTES, false),
            "small", new NamespaceSettings("small", Access.PUBLIC, 3, TEN_MINUTES, false),
            "short", new NamespaceSettings("short", Access.PUBLIC, 100, Duration.ofMinutes(1), false),
            "none", new NamespaceSettings("none", Access.PUBLIC, 0, TEN_MINUTES, false),
            "nottl", new NamespaceSettings("nottl", Access.PUBLIC, 100, Duration.ZERO, false),
            "user", new NamespaceSettings("user", Access.OWNER, 100, TEN_MINUTES, true)),
            new NamespaceSettings("default", Access.PRIVATE, 100, TEN_MINUTES, false));
    private final MemoryEngine engine = new MemoryEngine(namespaces, clock::get);

    private static ObjectNode body(String type) {
        return Json.MAPPER.createObjectNode().put("type", type);
    }

    private static <T> T done(CompletableFuture<T> future) {
        assertTrue(future.isDone(), "the memory engine completes synchronously");
        return future.join();
    }

    private Event publish(String channel) {
        return publish(channel, body("t"), PublishOptions.DEFAULT);
    }

    private Event publish(String channel, ObjectNode node, PublishOptions options) {
        return done(engine.publish(channel, node, options));
    }

    private HistoryPage history(String channel, long afterSeq, int limit) {
        return done(engine.history(channel, afterSeq, limit));
    }

    private static List<Long> seqs(HistoryPage page) {
        return page.events().stream().map(Event::seq).toList();
    }

    private static List<Long> range(long fromInclusive, long toInclusive) {
        return LongStream.rangeClosed(fromInclusive, toInclusive).boxed().toList();
    }

    // ---------------------------------------------------------------- sequencing

    @Test
    void seqStartsAtOneAndIncreasesPerChannel() {
        assertEquals(1, publish("big:a").seq());
        assertEquals(2, publish("big:a").seq());
        assertEquals(3, publish("big:a").seq());
    }

    @Test
    void channelsAreSequencedIndependently() {
        publish("big:a");
        publish("big:a");
        assertEquals(1, publish("big:b").seq());
        assertEquals(3, publish("big:a").seq());
        assertEquals(2, publish("big:b").seq());
    }

    @Test
    void publishStampsTheEventAndEncodesItOnce() throws Exception {
        Event e = publish("big:a", body("order.created").put("amount", 5), PublishOptions.DEFAULT);
        assertEquals("big:a", e.channel());
        assertEquals("order.created", e.type());
        assertEquals(T0, e.publishedAtMillis());
        ObjectNode wire = (ObjectNode) Json.MAPPER.readTree(e.json());
        assertEquals("big:a", wire.get("channel").textValue());
        assertEquals(1, wire.get("seq").longValue());
        assertEquals(e.eventId(), wire.get("eventId").textValue());
        assertEquals(Json.timestamp(T0), wire.get("timestamp").textValue());
        assertEquals(5, wire.get("amount").intValue());
        assertEquals(e.eventId(), e.body().get("eventId").textValue());
    }

    @Test
    void publishersEventIdIsKept() {
        Event e = publish("big:a", body("t").put("eventId", "pub-7"), PublishOptions.DEFAULT);
        assertEquals("pub-7", e.eventId());
        assertEquals("pub-7", e.body().get("eventId").textValue());
    }

    @Test
    void listenerSeesEveryPublishedEvent() {
        List<Event> seen = new ArrayList<>();
        engine.start(seen::add);
        Event a = publish("big:a");
        Event b = publish("small:b");
        assertEquals(List.of(a, b), seen);
    }

    @Test
    void listenerSeesEventsInSeqOrderUnderConcurrentPublishers() throws Exception {
        int threads = 8;
        int perThread = 2_000;
        ConcurrentLinkedQueue<Long> seen = new ConcurrentLinkedQueue<>();
        engine.start(e -> seen.add(e.seq()));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<Long>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    start.await();
                    List<Long> mine = new ArrayList<>(perThread);
                    for (int i = 0; i < perThread; i++) {
                        mine.add(engine.publish("big:hot", body("t"), PublishOptions.DEFAULT).join().seq());
                    }
                    return mine;
                }));
            }
            start.countDown();
            for (Future<List<Long>> f : results) {
                List<Long> mine = f.get(60, TimeUnit.SECONDS);
                for (int i = 1; i < mine.size(); i++) {
                    assertTrue(mine.get(i - 1) < mine.get(i), "one publisher's seqs increase");
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(range(1, threads * perThread), new ArrayList<>(seen));
        assertEquals(new StreamPosition(threads * perThread, done(engine.position("big:hot")).epoch()),
                done(engine.position("big:hot")));
    }

    // ---------------------------------------------------------------- ack and critical

    @Test
    void ackDefaultsToTheNamespaceSetting() {
        assertTrue(publish("user:alice").ackRequired());
        assertFalse(publish("big:a").ackRequired());
    }

    @Test
    void publishOptionsOverrideTheAckDefault() {
        assertFalse(publish("user:alice", body("t"), new PublishOptions(false, false)).ackRequired());
        assertTrue(publish("big:a", body("t"), new PublishOptions(true, false)).ackRequired());
    }

    @Test
    void criticalIsCarriedFromThePublishOptions() {
        assertTrue(publish("big:a", body("t"), new PublishOptions(null, true)).critical());
        assertFalse(publish("big:a").critical());
    }

    // ---------------------------------------------------------------- history

    @Test
    void historyReturnsEventsAfterASeqUpToTheLimit() {
        for (int i = 0; i < 5; i++) {
            publish("big:a");
        }
        HistoryPage page = history("big:a", 2, 2);
        assertEquals(List.of(3L, 4L), seqs(page));
        assertEquals(5, page.currentSeq());
        assertTrue(page.complete());
        assertEquals("big:a", page.channel());
        assertEquals(page.events().get(0).epoch(), page.epoch());
    }

    @Test
    void historyFromZeroReturnsEverything() {
        for (int i = 0; i < 5; i++) {
            publish("big:a");
        }
        HistoryPage page = history("big:a", 0, 100);
        assertEquals(range(1, 5), seqs(page));
        assertTrue(page.complete());
    }

    @Test
    void historyAtTheHeadIsEmptyAndComplete() {
        publish("big:a");
        publish("big:a");
        HistoryPage page = history("big:a", 2, 10);
        assertEquals(List.of(), page.events());
        assertTrue(page.complete());
        assertEquals(2, page.currentSeq());
    }

    @Test
    void historyOfAChannelNeverPublishedIsEmptyAndCompleteFromZero() {
        HistoryPage page = history("big:never", 0, 10);
        assertEquals(List.of(), page.events());
        assertEquals(0, page.currentSeq());
        assertTrue(page.complete());
    }

    @Test
    void historyTrimmedBySizePastThePositionIsIncomplete() {
        for (int i = 0; i < 5; i++) {
            publish("small:a");
        }
        HistoryPage page = history("small:a", 1, 10);
        assertEquals(List.of(3L, 4L, 5L), seqs(page), "only the last 3 events are kept");
        assertFalse(page.complete(), "event 2 was trimmed");
        assertFalse(history("small:a", 0, 10).complete());
    }

    @Test
    void historyTrimmedBySizeBeforeThePositionIsComplete() {
        for (int i = 0; i < 5; i++) {
            publish("small:a");
        }
        HistoryPage page = history("small:a", 2, 10);
        assertEquals(List.of(3L, 4L, 5L), seqs(page));
        assertTrue(page.complete());
    }

    @Test
    void historyTrimmedByTtlPastThePositionIsIncomplete() {
        publish("short:a");                      // seq 1 at T0
        clock.set(T0 + 30_000);
        publish("short:a");                      // seq 2 at T0+30s
        clock.set(T0 + 60_001);                  // seq 1 is now older than the one-minute TTL

        HistoryPage fromZero = history("short:a", 0, 10);
        assertEquals(List.of(2L), seqs(fromZero));
        assertFalse(fromZero.complete(), "event 1 expired");

        HistoryPage fromOne = history("short:a", 1, 10);
        assertEquals(List.of(2L), seqs(fromOne));
        assertTrue(fromOne.complete());
    }

    @Test
    void eventsWithinTheTtlAreKept() {
        publish("short:a");
        clock.set(T0 + 60_000);
        HistoryPage page = history("short:a", 0, 10);
        assertEquals(List.of(1L), seqs(page));
        assertTrue(page.complete());
    }

    @Test
    void historyFullyExpiredIsCompleteOnlyFromTheHead() {
        publish("short:a");
        publish("short:a");
        clock.set(T0 + 600_000);
        HistoryPage atHead = history("short:a", 2, 10);
        assertEquals(List.of(), atHead.events());
        assertTrue(atHead.complete());
        assertEquals(2, atHead.currentSeq());
        assertFalse(history("short:a", 1, 10).complete());
    }

    @Test
    void aPositionAheadOfTheStreamIsIncomplete() {
        publish("big:a");
        publish("big:a");
        HistoryPage page = history("big:a", 10, 10);
        assertEquals(List.of(), page.events());
        assertFalse(page.complete());
        assertEquals(2, page.currentSeq());
        assertFalse(history("big:never", 1, 10).complete());
    }

    @Test
    void aNamespaceWithHistoryDisabledKeepsNone() {
        for (int i = 0; i < 3; i++) {
            publish("none:a");
        }
        HistoryPage page = history("none:a", 0, 10);
        assertEquals(List.of(), page.events());
        assertEquals(3, page.currentSeq());
        assertFalse(page.complete(), "events 1..3 were never kept");
        assertTrue(history("none:a", 3, 10).complete());
    }

    @Test
    void aZeroTtlAlsoDisablesHistory() {
        publish("nottl:a");
        HistoryPage page = history("nottl:a", 0, 10);
        assertEquals(List.of(), page.events());
        assertFalse(page.complete());
    }

    @Test
    void historyEventsAreTheSameAsPublished() {
        Event e = publish("big:a", body("x").put("k", "v"), PublishOptions.DEFAULT);
        Event fromHistory = history("big:a", 0, 1).events().get(0);
        assertEquals(e.eventId(), fromHistory.eventId());
        assertEquals(e.epoch(), fromHistory.epoch());
        assertEquals("v", fromHistory.filterBody().get("k").textValue());
    }

    // ---------------------------------------------------------------- epochs and sweep

    @Test
    void aStreamKeepsOneEpochAcrossPublishes() {
        Event a = publish("big:a");
        Event b = publish("big:a");
        assertEquals(a.epoch(), b.epoch());
        assertEquals(new StreamPosition(2, a.epoch()), done(engine.position("big:a")));
    }

    @Test
    void epochsDifferBetweenEngineInstances() {
        MemoryEngine other = new MemoryEngine(namespaces, clock::get);
        String mine = publish("big:a").epoch();
        String theirs = done(other.publish("big:a", body("t"), PublishOptions.DEFAULT)).epoch();
        assertNotEquals(mine, theirs);
        assertNotEquals(done(engine.position("big:fresh")).epoch(), done(other.position("big:fresh")).epoch());
    }

    @Test
    void channelsHaveTheirOwnEpochs() {
        assertNotEquals(publish("big:a").epoch(), publish("big:b").epoch());
    }

    @Test
    void sweepDropsIdleStreamsWithoutHistoryAndALaterPublishStartsANewEpoch() {
        Event first = publish("none:a");
        publish("none:a");
        clock.set(T0 + 60_001);
        engine.sweep();
        assertEquals(0, engine.streamCount());

        Event after = publish("none:a");
        assertEquals(1, after.seq(), "a new stream starts over");
        assertNotEquals(first.epoch(), after.epoch(), "positions from the old stream must not be trusted");
    }

    @Test
    void sweepKeepsStreamsThatAreNotIdleYet() {
        publish("none:a");
        clock.set(T0 + 60_000);
        engine.sweep();
        assertEquals(1, engine.streamCount());
        assertEquals(2, publish("none:a").seq());
    }

    @Test
    void sweepKeepsStreamsWithHistoryAndDropsThemOnceExpiredAndIdle() {
        Event first = publish("short:a");
        clock.set(T0 + 60_000);
        engine.sweep();
        assertEquals(1, engine.streamCount(), "history still holds an event");

        clock.set(T0 + 60_001);
        engine.sweep();
        assertEquals(0, engine.streamCount());
        Event after = publish("short:a");
        assertEquals(1, after.seq());
        assertNotEquals(first.epoch(), after.epoch());
    }

    @Test
    void sweepLeavesOtherStreamsAlone() {
        publish("none:old");
        clock.set(T0 + 50_000);
        Event recent = publish("none:recent");
        clock.set(T0 + 60_001);
        engine.sweep();
        assertEquals(1, engine.streamCount());
        Event next = publish("none:recent");
        assertEquals(2, next.seq());
        assertEquals(recent.epoch(), next.epoch());
    }

    // ---------------------------------------------------------------- history memory budget

    /** Bytes one held event of {@link #body(String)} with type "t" on channel {@code channel} counts. */
    private long heldCost(MemoryEngine e, String channel) {
        long before = e.historyBytes();
        done(e.publish(channel, body("t"), PublishOptions.DEFAULT));
        return e.historyBytes() - before;
    }

    @Test
    void historyEventsAreHeldCompactAndStillFilterable() {
        Event live = publish("big:a", body("trade").put("price", "50000.00"), PublishOptions.DEFAULT);
        assertTrue(live.body() != null, "the listener and live delivery get the parsed body");
        Event held = history("big:a", 0, 10).events().get(0);
        assertEquals(null, held.body(), "history holds the bytes only");
        assertEquals(live.body().toString(), held.filterBody().toString());
        assertEquals(new String(live.json(), java.nio.charset.StandardCharsets.UTF_8),
                new String(held.json(), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void budgetDropsTheOldestEventsOfAnyChannelFirst() {
        MemoryEngine probe = new MemoryEngine(namespaces, clock::get);
        heldCost(probe, "big:x"); // channel names of one length: every event below costs the same
        long cost = heldCost(probe, "big:x");
        MemoryEngine small = new MemoryEngine(namespaces, clock::get, 10 * cost);
        for (int i = 0; i < 4; i++) {
            done(small.publish("big:a", body("t"), PublishOptions.DEFAULT));
        }
        for (int i = 0; i < 8; i++) {
            done(small.publish("big:b", body("t"), PublishOptions.DEFAULT));
        }
        assertTrue(small.historyBytes() <= 10 * cost, small.historyBytes() + " > " + 10 * cost);
        assertEquals(2, small.historyBudgetDrops());
        HistoryPage a = done(small.history("big:a", 0, 100));
        assertEquals(range(3, 4), seqs(a), "big:a lost its two oldest events");
        assertFalse(a.complete(), "a recovery from before the drop is not complete");
        assertTrue(done(small.history("big:a", 2, 100)).complete());
        HistoryPage b = done(small.history("big:b", 0, 100));
        assertEquals(range(1, 8), seqs(b), "the newer channel kept everything");
        assertTrue(b.complete());
    }

    @Test
    void budgetBoundsHistoryAcrossManyChannels() {
        long limit = 1024 * 1024;
        MemoryEngine bounded = new MemoryEngine(namespaces, clock::get, limit);
        ObjectNode padded = body("t").put("pad", "x".repeat(300));
        long max = 0;
        for (int i = 0; i < 50_000; i++) {
            done(bounded.publish("big:c" + (i % 2_000), padded.deepCopy(), PublishOptions.DEFAULT));
            max = Math.max(max, bounded.historyBytes());
        }
        assertTrue(max <= limit, "held " + max + " bytes, budget " + limit);
        assertTrue(bounded.historyBudgetDrops() > 40_000, "drops: " + bounded.historyBudgetDrops());
        // the newest events are still there, in order, in every channel
        HistoryPage last = done(bounded.history("big:c1999", 0, 100));
        assertEquals(25L, last.currentSeq());
        assertEquals(last.currentSeq(), last.events().get(last.events().size() - 1).seq());
    }

    @Test
    void eventsDroppedBySizeOrTtlFreeTheirBytes() {
        long one = heldCost(new MemoryEngine(namespaces, clock::get), "small:a");
        for (int i = 0; i < 10_000; i++) {
            publish("small:a");
        }
        assertTrue(engine.historyBytes() <= 3 * one + 3 * MemoryEngine.DROPPED_SLOT_BYTES,
                "three events held by the size cap, held bytes " + engine.historyBytes());
        publish("short:a");
        clock.addAndGet(Duration.ofMinutes(2).toMillis());
        engine.sweep();
        publish("small:a");
        assertTrue(engine.historyBytes() <= 3 * one + 3 * MemoryEngine.DROPPED_SLOT_BYTES + one,
                "the expired short:a event was freed, held bytes " + engine.historyBytes());
        assertEquals(0, engine.historyBudgetDrops());
    }

    @Test
    void budgetIsSafeUnderConcurrentPublishers() throws Exception {
        long limit = 256 * 1024;
        MemoryEngine bounded = new MemoryEngine(namespaces, clock::get, limit);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < 20_000; i++) {
                        done(bounded.publish("big:t" + thread + "-" + (i % 50), body("t"), PublishOptions.DEFAULT));
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertTrue(bounded.historyBytes() <= limit, bounded.historyBytes() + " > " + limit);
        for (int t = 0; t < 4; t++) {
            for (int c = 0; c < 50; c++) {
                List<Long> seqs = seqs(done(bounded.history("big:t" + t + "-" + c, 0, 1000)));
                for (int k = 1; k < seqs.size(); k++) {
                    assertEquals(seqs.get(k - 1) + 1, seqs.get(k), "history stays contiguous");
                }
                if (!seqs.isEmpty()) {
                    assertEquals(400L, seqs.get(seqs.size() - 1), "the newest event is kept");
                }
            }
        }
    }
}
