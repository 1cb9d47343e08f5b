package io.eventgate.loadtest.client;

import java.util.List;

/**
 * Everything a client fleet (in-process, or a worker process) needs: which connections to open and how to behave.
 * Connection {@code i} (from {@code from} to {@code to}, exclusive) is user {@code i}: {@code u<i>} or the subject
 * of line {@code i} of the tokens file. It connects to {@code urls[i % urls.size()]}. With {@code ackConfirm} every
 * ack message carries an {@code id}, so the server answers {@code acked} (counted: acknowledged end to end).
 * {@code transport} is {@code ws} or {@code sse} (eventgate only; null, as in a spec from an older coordinator, is
 * {@code ws}).
 */
public record FleetSpec(
        String target,
        List<String> urls,
        List<String> sourceAddresses,
        int from,
        int to,
        String jwtSecret,
        String tokensFile,
        double connectRate,
        int connectConcurrency,
        long connectTimeoutMillis,
        int connectRetries,
        List<String> channels,
        String ack,
        int ioThreads,
        boolean ackConfirm,
        String transport) {

    public int size() {
        return to - from;
    }

    public FleetSpec withRange(int newFrom, int newTo, double rate) {
        return new FleetSpec(target, urls, sourceAddresses, newFrom, newTo, jwtSecret, tokensFile, rate,
                connectConcurrency, connectTimeoutMillis, connectRetries, channels, ack, ioThreads, ackConfirm,
                transport);
    }
}
