package io.eventgate.loadtest.publish;

import io.eventgate.loadtest.Hist;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * {@code --publish-mode mixed}: publishers through the HTTP API and through the Redis ingress at once. Items are split
 * by route (one user's or one channel's events), even routes to the first, odd to the second: each stream keeps one
 * path, so its events still reach the gateway in order, and both paths carry half the streams.
 */
public final class SplitPublisher implements Publisher {
    private final String[] names;
    private final Publisher[] parts;

    SplitPublisher(String firstName, Publisher first, String secondName, Publisher second) {
        this.names = new String[] {firstName, secondName};
        this.parts = new Publisher[] {first, second};
    }

    @Override
    public void start() throws Exception {
        for (Publisher p : parts) {
            p.start();
        }
    }

    @Override
    public void submit(PublishItem item) {
        parts[Math.floorMod(item.route(), 2)].submit(item);
    }

    @Override
    public void flush() {
        for (Publisher p : parts) {
            p.flush();
        }
    }

    @Override
    public PublisherStats stats() {
        long submitted = 0;
        long published = 0;
        long failed = 0;
        long requests = 0;
        Histogram roundTrip = Hist.create();
        for (Publisher p : parts) {
            PublisherStats s = p.stats();
            submitted += s.submitted();
            published += s.published();
            failed += s.failed();
            requests += s.requests();
            roundTrip.add(s.roundTrip());
        }
        return new PublisherStats(submitted, published, failed, requests, roundTrip);
    }

    @Override
    public Map<String, PublisherStats> paths() {
        Map<String, PublisherStats> out = new LinkedHashMap<>();
        for (int i = 0; i < parts.length; i++) {
            out.put(names[i], parts[i].stats());
        }
        return out;
    }

    @Override
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean idle = true;
        for (Publisher p : parts) {
            idle &= p.awaitIdle(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        return idle;
    }

    @Override
    public void close() {
        for (Publisher p : parts) {
            p.close();
        }
    }

    /** The mixed publisher of a run: one event per POST, and XADD to the ingress stream. */
    public static Publisher mixed(HttpPublisher http, RedisPublisher redis) {
        return new SplitPublisher(PublishMode.HTTP.id(), http, PublishMode.REDIS_XADD.id(), redis);
    }
}
