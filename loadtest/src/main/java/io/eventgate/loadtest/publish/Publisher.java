package io.eventgate.loadtest.publish;

import java.time.Duration;

/**
 * Publishes events into the system under test. Implementations: {@link HttpPublisher} ({@code http}: one event
 * per {@code POST}, {@code http-batch}: {@code POST /api/v1/publish/batch}) and {@link RedisPublisher}
 * ({@code redis-xadd}, {@code redis-publish}: the gateway's Redis ingress); {@link PublishMode} chooses.
 */
public interface Publisher extends AutoCloseable {
    void start() throws Exception;

    /** Queues one item; thread-safe and non-blocking. Call {@link #flush} after a burst. */
    void submit(PublishItem item);

    /** Makes queued items go (wakes the connections that got items since the last flush). */
    void flush();

    PublisherStats stats();

    /** Per path (e.g. {@code http}, {@code redis-xadd}) when the publisher uses several; empty otherwise. */
    default java.util.Map<String, PublisherStats> paths() {
        return java.util.Map.of();
    }

    /** Waits until every submitted item has an outcome. */
    boolean awaitIdle(Duration timeout) throws InterruptedException;

    @Override
    void close();
}
