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
 * connection once at the end, so events that queue up for a connection leave in one syscall; events queued for
 * the same subscriber set are delivered recipient by recipient (a run), so this holds for a large fan-out too.
 *
 * <p>The lane also owns the heartbeat sweep of its connections: one periodic task per loop.
 */
public final class EventLoopLane implements Lane {
    /** Queued batches per lane before {@link #enqueue} refuses (the event stays in history; see Hub). */
    public static final int DEFAULT_QUEUE_CAPACITY = 65_536;
    /** Recipients handled per drain task before the event loop serves I/O again. */
    static final int RECIPIENT_BUDGET = 2_048;
    /** Most queued events of one subscriber set delivered together (one flush per recipient for all of them). */
    static final int MAX_RUN = 64;
    /** Extra events of a run that cost one unit of {@link #RECIPIENT_BUDGET} per recipient (a write, not a send). */
    static final int RUN_EVENTS_PER_UNIT = 8;

    private final EventLoop loop;
    private final Gateway gateway;
    private final Queue<Batch> queue;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Runnable drainTask = this::drain;
    private final ArrayList<ClientSession> dirty = new ArrayList<>();
    private final ArrayList<ClientSession> sessions = new ArrayList<>();
    /**
     * The run being delivered across drain tasks: consecutive queued batches with the same subscriber array (the
     * hub's copy-on-write snapshot of one channel on this lane), their shared frames (owned by the lane, encoded on
     * first use), the next recipient, and the first queued batch that did not belong to the run.
     */
    private final Batch[] run = new Batch[MAX_RUN];
    private final ByteBuf[][] runFrames = new ByteBuf[ClientSession.FRAME_FORMS][MAX_RUN];
    private int runSize;
    private int cursor;
    private long runNow;
    private Batch lookahead;

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
     * One drain task: delivers queued events until {@link #RECIPIENT_BUDGET} recipients were handled, flushes every
     * touched connection once, and re-schedules itself if work is left. A large fan-out is thus cut into slices
     * between which the event loop serves its sockets' I/O (API requests, ACKs), instead of holding it for the whole
     * broadcast; order per connection is kept because a partly delivered run is resumed before the next one.
     *
     * <p><b>Write coalescing.</b> Events that queued up for the same subscriber set while the lane was busy (a
     * broadcast channel published faster than one fan-out takes) form a run of up to {@link #MAX_RUN}: each recipient
     * gets all of them written and then one flush, so a send system call carries several frames. The run forms only
     * from what is already queued when it starts, so a lone event is never delayed; the busier the lane, the more
     * frames per send.
     */
    private void drain() {
        scheduled.set(false);
        int budget = RECIPIENT_BUDGET;
        while (budget > 0) {
            if (runSize == 0) {
                if (!startRun()) {
                    break;
                }
            }
            Subscription[] subscribers = run[0].subscribers;
            int unitsPerRecipient = 1 + (runSize - 1) / RUN_EVENTS_PER_UNIT;
            int end = (int) Math.min(subscribers.length, (long) cursor + Math.max(1, budget / unitsPerRecipient));
            budget -= Math.max(1, (end - cursor) * unitsPerRecipient);
            deliver(subscribers, cursor, end);
            cursor = end;
            if (cursor < subscribers.length) {
                break;
            }
            finishRun();
        }
        for (int i = 0, n = dirty.size(); i < n; i++) {
            dirty.get(i).flushCoalesced();
        }
        dirty.clear();
        if ((runSize > 0 || lookahead != null || !queue.isEmpty()) && scheduled.compareAndSet(false, true)) {
            loop.execute(drainTask);
        }
    }

    /** Takes the next run from the queue: one batch and the queued batches right behind it with the same array. */
    private boolean startRun() {
        Batch first = lookahead != null ? lookahead : queue.poll();
        lookahead = null;
        if (first == null) {
            return false;
        }
        run[0] = first;
        runSize = 1;
        while (runSize < MAX_RUN) {
            Batch next = queue.poll();
            if (next == null) {
                break;
            }
            if (next.subscribers != first.subscribers) {
                lookahead = next;
                break;
            }
            run[runSize++] = next;
        }
        cursor = 0;
        runNow = gateway.now();
        return true;
    }

    private void finishRun() {
        for (int r = 0; r < runSize; r++) {
            run[r] = null;
            for (ByteBuf[] frames : runFrames) {
                if (frames[r] != null) {
                    frames[r].release();
                    frames[r] = null;
                }
            }
        }
        runSize = 0;
    }

    /**
     * Writes the run's events, in order, to the admitted subscribers in {@code [from, to)}; each frame is encoded
     * once per run and frame form (WebSocket, SSE), on first use. A connection that got at least one frame is flushed
     * once at the end of the drain task.
     */
    private void deliver(Subscription[] subscribers, int from, int to) {
        for (int i = from; i < to; i++) {
            Connection connection = subscribers[i].connection();
            ClientSession session = (ClientSession) connection.transport();
            ByteBuf[] frames = runFrames[session.frameForm()];
            int overhead = session.frameOverhead();
            boolean wrote = false;
            for (int r = 0; r < runSize; r++) {
                Event event = run[r].event;
                if (!session.hasRoomFor(event.json().length + overhead)
                        || !gateway.admit(connection, event, runNow)) {
                    continue;
                }
                ByteBuf frame = frames[r];
                if (frame == null) {
                    frame = frames[r] = Frames.encode(session.frameForm(), session.alloc(), event.json());
                }
                wrote |= session.writeShared(frame);
            }
            if (wrote && session.markDirty()) {
                dirty.add(session);
            }
        }
    }

    /** Loop thread. */
    void register(ClientSession session) {
        session.laneIndex(sessions.size());
        sessions.add(session);
    }

    /** Loop thread. Swap-remove keeps it O(1). */
    void unregister(ClientSession session) {
        int index = session.laneIndex();
        if (index < 0 || index >= sessions.size() || sessions.get(index) != session) {
            return;
        }
        ClientSession last = sessions.remove(sessions.size() - 1);
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
                    ClientSession session = sessions.get(i);
                    if (session.connection() != null) {
                        gateway.tick(session.connection(), now);
                    }
                }
            }
        }, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
    }

    /** Loop thread: closes every session of this lane (shutdown). */
    public void closeAll(io.eventgate.protocol.CloseCode code) {
        for (ClientSession session : new ArrayList<>(sessions)) {
            session.close(code, null);
        }
    }

    public int sessionCount() {
        return sessions.size();
    }

    private record Batch(Event event, Subscription[] subscribers) {}
}
