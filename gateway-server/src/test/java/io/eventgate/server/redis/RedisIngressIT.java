package io.eventgate.server.redis;

import static io.eventgate.server.redis.RedisTestSupport.SHARED_URL;
import static io.eventgate.server.redis.RedisTestSupport.WAIT;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.core.channel.Namespaces;
import io.eventgate.core.engine.Event;
import io.eventgate.core.engine.PublishOptions;
import io.eventgate.protocol.ChannelNames;
import io.eventgate.protocol.ErrorCode;
import io.eventgate.protocol.ProtocolException;
import io.eventgate.server.redis.RedisTestSupport.Recorder;
import io.eventgate.server.redis.RedisTestSupport.SharedRedis;
import io.lettuce.core.Consumer;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link RedisIngress} against a real Redis, with two "nodes" (engine + ingress each) and a listening engine. */
class RedisIngressIT {
    private static final RedisIngress.Settings FAST = new RedisIngress.Settings(Duration.ofMillis(300),
            Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofSeconds(2));

    /** Also deletes the key {@code <prefix>:publish} of each prefix. */
    @RegisterExtension
    static final SharedRedis shared = new SharedRedis(":publish");

    private RedisEngine engine(String prefix, String node, Recorder recorder) {
        return shared.start(new RedisEngine(SHARED_URL, prefix, node, Namespaces.defaults()), recorder);
    }

    private static PublishTarget target(RedisEngine engine) {
        return (channel, event, ack, critical) -> {
            if (ChannelNames.problem(channel) != null) {
                throw new ProtocolException(ErrorCode.INVALID_FIELD, "channel");
            }
            return engine.publish(channel, event, new PublishOptions(ack, critical));
        };
    }

    private RedisIngress ingress(String prefix, String node, PublishTarget target, RedisIngress.Settings settings) {
        RedisIngress ingress = shared.closeAfterTest(new RedisIngress(SHARED_URL, prefix, node, target, settings));
        ingress.start();
        return ingress;
    }

    /** A listening node subscribed to {@code channel}. */
    private Recorder listen(String prefix, String channel) {
        Recorder recorder = new Recorder();
        RedisEngine listener = engine(prefix, "listener", recorder);
        listener.interest(channel, true);
        listener.position(channel).join();
        return recorder;
    }

    private static void createGroup(String prefix) {
        shared.sync().xgroupCreate(XReadArgs.StreamOffset.latest(prefix + ":ingress"), prefix + "-ingress",
                XGroupCreateArgs.Builder.mkstream());
    }

    private static String xadd(String prefix, String payload) {
        return shared.sync().xadd(prefix + ":ingress", Map.of("payload", payload));
    }

    private static long pending(String prefix) {
        return shared.sync().xpending(prefix + ":ingress", prefix + "-ingress").getCount();
    }

    private static List<Long> seqs(List<Event> events) {
        return events.stream().map(Event::seq).toList();
    }

    private static List<Long> oneTo(int n) {
        List<Long> out = new ArrayList<>();
        for (long i = 1; i <= n; i++) {
            out.add(i);
        }
        return out;
    }

    @Test
    void aPubSubMessageIsSequencedByExactlyOneNode() {
        String prefix = shared.prefix();
        String channel = "user:42";
        Recorder recorder = listen(prefix, channel);
        RedisIngress a = ingress(prefix, "a", target(engine(prefix, "a", new Recorder())), FAST);
        RedisIngress b = ingress(prefix, "b", target(engine(prefix, "b", new Recorder())), FAST);
        await().atMost(WAIT).until(() -> shared.sync().pubsubNumsub(a.publishChannel()).get(a.publishChannel()) == 2);

        int n = 50;
        for (int i = 0; i < n; i++) {
            shared.sync().publish(a.publishChannel(), "{\"user\":\"42\",\"event\":{\"type\":\"note\",\"eventId\":\"n-" + i
                    + "\",\"amount\":50000.00}}");
        }
        // the same message again: deduplicated by the claim
        shared.sync().publish(a.publishChannel(), "{\"user\":\"42\",\"event\":{\"type\":\"note\",\"eventId\":\"n-0\","
                + "\"amount\":50000.00}}");
        shared.sync().publish(a.publishChannel(), "{\"channel\":\"public:x\",\"event\":{\"type\":\"\"}}");
        shared.sync().publish(a.publishChannel(), "not json");

        await().atMost(WAIT).until(() -> a.published() + b.published() == n
                && a.duplicates() + b.duplicates() == n + 4 && a.invalid() + b.invalid() == 2);
        await().atMost(WAIT).until(() -> recorder.of(channel).size() == n);
        List<Event> received = recorder.of(channel);
        assertEquals(oneTo(n), seqs(received));
        Set<String> ids = new HashSet<>();
        received.forEach(e -> ids.add(e.eventId()));
        assertEquals(n, ids.size());
        assertTrue(received.get(0).ackRequired(), "user namespace default");
        assertEquals(0, a.failures() + b.failures());
    }

    @Test
    void streamEntriesArePublishedExactlyOnceAndAcknowledged() {
        String prefix = shared.prefix();
        String channel = "public:feed";
        Recorder recorder = listen(prefix, channel);
        createGroup(prefix);
        RedisIngress a = ingress(prefix, "a", target(engine(prefix, "a", new Recorder())), FAST);
        RedisIngress b = ingress(prefix, "b", target(engine(prefix, "b", new Recorder())), FAST);

        int n = 200;
        for (int i = 0; i < n; i++) {
            String id = i % 2 == 0 ? ",\"eventId\":\"feed-" + i + "\"" : "";
            xadd(prefix, "{\"channel\":\"" + channel + "\",\"event\":{\"type\":\"item\",\"i\":" + i + id
                    + "},\"ack\":true}");
        }
        await().atMost(WAIT).until(() -> a.published() + b.published() == n);
        await().atMost(WAIT).until(() -> recorder.of(channel).size() == n && pending(prefix) == 0);
        List<Event> received = recorder.of(channel);
        assertEquals(oneTo(n), seqs(received));
        Set<Long> items = new HashSet<>();
        for (Event e : received) {
            items.add(e.body().get("i").asLong());
            assertTrue(e.ackRequired(), "ack:true from the entry");
            if (e.body().get("i").asLong() % 2 == 1) {
                assertTrue(e.eventId().startsWith("ING-"), e.eventId());
            }
        }
        assertEquals(n, items.size());
        assertEquals(0, a.failures() + b.failures() + a.invalid() + b.invalid());
    }

    @Test
    void entriesOfADeadConsumerAreTakenOver() {
        String prefix = shared.prefix();
        String channel = "public:orphans";
        Recorder recorder = listen(prefix, channel);
        createGroup(prefix);
        for (int i = 0; i < 3; i++) {
            xadd(prefix, "{\"channel\":\"" + channel + "\",\"event\":{\"type\":\"orphan\",\"i\":" + i + "}}");
        }
        List<StreamMessage<String, String>> taken = shared.sync().xreadgroup(Consumer.from(prefix + "-ingress", "dead"),
                XReadArgs.Builder.count(10), XReadArgs.StreamOffset.lastConsumed(prefix + ":ingress"));
        assertEquals(3, taken.size());
        assertEquals(3, pending(prefix));

        RedisIngress survivor = ingress(prefix, "survivor", target(engine(prefix, "s", new Recorder())), FAST);
        await().atMost(WAIT).until(() -> recorder.of(channel).size() == 3 && pending(prefix) == 0);
        assertEquals(oneTo(3), seqs(recorder.of(channel)));
        assertEquals(3, survivor.published());
    }

    @Test
    void aRedeliveredEntryIsNotPublishedTwice() {
        String prefix = shared.prefix();
        String channel = "public:retry";
        Recorder recorder = listen(prefix, channel);
        createGroup(prefix);
        RedisEngine engine = engine(prefix, "n", new Recorder());
        AtomicBoolean crashAfterPublish = new AtomicBoolean(true);
        // The first attempt publishes but reports failure (as if the node died before XACK): the entry stays
        // pending, is claimed again after the idle time, and the retry is answered by the engine's eventId dedupe.
        PublishTarget flaky = (c, event, ack, critical) -> {
            CompletableFuture<Event> f = engine.publish(c, event, new PublishOptions(ack, critical));
            if (crashAfterPublish.getAndSet(false)) {
                return f.thenCompose(e -> CompletableFuture.failedFuture(new IllegalStateException("crash")));
            }
            return f;
        };
        RedisIngress ingress = ingress(prefix, "n", flaky, FAST);
        xadd(prefix, "{\"channel\":\"" + channel + "\",\"event\":{\"type\":\"once\"}}");

        await().atMost(WAIT).until(() -> ingress.published() == 1 && pending(prefix) == 0);
        assertEquals(1, ingress.failures());
        assertEquals(1, engine.duplicateCount());
        Event next = engine.publish(channel, (ObjectNode) io.eventgate.protocol.Json.MAPPER.createObjectNode()
                .put("type", "next"), PublishOptions.DEFAULT).join();
        assertEquals(2, next.seq(), "the retry did not take a seq");
        await().atMost(WAIT).until(() -> recorder.of(channel).size() == 2);
        assertEquals(List.of("once", "next"), recorder.of(channel).stream().map(Event::type).toList());
    }

    @Test
    void invalidEntriesAreCountedAndAcknowledged() {
        String prefix = shared.prefix();
        String channel = "public:valid";
        Recorder recorder = listen(prefix, channel);
        createGroup(prefix);
        RedisIngress ingress = ingress(prefix, "n", target(engine(prefix, "n", new Recorder())), FAST);

        xadd(prefix, "not json");
        xadd(prefix, "[1,2]");
        xadd(prefix, "{\"channel\":\"no-namespace\",\"event\":{\"type\":\"x\"}}");
        xadd(prefix, "{\"channel\":\"public:x\",\"user\":\"1\",\"event\":{\"type\":\"x\"}}");
        xadd(prefix, "{\"channel\":\"public:x\",\"event\":{\"type\":5}}");
        xadd(prefix, "{\"channel\":\"public:x\",\"event\":{\"type\":\"x\"},\"ack\":\"yes\"}");
        shared.sync().xadd(prefix + ":ingress", Map.of("other", "{}"));
        xadd(prefix, "{\"channel\":\"" + channel + "\",\"event\":{\"type\":\"fine\"}}");

        await().atMost(WAIT).until(() -> ingress.invalid() == 7 && ingress.published() == 1 && pending(prefix) == 0);
        await().atMost(WAIT).until(() -> recorder.of(channel).size() == 1);
        assertEquals("fine", recorder.of(channel).get(0).type());
        assertEquals(0, ingress.failures());
    }
}
