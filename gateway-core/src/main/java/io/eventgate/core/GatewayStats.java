package io.eventgate.core;

import java.util.concurrent.atomic.LongAdder;

/** Counters shown by {@code GET /api/v1/ws/stats}; each refusal and drop is counted here. */
public final class GatewayStats {
    public final LongAdder messagesIn = new LongAdder();
    public final LongAdder messagesOut = new LongAdder();
    public final LongAdder eventsPublished = new LongAdder();
    public final LongAdder publishFailures = new LongAdder();
    public final LongAdder connectionsOpened = new LongAdder();
    public final LongAdder connectionsClosed = new LongAdder();
    /** Open Server-Sent Events streams (a gauge: the transport adds 1 when one opens and -1 when it closes). */
    public final LongAdder sseConnections = new LongAdder();
    public final LongAdder authFailures = new LongAdder();
    public final LongAdder originRefused = new LongAdder();
    public final LongAdder rateLimited = new LongAdder();
    public final LongAdder rateLimitCloses = new LongAdder();
    public final LongAdder oversizeFrames = new LongAdder();
    public final LongAdder oversizeBodies = new LongAdder();
    public final LongAdder invalidMessages = new LongAdder();
    public final LongAdder forbidden = new LongAdder();
    public final LongAdder staleCloses = new LongAdder();
    public final LongAdder slowConsumerCloses = new LongAdder();
    public final LongAdder acks = new LongAdder();
    public final LongAdder streamGaps = new LongAdder();
    public final LongAdder tokenExpiredCloses = new LongAdder();
    /** Events a connection stopped tracking unacknowledged at the pending TTL. */
    public final LongAdder ackTrackingExpired = new LongAdder();
    public final LongAdder internalErrors = new LongAdder();
    public final LongAdder redeliveries = new LongAdder();
    public final LongAdder criticalExpired = new LongAdder();
    public final LongAdder fallbacks = new LongAdder();
    public final LongAdder recoveries = new LongAdder();
    public final LongAdder recoveryFailures = new LongAdder();
    public final LongAdder resumeUnknown = new LongAdder();
    public final LongAdder replayed = new LongAdder();
    /** Pending events redelivered by the second look one ACK timeout after a resume. */
    public final LongAdder secondLookRedeliveries = new LongAdder();
    public final long startedAtMillis = System.currentTimeMillis();
}
