package io.eventgate.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventgate.core.auth.VerifiedToken;
import io.eventgate.core.channel.ChannelAccess;
import io.eventgate.core.channel.Namespaces;
import io.eventgate.core.engine.Engine;
import io.eventgate.core.engine.Event;
import io.eventgate.core.engine.PublishOptions;
import io.eventgate.core.filter.EventFilter;
import io.eventgate.core.filter.FilterException;
import io.eventgate.core.hub.Connection;
import io.eventgate.core.hub.Hub;
import io.eventgate.core.hub.Subscription;
import io.eventgate.core.hub.Transport;
import io.eventgate.core.hub.TypeSelection;
import io.eventgate.core.limit.TokenBucket;
import io.eventgate.protocol.ChannelNames;
import io.eventgate.protocol.ClientMessage;
import io.eventgate.protocol.ClientMessageDecoder;
import io.eventgate.protocol.CloseCode;
import io.eventgate.protocol.ErrorCode;
import io.eventgate.protocol.ProtocolException;
import io.eventgate.protocol.ServerMessages;
import io.eventgate.protocol.StreamPosition;
import io.eventgate.protocol.SubscriptionState;
import io.eventgate.core.ack.FallbackNotifier;
import io.eventgate.core.ack.MemoryPendingStore;
import io.eventgate.core.ack.PendingStore;
import io.eventgate.core.channel.NamespaceSettings;
import io.eventgate.core.session.MemorySessionStore;
import io.eventgate.core.session.SessionSnapshot;
import io.eventgate.core.session.SessionStore;
import io.eventgate.core.session.SubscriptionSnapshot;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * The transport-neutral gateway: connection lifecycle, the client protocol, and publishing.
 *
 * <p>Threading: methods taking a {@link Connection} run on that connection's lane thread (the transport calls them
 * from its event loop). {@link #publish} and {@link #disconnectUser} are thread-safe.
 */
public final class Gateway implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Gateway.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();

    private final Engine engine;
    private final Hub hub;
    private final ChannelAccess access;
    private final GatewaySettings settings;
    /** From settings, read by every heartbeat sweep of every connection. */
    private final long idleTimeoutMillis;
    private final long heartbeatMillis;
    private final GatewayStats stats = new GatewayStats();
    private final LongSupplier clock;
    private final Namespaces namespaces;
    private final SessionStore sessions;
    private final PendingStore pending;
    private final FallbackNotifier fallback;
    private final Recovery recovery;
    private volatile String nodeId = "node";

    public Gateway(Engine engine, Namespaces namespaces, GatewaySettings settings, LongSupplier clockMillis,
                   SessionStore sessions, PendingStore pending, FallbackNotifier fallback) {
        this.engine = engine;
        this.hub = new Hub(engine);
        this.namespaces = namespaces;
        this.access = new ChannelAccess(namespaces);
        this.settings = settings;
        this.idleTimeoutMillis = settings.idleTimeout().toMillis();
        this.heartbeatMillis = settings.heartbeatInterval().toMillis();
        this.clock = clockMillis;
        this.sessions = sessions;
        this.pending = pending;
        this.fallback = fallback;
        this.recovery = new Recovery(this);
    }

    /** A gateway with in-memory session and pending stores and no fallback (tests, embedded use). */
    public Gateway(Engine engine, Namespaces namespaces, GatewaySettings settings, LongSupplier clockMillis) {
        this(engine, namespaces, settings, clockMillis,
                new MemorySessionStore(Duration.ofMinutes(10).toMillis(), 1_000_000, clockMillis),
                new MemoryPendingStore(settings.pendingTtl().toMillis(), 10_000), FallbackNotifier.NONE);
    }

    public Gateway(Engine engine, Namespaces namespaces, GatewaySettings settings) {
        this(engine, namespaces, settings, System::currentTimeMillis);
    }

    public void start() {
        engine.start(new io.eventgate.core.engine.EngineListener() {
            @Override
            public void onEvent(Event event) {
                hub.dispatch(event);
            }

            @Override
            public void onStreamGap(String channel) {
                stats.streamGaps.increment();
                hub.streamGap(channel);
            }
        });
    }

    // ---------------------------------------------------------------- connection lifecycle (lane thread)

    /**
     * Opens a connection for an authenticated token: sends {@code connected} and subscribes the user channel
     * (to {@code initialEvents} only, or to every type when null).
     */
    public Connection open(VerifiedToken token, Transport transport, List<String> initialEvents) {
        return open(token, transport, initialEvents, null);
    }

    /**
     * Opens a connection; with {@code resumeSessionId}, restores that session's subscriptions and replays what it
     * missed before {@code connected} reports {@code resumed}/{@code recovered} (see {@link Recovery}).
     */
    public Connection open(VerifiedToken token, Transport transport, List<String> initialEvents,
                           String resumeSessionId) {
        long now = clock.getAsLong();
        Connection connection = new Connection("C-" + randomId(16), token.userId(), "S-" + randomId(20), token,
                transport, new TokenBucket(settings.rateLimitPerMinute(), settings.rateLimitBurst(), now), now,
                settings.heartbeatInterval().toMillis());
        hub.register(connection);
        stats.connectionsOpened.increment();
        sessions.connected(new SessionStore.ConnectionInfo(connection.id(), connection.sessionId(),
                connection.userId(), nodeId, transport.remoteAddress(), transport.userAgent(), now));
        if (resumeSessionId != null) {
            recovery.resume(connection, resumeSessionId, initialEvents);
        } else {
            startFresh(connection, initialEvents);
        }
        return connection;
    }

    /** Subscribes the user channel and sends {@code connected} (lane thread). */
    void startFresh(Connection connection, List<String> initialEvents) {
        Subscription userSub = new Subscription(connection, ChannelNames.userChannel(connection.userId()),
                TypeSelection.of(initialEvents), EventFilter.NONE);
        connection.putSubscription(userSub);
        hub.put(userSub);
        initPositions(connection, List.of(userSub.channel()));
        connection.transport().sendConnected(connection.sessionId(), ServerMessages.connected(connection.id(),
                connection.userId(), connection.sessionId(), settings.heartbeatInterval().toSeconds(),
                clock.getAsLong(), null, null, null));
        saveSession(connection);
    }

    /**
     * Records each channel's current position as the connection's starting point (so a resume can prove no gap),
     * then saves the session: a session saved without a position could never be recovered after a crash.
     */
    private void initPositions(Connection connection, List<String> channels) {
        for (String channel : channels) {
            engine.position(channel).thenAccept(p -> connection.transport().lane().execute(() -> {
                if (!connection.isClosed()) {
                    connection.initPosition(channel, p.seq(), p.epoch());
                    saveSession(connection);
                }
            }));
        }
    }

    /** The transport saw the connection close. Idempotent. */
    public void closed(Connection connection) {
        closed(connection, 1006);
    }

    /** The transport saw the connection close with {@code closeCode}. Idempotent. */
    public void closed(Connection connection, int closeCode) {
        if (connection.isClosed()) {
            return;
        }
        connection.markClosed();
        for (Subscription s : connection.subscriptions()) {
            hub.remove(s);
        }
        if (!connection.superseded()) {
            saveSession(connection);
        }
        sessions.disconnected(connection.id(), clock.getAsLong(), closeCode);
        hub.unregister(connection);
        stats.connectionsClosed.increment();
    }

    /** Any inbound frame (including WebSocket control frames) counts as activity. */
    public void activity(Connection connection) {
        connection.touch(clock.getAsLong());
    }

    /**
     * Heartbeat sweep for one connection: closes it as stale after the idle timeout, else sends a ping when due.
     * Called by the lane's periodic sweep, never by a per-connection timer.
     */
    public void tick(Connection connection, long nowMillis) {
        if (connection.isClosed()) {
            return;
        }
        if (nowMillis >= connection.expiresAtMillis()) {
            stats.tokenExpiredCloses.increment();
            connection.transport().close(CloseCode.TOKEN_EXPIRED, null);
            return;
        }
        if (nowMillis - connection.lastActivityMillis() > idleTimeoutMillis
                && connection.transport().idleTimeoutApplies()) {
            stats.staleCloses.increment();
            connection.transport().close(CloseCode.STALE, null);
            return;
        }
        if (nowMillis >= connection.nextPingMillis()) {
            connection.nextPingMillis(nowMillis + heartbeatMillis);
            connection.transport().sendControl(ServerMessages.ping());
            // A stream carries nothing inbound: its last sign of life is the ping the server could still write.
            sessions.active(connection.id(), connection.transport().idleTimeoutApplies()
                    ? connection.lastActivityMillis() : nowMillis);
        }
        if (connection.recoveryOverflowed()) {
            connection.transport().close(CloseCode.INSUFFICIENT_STATE, "recovery buffer full");
            return;
        }
        if (connection.hasPendingAcks()) {
            int[] dropped = new int[1];
            List<Event> due = connection.acks().due(nowMillis, settings.ackTimeout().toMillis(),
                    settings.maxRedeliveries(), settings.pendingTtl().toMillis(), dropped);
            if (dropped[0] > 0) {
                stats.ackTrackingExpired.add(dropped[0]);
            }
            for (Event event : due) {
                stats.redeliveries.increment();
                connection.transport().sendControl(redelivered(event));
            }
        }
    }

    /**
     * Lane thread: whether to write {@code event} to {@code connection} now; starts ACK tracking for events that
     * need one. A connection over its pending cap is closed as a slow consumer.
     */
    public boolean admit(Connection connection, Event event, long nowMillis) {
        if (!connection.admits(event)) {
            return false;
        }
        if (event.ackRequired()) {
            var acks = connection.acks();
            if (acks.size() >= settings.maxPendingPerConnection()) {
                stats.slowConsumerCloses.increment();
                connection.transport().close(CloseCode.SLOW_CONSUMER, "more than "
                        + settings.maxPendingPerConnection() + " unacknowledged events");
                return false;
            }
            acks.track(event, nowMillis);
        }
        return true;
    }

    /** The event's bytes with {@code "redelivered":true} appended (events are JSON objects). */
    static byte[] redelivered(Event event) {
        byte[] json = event.json();
        byte[] suffix = REDELIVERED_SUFFIX;
        byte[] out = java.util.Arrays.copyOf(json, json.length - 1 + suffix.length);
        System.arraycopy(suffix, 0, out, json.length - 1, suffix.length);
        return out;
    }

    private static final byte[] REDELIVERED_SUFFIX =
            ",\"redelivered\":true}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    /** A text frame arrived: decode, rate-limit, handle. Bad input gets an error frame; the connection stays open. */
    public void onText(Connection connection, byte[] utf8) {
        long now = clock.getAsLong();
        connection.touch(now);
        stats.messagesIn.increment();
        ClientMessage message;
        try {
            message = ClientMessageDecoder.decode(utf8);
        } catch (ProtocolException e) {
            if (rateLimited(connection, now, e.ref())) {
                return;
            }
            stats.invalidMessages.increment();
            sendError(connection, e.code(), e.getMessage(), e.ref());
            return;
        }
        if (!(message instanceof ClientMessage.Ack) && !(message instanceof ClientMessage.Pong)
                && rateLimited(connection, now, message.id())) {
            return;
        }
        try {
            switch (message) {
                case ClientMessage.Subscribe s -> subscribe(connection, s);
                case ClientMessage.Unsubscribe u -> unsubscribe(connection, u);
                case ClientMessage.Ack a -> ack(connection, a);
                case ClientMessage.Ping p -> connection.transport().sendControl(ServerMessages.pong(p.id(), now));
                case ClientMessage.Pong p -> { }
            }
        } catch (ProtocolException e) {
            stats.invalidMessages.increment();
            sendError(connection, e.code(), e.getMessage(), e.ref() != null ? e.ref() : message.id());
        } catch (RuntimeException e) {
            // A fault of ours: the client gets a stable code, the details stay in the server log.
            stats.internalErrors.increment();
            LOG.error("internal error handling a {} message of connection {}", message.getClass().getSimpleName(),
                    connection.id(), e);
            sendError(connection, ErrorCode.INTERNAL, null, message.id());
        }
    }

    /** A binary frame arrived: it takes a rate-limit token like any message and is answered with an error. */
    public void onBinary(Connection connection) {
        long now = clock.getAsLong();
        connection.touch(now);
        stats.messagesIn.increment();
        if (rateLimited(connection, now, null)) {
            return;
        }
        stats.invalidMessages.increment();
        sendError(connection, ErrorCode.UNSUPPORTED_FRAME, null, null);
    }

    private boolean rateLimited(Connection connection, long now, String ref) {
        int refusals = connection.takeToken(now);
        if (refusals == 0) {
            return false;
        }
        stats.rateLimited.increment();
        if (refusals >= settings.rateLimitCloseAfter()) {
            if (refusals == settings.rateLimitCloseAfter()) {
                stats.rateLimitCloses.increment();
            }
            connection.transport().close(CloseCode.POLICY_VIOLATION, null);
        } else {
            sendError(connection, ErrorCode.RATE_LIMITED, "rate limit of " + settings.rateLimitPerMinute()
                    + " messages per minute exceeded; message dropped", ref);
        }
        return true;
    }

    private void sendError(Connection connection, ErrorCode code, String message, String ref) {
        connection.transport().sendControl(ServerMessages.error(code, message, ref));
    }

    // ---------------------------------------------------------------- protocol

    private void subscribe(Connection connection, ClientMessage.Subscribe message) throws ProtocolException {
        List<String> targets = message.channels() != null ? distinct(message.channels())
                : List.of(ChannelNames.userChannel(connection.userId()));
        if (message.since() != null) {
            for (String channel : message.since().keySet()) {
                if (!targets.contains(channel)) {
                    throw new ProtocolException(ErrorCode.INVALID_FIELD,
                            "since." + channel + ": channel is not among the channels of this subscribe");
                }
            }
        }
        for (String channel : targets) {
            if (!access.canRead(connection.token(), channel)) {
                stats.forbidden.increment();
                throw new ProtocolException(ErrorCode.FORBIDDEN, "not allowed to subscribe to " + channel);
            }
        }
        EventFilter filter = null;
        if (message.filters() != null) {
            try {
                filter = EventFilter.parse(message.filters());
            } catch (FilterException e) {
                throw new ProtocolException(ErrorCode.INVALID_FIELD, e.field() + ": " + e.getMessage());
            }
        }
        int added = 0;
        for (String channel : targets) {
            if (connection.subscription(channel) == null) {
                added++;
            }
        }
        if (connection.subscriptionCount() + added > settings.maxSubscriptionsPerConnection()) {
            throw new ProtocolException(ErrorCode.LIMIT_EXCEEDED, "a connection may hold at most "
                    + settings.maxSubscriptionsPerConnection() + " subscriptions");
        }
        for (String channel : targets) {
            if (message.since() != null && message.since().containsKey(channel)) {
                connection.beginRecovery(channel);
            }
            Subscription current = connection.subscription(channel);
            Subscription next;
            if (current == null) {
                next = new Subscription(connection, channel, TypeSelection.of(message.events()),
                        filter != null ? filter : EventFilter.NONE);
            } else {
                next = current.with(message.events() != null ? current.types().add(message.events()) : current.types(),
                        filter != null ? filter : current.filter());
            }
            connection.putSubscription(next);
            hub.put(next);
        }
        if (message.since() != null) {
            recovery.subscribeSince(connection, message.id(), targets, message.since());
        } else {
            replyWithPositions(connection, message.id(), targets, true);
            saveSession(connection);
        }
    }

    private void unsubscribe(Connection connection, ClientMessage.Unsubscribe message) {
        List<String> targets = message.channels() != null ? distinct(message.channels())
                : List.of(ChannelNames.userChannel(connection.userId()));
        for (String channel : targets) {
            Subscription current = connection.subscription(channel);
            if (current == null) {
                continue;
            }
            if (message.events() == null) {
                connection.removeSubscription(channel);
                connection.dropPosition(channel);
                connection.endRecovery(channel);
                hub.remove(current);
            } else {
                TypeSelection remaining = current.types().remove(message.events());
                if (!remaining.all() && remaining.included().isEmpty()) {
                    // No type left: the same as unsubscribing the channel (frees the subscription slot).
                    connection.removeSubscription(channel);
                    connection.dropPosition(channel);
                    connection.endRecovery(channel);
                    hub.remove(current);
                } else {
                    Subscription next = current.with(remaining, current.filter());
                    connection.putSubscription(next);
                    hub.put(next);
                }
            }
        }
        List<String> touched = new ArrayList<>();
        for (String channel : targets) {
            if (connection.subscription(channel) != null) {
                touched.add(channel);
            }
        }
        replyWithPositions(connection, message.id(), touched, false);
        saveSession(connection);
    }

    private void ack(Connection connection, ClientMessage.Ack message) {
        int acknowledged = 0;
        List<String> owned = null;
        for (String eventId : message.eventIds()) {
            Event event = connection.hasPendingAcks() ? connection.acks().ack(eventId) : null;
            if (event == null) {
                continue;
            }
            acknowledged++;
            if (ownerOf(event.channel()) != null) {
                if (owned == null) {
                    owned = new ArrayList<>();
                }
                owned.add(eventId);
            }
        }
        stats.acks.add(acknowledged);
        if (owned != null) {
            pending.acked(connection.userId(), owned, clock.getAsLong());
        }
        if (message.id() != null) {
            connection.transport().sendControl(ServerMessages.acked(message.id(), acknowledged,
                    message.eventIds().size() - acknowledged));
        }
    }

    /** The user a channel belongs to when its namespace is owner-only ({@code user:42} -> 42), else null. */
    String ownerOf(String channel) {
        NamespaceSettings ns = namespaces.ofChannel(channel);
        return ns.access() == io.eventgate.core.channel.Access.OWNER
                ? channel.substring(ns.name().length() + 1) : null;
    }

    /** Sends the connection's whole subscription, with current positions of {@code positioned} channels. */
    private void replyWithPositions(Connection connection, String ref, List<String> positioned, boolean subscribed) {
        Map<String, CompletableFuture<StreamPosition>> positions = new HashMap<>();
        for (String channel : positioned) {
            positions.put(channel, engine.position(channel));
        }
        CompletableFuture.allOf(positions.values().toArray(CompletableFuture[]::new)).whenComplete((ok, error) ->
                connection.transport().lane().execute(() -> {
                    if (connection.isClosed()) {
                        return;
                    }
                    List<SubscriptionState> states = new ArrayList<>();
                    for (Subscription s : sorted(connection)) {
                        CompletableFuture<StreamPosition> f = positions.get(s.channel());
                        StreamPosition p = f != null && !f.isCompletedExceptionally() ? f.getNow(null) : null;
                        if (p != null) {
                            connection.initPosition(s.channel(), p.seq(), p.epoch());
                        }
                        states.add(state(s, p == null ? -1 : p.seq(), p == null ? null : p.epoch(), null));
                    }
                    connection.transport().sendControl(subscribed ? ServerMessages.subscribed(ref, states)
                            : ServerMessages.unsubscribed(ref, states));
                    if (!positions.isEmpty()) {
                        saveSession(connection); // now with the new channels' starting positions
                    }
                }));
    }

    static SubscriptionState state(Subscription s, long seq, String epoch, Boolean recovered) {
        return new SubscriptionState(s.channel(), s.types().included(), s.types().excluded(), s.filter().toJson(),
                seq, epoch, recovered);
    }

    /** Persists the connection's subscriptions and positions for a later resume. */
    void saveSession(Connection connection) {
        List<SubscriptionSnapshot> subs = new ArrayList<>();
        Map<String, Long> firstUnacked = new HashMap<>();
        if (connection.hasPendingAcks()) {
            for (Event e : connection.acks().events()) {
                firstUnacked.merge(e.channel() + "\n" + e.epoch(), e.seq(), Math::min);
            }
        }
        for (Subscription s : connection.subscriptions()) {
            Connection.Position p = connection.position(s.channel());
            long seq = p == null ? 0 : p.seq();
            if (p != null) {
                // An event written but not acknowledged may never have arrived: resume from just before it.
                Long unacked = firstUnacked.get(s.channel() + "\n" + p.epoch());
                if (unacked != null && unacked - 1 < seq) {
                    seq = unacked - 1;
                }
            }
            subs.add(new SubscriptionSnapshot(s.channel(), s.types().included(), s.types().excluded(),
                    s.filter().toJson(), seq, p == null ? null : p.epoch()));
        }
        sessions.save(new SessionSnapshot(connection.sessionId(), connection.userId(), subs, clock.getAsLong()));
    }

    static List<Subscription> sorted(Connection connection) {
        List<Subscription> list = new ArrayList<>(connection.subscriptions());
        list.sort((a, b) -> a.channel().compareTo(b.channel()));
        return list;
    }

    private static List<String> distinct(List<String> channels) {
        return List.copyOf(new LinkedHashSet<>(channels));
    }

    // ---------------------------------------------------------------- publishing and administration (any thread)

    /**
     * Publishes an event (validated by the caller with {@link ClientMessageDecoder#requireEvent}) to a channel.
     * Completes with the sequenced event, or exceptionally when the engine could not sequence it.
     */
    public CompletableFuture<Event> publish(String channel, ObjectNode event, PublishOptions options)
            throws ProtocolException {
        String problem = ChannelNames.problem(channel);
        if (problem != null) {
            throw new ProtocolException(ErrorCode.INVALID_FIELD, "channel: " + problem);
        }
        String owner = ownerOf(channel);
        if (owner != null && !pending.accepting()
                && (options.ack() != null ? options.ack() : namespaces.ofChannel(channel).ackRequired())) {
            // Refuse before sequencing, so a 503 never follows an event that was already delivered.
            stats.publishFailures.increment();
            return CompletableFuture.failedFuture(new io.eventgate.core.engine.EngineUnavailableException(
                    "durable store buffer full (database unreachable)"));
        }
        return engine.publish(channel, event, options).thenCompose(this::afterSequenced).whenComplete((e, error) -> {
            if (error == null) {
                stats.eventsPublished.increment();
            } else {
                stats.publishFailures.increment();
            }
        });
    }

    /**
     * Owner-channel events that need an ACK are recorded as pending for their user before the publish succeeds;
     * critical ones for a user with no live connection on this node go to the fallback.
     */
    private CompletableFuture<Event> afterSequenced(Event event) {
        String owner = ownerOf(event.channel());
        if (owner == null) {
            return CompletableFuture.completedFuture(event);
        }
        if (event.critical() && fallback != FallbackNotifier.NONE && !hub.hasConnections(owner)) {
            stats.fallbacks.increment();
            fallback.notify(owner, event, FallbackNotifier.Reason.NO_CONNECTION);
        }
        if (!event.ackRequired()) {
            return CompletableFuture.completedFuture(event);
        }
        return pending.append(owner, event).thenApply(v -> event);
    }

    /** Drops expired pending events; critical ones go to the fallback. Called by housekeeping. */
    public void expirePending() {
        for (PendingStore.Expired expired : pending.expire(clock.getAsLong())) {
            stats.criticalExpired.increment();
            if (expired.event().critical() && fallback != FallbackNotifier.NONE) {
                stats.fallbacks.increment();
                fallback.notify(expired.userId(), expired.event(), FallbackNotifier.Reason.NOT_ACKNOWLEDGED);
            }
        }
    }

    /** Closes every connection of the user with {@link CloseCode#DISCONNECTED}; returns how many. */
    public int disconnectUser(String userId, CloseCode code) {
        List<Connection> connections = hub.connectionsOf(userId);
        for (Connection c : connections) {
            c.transport().close(code, null);
        }
        return connections.size();
    }

    public Hub hub() {
        return hub;
    }

    public SessionStore sessions() {
        return sessions;
    }

    public PendingStore pendingStore() {
        return pending;
    }

    public Namespaces namespaces() {
        return namespaces;
    }

    /** This node's id (connection records, cluster membership). */
    public void nodeId(String id) {
        this.nodeId = id;
    }

    public String nodeId() {
        return nodeId;
    }

    public Engine engine() {
        return engine;
    }

    public ChannelAccess access() {
        return access;
    }

    public GatewayStats stats() {
        return stats;
    }

    public GatewaySettings settings() {
        return settings;
    }

    public long now() {
        return clock.getAsLong();
    }

    @Override
    public void close() {
        engine.close();
        sessions.close();
        pending.close();
    }

    static String randomId(int length) {
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = ID_ALPHABET[RANDOM.nextInt(ID_ALPHABET.length)];
        }
        return new String(out);
    }
}
