package io.eventgate.loadtest.publish;

import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Open-loop schedule: item {@code i} is due at {@code start + i / rate}. Items are emitted when due whatever the
 * server's speed (a slow server does not slow the schedule down), and each carries its intended time, so latency
 * is measured from when the event should have been sent: the correction for coordinated omission is built in.
 */
public final class RateDriver {
    /** Emits the items of one schedule slot (one targeted event, or one broadcast per node, ...). */
    @FunctionalInterface
    public interface Slot {
        void emit(long i, long intendedNanos, Publisher publisher);
    }

    private RateDriver() {}

    /** Runs {@code count} slots at {@code rate}/s from {@code startNanos}; returns the slots emitted. */
    public static long run(Publisher publisher, double rate, long count, long startNanos, Slot slot,
                           BooleanSupplier stop) {
        long i = 0;
        while (i < count && !stop.getAsBoolean()) {
            long due = startNanos + (long) (i * 1e9 / rate);
            long now = System.nanoTime();
            if (due > now) {
                publisher.flush();
                LockSupport.parkNanos(due - now);
                continue;
            }
            slot.emit(i, due, publisher);
            i++;
            if ((i & 31) == 0) {
                publisher.flush();
            }
        }
        publisher.flush();
        return i;
    }

    /** The time slot {@code count} would be due: where a following schedule continues. */
    public static long endOf(double rate, long count, long startNanos) {
        return startNanos + (long) (count * 1e9 / rate);
    }
}
