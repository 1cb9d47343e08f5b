package io.eventgate.core.hub;

import io.eventgate.core.engine.Engine;
import io.eventgate.core.engine.Event;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Routing tables: channel → subscribers (grouped by lane) and user → connections.
 *
 * <p>The dispatch path ({@link #dispatch}) is lock-free: it reads an immutable snapshot of a channel's subscribers,
 * already grouped by lane, and hands each lane one batch. Changes (subscribe, unsubscribe, disconnect) build a new
 * snapshot under the map's per-key lock (copy-on-write), which is the right trade for a table that is read once per
 * event and changed once per subscription.
 */
public final class Hub {
    private final ConcurrentHashMap<String, ChannelSubscribers> channels = new ConcurrentHashMap<>();
    /** user -> connections, an immutable array per user (copy-on-write): ~40 B per user instead of a set's ~200 B. */
    private final ConcurrentHashMap<String, Connection[]> users = new ConcurrentHashMap<>();
    private final AtomicInteger connectionCount = new AtomicInteger();
    private final AtomicInteger subscriptionCount = new AtomicInteger();
    private final LongAdder laneDrops = new LongAdder();
    private final Engine engine;

    public Hub(Engine engine) {
        this.engine = engine;
    }

    /** Hands the event to every lane that has subscribers of its channel. Never blocks. */
    public void dispatch(Event event) {
        ChannelSubscribers subscribers = channels.get(event.channel());
        if (subscribers == null) {
            return;
        }
        for (LaneGroup group : subscribers.groups) {
            if (!group.lane.enqueue(event, group.subscriptions)) {
                laneDrops.increment();
                // The event is in history; closing with a resume code makes each affected client recover it.
                for (Subscription s : group.subscriptions) {
                    s.connection().transport().close(io.eventgate.protocol.CloseCode.INSUFFICIENT_STATE,
                            "delivery queue full");
                }
            }
        }
    }

    /**
     * The engine may have missed events of the channel: every local subscriber is closed with 4200 so its client
     * resumes at once and recovers from history (or learns {@code recovered:false}). Returns how many.
     */
    public int streamGap(String channel) {
        ChannelSubscribers subscribers = channels.get(channel);
        if (subscribers == null) {
            return 0;
        }
        int n = 0;
        for (LaneGroup group : subscribers.groups) {
            for (Subscription s : group.subscriptions) {
                s.connection().transport().close(io.eventgate.protocol.CloseCode.INSUFFICIENT_STATE,
                        "events may have been missed");
                n++;
            }
        }
        return n;
    }

    /** Channels with at least one local subscriber. */
    public Set<String> channels() {
        return java.util.Collections.unmodifiableSet(channels.keySet());
    }

    /** Adds, or replaces the connection's existing subscription to the same channel. */
    public void put(Subscription subscription) {
        channels.compute(subscription.channel(), (channel, current) -> {
            if (current == null) {
                engine.interest(channel, true);
                subscriptionCount.incrementAndGet();
                return ChannelSubscribers.of(subscription);
            }
            ChannelSubscribers next = current.with(subscription);
            if (next.size() > current.size()) {
                subscriptionCount.incrementAndGet();
            }
            return next;
        });
    }

    public void remove(Subscription subscription) {
        channels.computeIfPresent(subscription.channel(), (channel, current) -> {
            ChannelSubscribers next = current.without(subscription.connection());
            if (next.size() < current.size()) {
                subscriptionCount.decrementAndGet();
            }
            if (next.size() == 0) {
                engine.interest(channel, false);
                return null;
            }
            return next;
        });
    }

    public void register(Connection connection) {
        connectionCount.incrementAndGet();
        users.compute(connection.userId(), (u, current) -> {
            if (current == null) {
                return new Connection[] {connection};
            }
            Connection[] next = Arrays.copyOf(current, current.length + 1);
            next[current.length] = connection;
            return next;
        });
    }

    public void unregister(Connection connection) {
        users.computeIfPresent(connection.userId(), (u, current) -> {
            for (int i = 0; i < current.length; i++) {
                if (current[i] == connection) {
                    connectionCount.decrementAndGet();
                    if (current.length == 1) {
                        return null;
                    }
                    Connection[] next = new Connection[current.length - 1];
                    System.arraycopy(current, 0, next, 0, i);
                    System.arraycopy(current, i + 1, next, i, current.length - i - 1);
                    return next;
                }
            }
            return current;
        });
    }

    /** A snapshot of the user's live connections. */
    public List<Connection> connectionsOf(String userId) {
        Connection[] current = users.get(userId);
        return current == null ? List.of() : List.of(current);
    }

    public boolean hasConnections(String userId) {
        return users.containsKey(userId);
    }

    public int connectionCount() {
        return connectionCount.get();
    }

    public int userCount() {
        return users.size();
    }

    public int channelCount() {
        return channels.size();
    }

    public int subscriptionCount() {
        return subscriptionCount.get();
    }

    public long laneDrops() {
        return laneDrops.sum();
    }

    public int subscriberCount(String channel) {
        ChannelSubscribers s = channels.get(channel);
        return s == null ? 0 : s.size();
    }

    /** A lane and its subscribers of one channel. */
    record LaneGroup(Lane lane, Subscription[] subscriptions) {}

    /** Immutable snapshot of one channel's subscribers, grouped by lane. */
    static final class ChannelSubscribers {
        final LaneGroup[] groups;
        private final int size;

        private ChannelSubscribers(LaneGroup[] groups) {
            this.groups = groups;
            int n = 0;
            for (LaneGroup g : groups) {
                n += g.subscriptions.length;
            }
            this.size = n;
        }

        static ChannelSubscribers of(Subscription s) {
            return new ChannelSubscribers(new LaneGroup[] {new LaneGroup(s.connection().transport().lane(),
                    new Subscription[] {s})});
        }

        int size() {
            return size;
        }

        ChannelSubscribers with(Subscription s) {
            Lane lane = s.connection().transport().lane();
            LaneGroup[] next = groups.clone();
            for (int g = 0; g < next.length; g++) {
                if (next[g].lane == lane) {
                    Subscription[] subs = next[g].subscriptions;
                    for (int i = 0; i < subs.length; i++) {
                        if (subs[i].connection() == s.connection()) {
                            Subscription[] replaced = subs.clone();
                            replaced[i] = s;
                            next[g] = new LaneGroup(lane, replaced);
                            return new ChannelSubscribers(next);
                        }
                    }
                    Subscription[] grown = Arrays.copyOf(subs, subs.length + 1);
                    grown[subs.length] = s;
                    next[g] = new LaneGroup(lane, grown);
                    return new ChannelSubscribers(next);
                }
            }
            next = Arrays.copyOf(next, next.length + 1);
            next[next.length - 1] = new LaneGroup(lane, new Subscription[] {s});
            return new ChannelSubscribers(next);
        }

        ChannelSubscribers without(Connection connection) {
            Lane lane = connection.transport().lane();
            for (int g = 0; g < groups.length; g++) {
                if (groups[g].lane != lane) {
                    continue;
                }
                Subscription[] subs = groups[g].subscriptions;
                for (int i = 0; i < subs.length; i++) {
                    if (subs[i].connection() == connection) {
                        if (subs.length == 1) {
                            LaneGroup[] next = new LaneGroup[groups.length - 1];
                            System.arraycopy(groups, 0, next, 0, g);
                            System.arraycopy(groups, g + 1, next, g, groups.length - g - 1);
                            return new ChannelSubscribers(next);
                        }
                        Subscription[] shrunk = new Subscription[subs.length - 1];
                        System.arraycopy(subs, 0, shrunk, 0, i);
                        System.arraycopy(subs, i + 1, shrunk, i, subs.length - i - 1);
                        LaneGroup[] next = groups.clone();
                        next[g] = new LaneGroup(lane, shrunk);
                        return new ChannelSubscribers(next);
                    }
                }
            }
            return this;
        }
    }
}
