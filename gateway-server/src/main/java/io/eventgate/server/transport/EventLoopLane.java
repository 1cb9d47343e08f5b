package io.eventgate.server.transport;

import io.eventgate.core.Gateway;
import io.eventgate.core.engine.Event;
import io.eventgate.core.hub.Connection;
import io.eventgate.core.hub.Lane;
import io.eventgate.core.hub.Subscription;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.internal.PlatformDependent;
import java.util.ArrayList;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A delivery lane bound to one Netty event loop.
 *
 * <p>Publishers enqueue (event, subscriber snapshot) batches into a bounded MPSC queue; one drain task per loop
 * runs at a time. The drain writes every queued event to every admitted recipient and flushes each touched
 * connection once at the end, so events that queue up for a connection leave in one syscall.
 *
 * <p>The lane also owns the heartbeat sweep of its connections: one periodic task per loop.
 */
public final class EventLoopLane implements Lane {
    /** Queued batches per lane before {@link #enqueue} refuses (the event stays in history; see Hub). */
    public static final int DEFAULT_QUEUE_CAPACITY = 65_536;
    /** Recipients handled per drain task before the event loop serves I/O again. */
    static final int RECIPIENT_BUDGET = 2_048;

    private final EventLoop loop;
    private final Gateway gateway;
    private final Queue<Batch> queue;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drain;
    private final ArrayList<WebSocketSession> dirty = new ArrayList<>();
    private final ArrayList<WebSocketSession> sessions = new ArrayList<>();
    /** The batch being delivered across drain tasks, its next recipient, its shared frame (owned by the lane). */
    private Batch current;
    private int cursor;
    private ByteBuf currentFrame;
    private long currentNow;

    public EventLoopLane(EventLoop loop, int queueCapacity, Gateway gateway) {
        this.loop = loop;
        this.gateway = gateway;
        this.queue = PlatformDependent.newFixedMpscQueue(queueCapacity);
    }

    public EventLoop loop() {
        return loop;
    }

    @Override
    public boolean enqueue(Event event, Subscription[] subscribers) {
        if (!queue.offer(new Batch(event, subscribers))) {
            return false;
        }
        if (scheduled.compareAndSet(false, true)) {
            loop.execute(drainTask);
        }
        return true;
    }

    @Override
    public void execute(Runnable task) {
        loop.execute(task);
    }

    @Override
    public boolean inLane() {
        return loop.inEventLoop();
    }

    /**
     * One drain task: delivers queued batches until {@link #RECIPIENT_BUDGET} recipients were handled, flushes every
     * touched connection once, and re-schedules itself if work is left. A large fan-out is thus cut into slices
     * between which the event loop serves its sockets' I/O (API requests, ACKs), instead of holding it for the whole
     * broadcast; order per connection is kept because a partly delivered batch is resumed before the next one.
     */
    private void drain() {
        scheduled.set(false);
        int budget = RECIPIENT_BUDGET;
        while (budget > 0) {
            if (current == null) {
                current = queue.poll();
                if (current == null) {
                    break;
                }
                cursor = 0;
                currentNow = gateway.now();
            }
            Subscription[] subscribers = current.subscribers;
            int end = (int) Math.min(subscribers.length, (long) cursor + budget);
            budget -= Math.max(1, end - cursor);
            deliver(current.event, subscribers, cursor, end);
            cursor = end;
            if (cursor < subscribers.length) {
                break;
            }
            finishBatch();
        }
        for (int i = 0, n = dirty.size(); i < n; i++) {
            dirty.get(i).flushCoalesced();
        }
        dirty.clear();
        if ((current != null || !queue.isEmpty()) && scheduled.compareAndSet(false, true)) {
            loop.execute(drainTask);
        }
    }

    private void finishBatch() {
        current = null;
        if (currentFrame != null) {
            currentFrame.release();
            currentFrame = null;
        }
    }

    /** Writes {@code event} to the admitted subscribers in {@code [from, to)}; the frame is encoded once per batch. */
    private void deliver(Event event, Subscription[] subscribers, int from, int to) {
        for (int i = from; i < to; i++) {
            Connection connection = subscribers[i].connection();
            WebSocketSession session = (WebSocketSession) connection.transport();
            if (!session.hasRoomFor(event.json().length + WebSocketFrames.MAX_HEADER_BYTES) || !gateway.admit(connection, event, currentNow)) {
                continue;
            }
            if (currentFrame == null) {
                currentFrame = WebSocketFrames.text(session.alloc(), event.json());
            }
            if (session.writeShared(currentFrame) && session.markDirty()) {
                dirty.add(session);
            }
        }
    }

    /** Loop thread. */
    void register(WebSocketSession session) {
        session.laneIndex(sessions.size());
        sessions.add(session);
    }

    /** Loop thread. Swap-remove keeps it O(1). */
    void unregister(WebSocketSession session) {
        int index = session.laneIndex();
        if (index < 0 || index >= sessions.size() || sessions.get(index) != session) {
            return;
        }
        WebSocketSession last = sessions.remove(sessions.size() - 1);
        if (last != session) {
            sessions.set(index, last);
            last.laneIndex(index);
        }
        session.laneIndex(-1);
    }

    /** Starts the periodic heartbeat sweep on this loop. */
    public void startSweep(long periodMillis) {
        loop.scheduleAtFixedRate(() -> {
            long now = gateway.now();
            for (int i = sessions.size() - 1; i >= 0; i--) {
                if (i < sessions.size()) {
                    WebSocketSession session = sessions.get(i);
                    if (session.connection() != null) {
                        gateway.tick(session.connection(), now);
                    }
                }
            }
        }, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    /** Loop thread: closes every session of this lane (shutdown). */
    public void closeAll(io.eventgate.protocol.CloseCode code) {
        for (WebSocketSession session : new ArrayList<>(sessions)) {
            session.close(code, null);
        }
    }

    public int sessionCount() {
        return sessions.size();
    }

    private record Batch(Event event, Subscription[] subscribers) {}
}
