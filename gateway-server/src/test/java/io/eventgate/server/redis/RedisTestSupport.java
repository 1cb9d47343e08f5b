package io.eventgate.server.redis;

import static org.awaitility.Awaitility.await;

import io.eventgate.core.engine.EngineListener;
import io.eventgate.core.engine.Event;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Helpers for the Redis integration tests: the shared Redis, private throw-away servers, key clean-up. */
final class RedisTestSupport {
    static final String SHARED_URL = "redis://127.0.0.1:6379";
    static final Duration WAIT = Duration.ofSeconds(30);

    private RedisTestSupport() {}

    /** A key prefix no other test (or engineer) uses. */
    static String uniquePrefix() {
        return "it-" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /** A plain client on the shared Redis (for checks and set-up); close it. */
    static Plain plain(String url) {
        RedisClient client = RedisClient.create(url);
        return new Plain(client, client.connect());
    }

    record Plain(RedisClient client, StatefulRedisConnection<String, String> connection) implements AutoCloseable {
        RedisCommands<String, String> sync() {
            return connection.sync();
        }

        /** Deletes every key starting with {@code prefix + ":"} (SCAN, never FLUSH). */
        void deleteByPrefix(String prefix) {
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = sync().scan(cursor, ScanArgs.Builder.matches(prefix + ":*").limit(1000));
                if (!page.getKeys().isEmpty()) {
                    sync().unlink(page.getKeys().toArray(String[]::new));
                }
                cursor = page;
            } while (!cursor.isFinished());
        }

        @Override
        public void close() {
            connection.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    /**
     * A test class's use of the shared Redis, registered as a static {@code @RegisterExtension} field: a plain client
     * (open for all its tests), key prefixes of its own (every key under them, and {@code prefix + suffix} for each
     * extra suffix, deleted after all its tests), and what a test started (closed after it, newest first).
     */
    static final class SharedRedis implements BeforeAllCallback, AfterAllCallback, AfterEachCallback {
        private final List<String> extraKeySuffixes;
        private final List<String> prefixes = new CopyOnWriteArrayList<>();
        private final List<AutoCloseable> closeables = new ArrayList<>();
        private Plain plain;

        /** @param extraKeySuffixes keys outside {@code prefix + ":*"} that the tests create, as suffixes of it */
        SharedRedis(String... extraKeySuffixes) {
            this.extraKeySuffixes = List.of(extraKeySuffixes);
        }

        @Override
        public void beforeAll(ExtensionContext context) {
            plain = plain(SHARED_URL);
        }

        @Override
        public void afterEach(ExtensionContext context) throws Exception {
            try {
                for (int i = closeables.size() - 1; i >= 0; i--) {
                    closeables.get(i).close();
                }
            } finally {
                closeables.clear();
            }
        }

        @Override
        public void afterAll(ExtensionContext context) {
            if (plain != null) {
                for (String prefix : prefixes) {
                    plain.deleteByPrefix(prefix);
                    for (String suffix : extraKeySuffixes) {
                        plain.sync().del(prefix + suffix);
                    }
                }
                plain.close();
            }
        }

        /** Commands on the shared Redis. */
        RedisCommands<String, String> sync() {
            return plain.sync();
        }

        /** A new unique key prefix, cleaned up after all tests. */
        String prefix() {
            String prefix = uniquePrefix();
            prefixes.add(prefix);
            return prefix;
        }

        /** Closes {@code closeable} after the test. */
        <T extends AutoCloseable> T closeAfterTest(T closeable) {
            closeables.add(closeable);
            return closeable;
        }

        /** Starts {@code engine} (closed after the test) with {@code listener} and waits until it is healthy. */
        RedisEngine start(RedisEngine engine, EngineListener listener) {
            closeAfterTest(engine);
            engine.start(listener);
            await().atMost(WAIT).until(engine::healthy);
            return engine;
        }
    }

    /** Records what an engine hands its listener. */
    static final class Recorder implements EngineListener {
        final List<Event> events = new CopyOnWriteArrayList<>();
        final List<String> gaps = new CopyOnWriteArrayList<>();

        @Override
        public void onEvent(Event event) {
            events.add(event);
        }

        @Override
        public void onStreamGap(String channel) {
            gaps.add(channel);
        }

        List<Event> of(String channel) {
            List<Event> out = new ArrayList<>();
            for (Event e : events) {
                if (e.channel().equals(channel)) {
                    out.add(e);
                }
            }
            return out;
        }
    }

}
