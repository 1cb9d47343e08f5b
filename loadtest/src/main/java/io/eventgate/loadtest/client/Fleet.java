package io.eventgate.loadtest.client;

/**
 * A set of client connections, in this process ({@link LocalFleet}) or in a worker process ({@link RemoteFleet}).
 */
public interface Fleet extends AutoCloseable {
    /** Starts connecting (paced by the spec's connect rate); returns at once. */
    void start() throws Exception;

    Progress progress() throws Exception;

    /** A consistent snapshot of one phase (call once the phase's events have arrived). */
    PhaseStats phase(int phase) throws Exception;

    /** Closes every connection and returns everything measured. */
    ReceiveStats finish() throws Exception;

    /** Aborts (idempotent; after finish a no-op). */
    @Override
    void close();
}
