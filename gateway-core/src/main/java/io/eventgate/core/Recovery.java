package io.eventgate.core;

import io.eventgate.core.engine.Event;
import io.eventgate.core.engine.HistoryPage;
import io.eventgate.core.filter.EventFilter;
import io.eventgate.core.filter.FilterException;
import io.eventgate.core.hub.Connection;
import io.eventgate.core.hub.Subscription;
import io.eventgate.core.hub.TypeSelection;
import io.eventgate.core.session.SessionSnapshot;
import io.eventgate.core.session.SubscriptionSnapshot;
import io.eventgate.protocol.ServerMessages;
import io.eventgate.protocol.StreamPosition;
import io.eventgate.protocol.SubscriptionState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Resume and per-channel recovery without gaps or duplicates.
 *
 * <p>The race between replay and live events is closed the same way for every engine: the subscription goes live
 * first with its channel marked as recovering (live events are held back on the connection), then history is read;
 * history holds every event up to its {@code currentSeq} because engines append to history before they dispatch.
 * Replay sends history events after the client's position, then the held events whose seq is higher than the last
 * replayed one, skipping eventIds already sent. A channel whose history cannot prove there is no gap (epoch changed,
 * trimmed, unknown position) replays nothing and reports {@code recovered:false}.
 *
 * <p>Unacknowledged events of the user's owner channels ({@link io.eventgate.core.ack.PendingStore}) are always
 * redelivered on resume, with {@code "redelivered":true}, whether or not history recovery succeeded: they are the
 * at-least-once guarantee, not part of recovery.
 *
 * <p>Threading: every step that touches the connection runs on its lane.
 */
final class Recovery {
    private final Gateway gateway;

    Recovery(Gateway gateway) {
        this.gateway = gateway;
    }

    void resume(Connection connection, String sessionId, List<String> initialEvents) {
        gateway.sessions().load(sessionId).whenComplete((snapshot, error) -> connection.transport().lane().execute(() -> {
            if (connection.isClosed()) {
                return;
            }
            Optional<SessionSnapshot> found = error == null ? snapshot : Optional.empty();
            if (found.isEmpty() || !found.get().userId().equals(connection.userId())) {
                gateway.stats().resumeUnknown.increment();
                resumeUnknown(connection, initialEvents);
                return;
            }
            restore(connection, found.get());
        }));
    }

    /** Unknown or foreign session: a fresh session, reported as resumed:false; pending events are still redelivered. */
    private void resumeUnknown(Connection connection, List<String> initialEvents) {
        Subscription userSub = new Subscription(connection,
                io.eventgate.protocol.ChannelNames.userChannel(connection.userId()), TypeSelection.of(initialEvents),
                EventFilter.NONE);
        connection.putSubscription(userSub);
        connection.beginRecovery(userSub.channel());
        gateway.hub().put(userSub);
        CompletableFuture<StreamPosition> position = gateway.engine().position(userSub.channel());
        CompletableFuture<List<Event>> pending = gateway.pendingStore().pending(connection.userId(), gateway.now());
        CompletableFuture.allOf(position, pending).whenComplete((ok, error) -> connection.transport().lane().execute(() -> {
            if (connection.isClosed()) {
                return;
            }
            Map<String, HistoryPage> pages = new HashMap<>();
            StreamPosition p = position.isCompletedExceptionally() ? null : position.join();
            if (p != null) {
                pages.put(userSub.channel(), new HistoryPage(userSub.channel(), p.epoch(), p.seq(), List.of(), false));
            }
            finish(connection, Map.of(), pages, pending, false, false);
        }));
    }

    private void restore(Connection connection, SessionSnapshot snapshot) {
        connection.sessionId(snapshot.sessionId());
        // A half-open predecessor of the same session must not overwrite the session when it finally closes.
        for (Connection other : gateway.hub().connectionsOf(connection.userId())) {
            if (other != connection && snapshot.sessionId().equals(other.sessionId())) {
                other.transport().lane().execute(() -> {
                    other.supersede();
                    other.transport().close(io.eventgate.protocol.CloseCode.DISCONNECTED, "session resumed elsewhere");
                });
            }
        }
        Map<String, SubscriptionSnapshot> restored = new LinkedHashMap<>();
        for (SubscriptionSnapshot s : snapshot.subscriptions()) {
            if (!gateway.access().canRead(connection.token(), s.channel())) {
                continue; // the new token no longer grants it
            }
            EventFilter filter;
            try {
                filter = EventFilter.parse(s.filters());
            } catch (FilterException e) {
                filter = EventFilter.NONE;
            }
            Subscription sub = new Subscription(connection, s.channel(),
                    TypeSelection.restore(s.events(), s.excludedEvents()), filter);
            connection.putSubscription(sub);
            connection.beginRecovery(s.channel());
            gateway.hub().put(sub);
            restored.put(s.channel(), s);
        }
        Map<String, CompletableFuture<HistoryPage>> reads = new HashMap<>();
        for (SubscriptionSnapshot s : restored.values()) {
            reads.put(s.channel(), gateway.engine().history(s.channel(), s.seq(), historyLimit(s.channel())));
        }
        CompletableFuture<List<Event>> pending = gateway.pendingStore().pending(connection.userId(), gateway.now());
        List<CompletableFuture<?>> all = new ArrayList<>(reads.values());
        all.add(pending);
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).whenComplete((ok, error) ->
                connection.transport().lane().execute(() -> {
                    if (connection.isClosed()) {
                        return;
                    }
                    Map<String, HistoryPage> pages = new HashMap<>();
                    Map<String, StreamPosition> positions = new HashMap<>();
                    boolean recovered = true;
                    for (SubscriptionSnapshot s : restored.values()) {
                        CompletableFuture<HistoryPage> f = reads.get(s.channel());
                        HistoryPage page = f.isCompletedExceptionally() ? null : f.join();
                        if (page != null) {
                            pages.put(s.channel(), page);
                        }
                        positions.put(s.channel(), s.epoch() == null ? null : new StreamPosition(s.seq(), s.epoch()));
                        recovered &= recoverable(page, positions.get(s.channel()));
                    }
                    finish(connection, positions, pages, pending, true, recovered);
                }));
    }

    /** Subscribe with {@code since}: the channels are already subscribed and marked recovering. */
    void subscribeSince(Connection connection, String ref, List<String> targets,
                        Map<String, StreamPosition> since) {
        Map<String, CompletableFuture<HistoryPage>> reads = new HashMap<>();
        for (String channel : targets) {
            StreamPosition p = since.get(channel);
            reads.put(channel, gateway.engine().history(channel, p == null ? Long.MAX_VALUE : p.seq(),
                    p == null ? 0 : historyLimit(channel)));
        }
        CompletableFuture.allOf(reads.values().toArray(CompletableFuture[]::new)).whenComplete((ok, error) ->
                connection.transport().lane().execute(() -> {
                    if (connection.isClosed()) {
                        return;
                    }
                    long now = gateway.now();
                    Map<String, Boolean> recoveredByChannel = new HashMap<>();
                    List<Event> replay = new ArrayList<>();
                    Map<String, Long> lastReplayed = new HashMap<>();
                    for (String channel : targets) {
                        CompletableFuture<HistoryPage> f = reads.get(channel);
                        HistoryPage page = f.isCompletedExceptionally() ? null : f.join();
                        StreamPosition p = since.get(channel);
                        if (p == null) {
                            if (page != null) {
                                connection.initPosition(channel, page.currentSeq(), page.epoch());
                            }
                            continue;
                        }
                        boolean ok2 = recoverable(page, p);
                        recoveredByChannel.put(channel, ok2);
                        gateway.stats().recoveries.increment();
                        if (!ok2) {
                            gateway.stats().recoveryFailures.increment();
                        }
                        collect(connection, channel, page, ok2, replay, lastReplayed);
                    }
                    List<SubscriptionState> states = new ArrayList<>();
                    for (Subscription s : Gateway.sorted(connection)) {
                        HistoryPage page = reads.containsKey(s.channel()) && !reads.get(s.channel()).isCompletedExceptionally()
                                ? reads.get(s.channel()).join() : null;
                        states.add(Gateway.state(s, page == null ? -1 : page.currentSeq(),
                                page == null ? null : page.epoch(), recoveredByChannel.get(s.channel())));
                    }
                    connection.transport().sendControl(ServerMessages.subscribed(ref, states));
                    Set<String> sent = new HashSet<>();
                    for (Event e : replay) {
                        write(connection, e, false, now, sent);
                    }
                    for (String channel : targets) {
                        releaseHeld(connection, channel, lastReplayed, sent, now);
                    }
                    connection.transport().flush();
                    gateway.saveSession(connection);
                }));
    }

    private boolean recoverable(HistoryPage page, StreamPosition position) {
        return page != null && position != null && page.complete() && page.epoch().equals(position.epoch());
    }

    private int historyLimit(String channel) {
        return Math.max(1, gateway.namespaces().ofChannel(channel).historySize());
    }

    /** Adds the page's events that pass the subscription (when recovered) and moves the connection's position. */
    private void collect(Connection connection, String channel, HistoryPage page, boolean recovered,
                         List<Event> replay, Map<String, Long> lastReplayed) {
        if (page == null) {
            return;
        }
        if (recovered) {
            Subscription sub = connection.subscription(channel);
            for (Event e : page.events()) {
                connection.advance(channel, e.seq(), e.epoch());
                if (sub != null && sub.accepts(e)) {
                    replay.add(e);
                }
            }
            lastReplayed.put(channel, page.currentSeq());
        } else {
            // Nothing replayed: every held live event is delivered (the pending-store read may predate an event that
            // history already holds, so skipping held events up to currentSeq could lose it).
            connection.dropPosition(channel);
        }
        connection.advance(channel, page.currentSeq(), page.epoch());
    }

    private void finish(Connection connection, Map<String, StreamPosition> positions, Map<String, HistoryPage> pages,
                        CompletableFuture<List<Event>> pendingFuture, boolean resumed, boolean recovered) {
        long now = gateway.now();
        gateway.stats().recoveries.increment();
        if (!recovered) {
            gateway.stats().recoveryFailures.increment();
        }
        List<Event> replay = new ArrayList<>();
        Map<String, Long> lastReplayed = new HashMap<>();
        for (Subscription s : new ArrayList<>(connection.subscriptions())) {
            collect(connection, s.channel(), pages.get(s.channel()), recovered, replay, lastReplayed);
        }
        List<Event> pending = pendingFuture.isCompletedExceptionally() ? List.of() : pendingFuture.join();
        List<SubscriptionState> states = new ArrayList<>();
        for (Subscription s : Gateway.sorted(connection)) {
            HistoryPage page = pages.get(s.channel());
            states.add(Gateway.state(s, page == null ? -1 : page.currentSeq(), page == null ? null : page.epoch(),
                    null));
        }
        connection.transport().sendConnected(connection.sessionId(), ServerMessages.connected(connection.id(),
                connection.userId(), connection.sessionId(), gateway.settings().heartbeatInterval().toSeconds(), now,
                resumed, recovered, states));
        Set<String> sent = new HashSet<>();
        // Pending (unacknowledged) first, then the missed events, each channel in seq order.
        List<Event> pendingSubscribed = new ArrayList<>();
        for (Event e : pending) {
            if (connection.subscription(e.channel()) != null) {
                pendingSubscribed.add(e);
            }
        }
        pendingSubscribed.sort(Comparator.comparing(Event::channel).thenComparingLong(Event::seq));
        for (Event e : pendingSubscribed) {
            write(connection, e, true, now, sent);
        }
        for (Event e : replay) {
            write(connection, e, false, now, sent);
        }
        for (Subscription s : new ArrayList<>(connection.subscriptions())) {
            releaseHeld(connection, s.channel(), lastReplayed, sent, now);
        }
        connection.transport().flush();
        gateway.saveSession(connection);
        secondLook(connection, sent);
    }

    /**
     * One ACK timeout after a resume, reads the user's pending events again and redelivers those this connection has
     * not sent. It closes a cross-node race: an event sequenced just before the resumed subscription went live (so not
     * held back) whose pending record was committed by the publishing node after the resume read the store would
     * otherwise wait for the next resume. One extra read per resume; duplicates are deduplicated by eventId.
     */
    private void secondLook(Connection connection, Set<String> sent) {
        long delay = gateway.settings().ackTimeout().toMillis();
        CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(delay,
                java.util.concurrent.TimeUnit.MILLISECONDS)).thenCompose(v -> connection.isClosed()
                ? CompletableFuture.completedFuture(List.<Event>of())
                : gateway.pendingStore().pending(connection.userId(), gateway.now()))
                .thenAccept(events -> connection.transport().lane().execute(() -> {
                    if (connection.isClosed() || !connection.transport().isOpen()) {
                        return;
                    }
                    long now = gateway.now();
                    boolean wrote = false;
                    for (Event e : events) {
                        if (sent.contains(e.eventId()) || connection.subscription(e.channel()) == null
                                || connection.hasPendingAcks() && connection.acks().isTracked(e.eventId())) {
                            continue;
                        }
                        gateway.stats().secondLookRedeliveries.increment();
                        write(connection, e, true, now, sent);
                        wrote = true;
                    }
                    if (wrote) {
                        connection.transport().flush();
                    }
                }));
    }

    private void releaseHeld(Connection connection, String channel, Map<String, Long> lastReplayed, Set<String> sent,
                             long now) {
        long after = lastReplayed.getOrDefault(channel, 0L);
        for (Event e : connection.endRecovery(channel)) {
            if (e.seq() <= after && lastReplayed.containsKey(channel) || sent.contains(e.eventId())) {
                continue;
            }
            if (gateway.admit(connection, e, now)) {
                sent.add(e.eventId());
                connection.transport().writeEvent(e);
            }
        }
    }

    private void write(Connection connection, Event e, boolean redelivery, long now, Set<String> sent) {
        if (!sent.add(e.eventId())) {
            return;
        }
        if (e.ackRequired()) {
            connection.acks().track(e, now);
        }
        if (redelivery) {
            connection.transport().sendControl(Gateway.redelivered(e));
        } else {
            connection.transport().writeEvent(e);
        }
        gateway.stats().replayed.increment();
    }
}
