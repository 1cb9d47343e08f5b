package io.eventgate.loadtest.scenario;

import io.eventgate.loadtest.publish.Ledger;
import io.eventgate.loadtest.publish.PublishItem;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.ToLongFunction;

/** Counts, per phase, the items published and the deliveries the clients should therefore see. */
final class ExpectLedger implements Ledger {
    private static final int PHASES = 64;
    private final ToLongFunction<PublishItem> recipients;
    private final AtomicLongArray expected = new AtomicLongArray(PHASES);
    private final AtomicLongArray published = new AtomicLongArray(PHASES);
    private final AtomicLongArray failed = new AtomicLongArray(PHASES);
    private final AtomicLong expectedTotal = new AtomicLong();
    private final List<String> failures = new ArrayList<>();

    ExpectLedger(ToLongFunction<PublishItem> recipients) {
        this.recipients = recipients;
    }

    @Override
    public void published(PublishItem item) {
        long r = recipients.applyAsLong(item);
        expected.addAndGet(item.phase(), r);
        published.incrementAndGet(item.phase());
        expectedTotal.addAndGet(r);
    }

    @Override
    public void failed(PublishItem item, String reason) {
        failed.incrementAndGet(item.phase());
        synchronized (failures) {
            if (failures.size() < 5) {
                failures.add(reason);
            }
        }
    }

    long expectedTotal() {
        return expectedTotal.get();
    }

    long expected(int phase) {
        return expected.get(phase);
    }

    long published(int phase) {
        return published.get(phase);
    }

    long failed(int phase) {
        return failed.get(phase);
    }

    long publishedTotal() {
        long s = 0;
        for (int i = 0; i < PHASES; i++) {
            s += published.get(i);
        }
        return s;
    }

    long failedTotal() {
        long s = 0;
        for (int i = 0; i < PHASES; i++) {
            s += failed.get(i);
        }
        return s;
    }

    List<String> failureSamples() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }
}
