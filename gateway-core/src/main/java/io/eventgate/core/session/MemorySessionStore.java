package io.eventgate.core.session;

import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Sessions in this process: kept for {@code ttlMillis} after their last save, at most {@code maxSessions}
 * (the oldest are dropped first by {@link #sweep()}; a dropped session resumes with {@code recovered:false}).
 */
public final class MemorySessionStore implements SessionStore {
    private final ConcurrentHashMap<String, SessionSnapshot> sessions = new ConcurrentHashMap<>();
    private final long ttlMillis;
    private final int maxSessions;
    private final LongSupplier clock;

    public MemorySessionStore(long ttlMillis, int maxSessions, LongSupplier clock) {
        this.ttlMillis = ttlMillis;
        this.maxSessions = maxSessions;
        this.clock = clock;
    }

    @Override
    public void save(SessionSnapshot snapshot) {
        sessions.put(snapshot.sessionId(), snapshot);
        if (sessions.size() > maxSessions) {
            sweep();
        }
    }

    @Override
    public CompletableFuture<Optional<SessionSnapshot>> load(String sessionId) {
        SessionSnapshot s = sessions.get(sessionId);
        if (s != null && clock.getAsLong() - s.savedAtMillis() > ttlMillis) {
            sessions.remove(sessionId, s);
            s = null;
        }
        return CompletableFuture.completedFuture(Optional.ofNullable(s));
    }

    /** Drops expired sessions, then the oldest while over the cap. */
    public void sweep() {
        long now = clock.getAsLong();
        sessions.values().removeIf(s -> now - s.savedAtMillis() > ttlMillis);
        int excess = sessions.size() - maxSessions;
        if (excess > 0) {
            var oldest = sessions.values().stream()
                    .sorted(java.util.Comparator.comparingLong(SessionSnapshot::savedAtMillis))
                    .limit(excess).toList();
            oldest.forEach(s -> sessions.remove(s.sessionId(), s));
        }
    }

    public int size() {
        return sessions.size();
    }
}
