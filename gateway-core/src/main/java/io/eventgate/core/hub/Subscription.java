package io.eventgate.core.hub;

import io.eventgate.core.engine.Event;
import io.eventgate.core.filter.EventFilter;

/**
 * One connection's subscription to one channel: which types, which filter. Immutable; a change replaces it.
 */
public final class Subscription {
    private final Connection connection;
    private final String channel;
    private final TypeSelection types;
    private final EventFilter filter;

    public Subscription(Connection connection, String channel, TypeSelection types, EventFilter filter) {
        this.connection = connection;
        this.channel = channel;
        this.types = types;
        this.filter = filter;
    }

    /** Whether the event passes this subscription's type selection and filter (no allocation). */
    public boolean accepts(Event event) {
        return types.accepts(event.type()) && (filter.isNone() || filter.test(event.filterBody()));
    }

    public Connection connection() {
        return connection;
    }

    public String channel() {
        return channel;
    }

    public TypeSelection types() {
        return types;
    }

    public EventFilter filter() {
        return filter;
    }

    public Subscription with(TypeSelection newTypes, EventFilter newFilter) {
        return new Subscription(connection, channel, newTypes, newFilter);
    }
}
