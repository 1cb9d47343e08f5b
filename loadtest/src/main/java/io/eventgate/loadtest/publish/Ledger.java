package io.eventgate.loadtest.publish;

/** Told the outcome of every item, on a publisher thread (so a scenario knows what to expect). */
public interface Ledger {
    void published(PublishItem item);

    void failed(PublishItem item, String reason);
}
