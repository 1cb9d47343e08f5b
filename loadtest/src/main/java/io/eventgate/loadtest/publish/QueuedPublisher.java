package io.eventgate.loadtest.publish;

import io.eventgate.loadtest.Hist;
import io.eventgate.loadtest.client.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.SynchronizedHistogram;

/**
 * What the HTTP and Redis publishers share: items queued per connection by route (so one route's items go out in
 * order on one connection), a connection woken once per burst, counters and round-trip times, and reconnecting
 * Netty connections on one event loop thread.
 *
 * @param <C> the publisher's connection
 */
abstract class QueuedPublisher<C extends QueuedPublisher.Conn<?>> implements Publisher {
    protected final Ledger ledger;
    protected final AtomicLong submitted = new AtomicLong();
    protected final AtomicLong published = new AtomicLong();
    protected final AtomicLong failed = new AtomicLong();
    protected final AtomicLong requests = new AtomicLong();
    private final Histogram roundTrip = new SynchronizedHistogram(Hist.MAX_MICROS, 3);
    private final ThreadLocal<List<C>> touched = ThreadLocal.withInitial(ArrayList::new);
    protected EventLoopGroup group;
    protected volatile boolean closing;

    QueuedPublisher(Ledger ledger) {
        this.ledger = ledger;
    }

    /** The connection that carries {@code item}. */
    protected abstract C connectionFor(PublishItem item);

    /** Starts the event loop and connects {@code conns}, failing if one cannot connect within 30 s. */
    protected void connectAll(String threadName, List<? extends Conn<?>> conns, String what) throws Exception {
        group = Transports.group(1, threadName);
        List<ChannelFuture> futures = new ArrayList<>();
        for (Conn<?> c : conns) {
            futures.add(c.connect(group.next()));
        }
        for (ChannelFuture f : futures) {
            if (!f.awaitUninterruptibly(30, TimeUnit.SECONDS) || !f.isSuccess()) {
                throw new java.io.IOException("publisher cannot connect to " + what + ": " + f.cause());
            }
        }
    }

    @Override
    public void submit(PublishItem item) {
        submitted.incrementAndGet();
        C conn = connectionFor(item);
        conn.incoming.add(item);
        List<C> t = touched.get();
        if (!conn.listed) {
            conn.listed = true;
            t.add(conn);
        }
    }

    @Override
    public void flush() {
        List<C> t = touched.get();
        for (C c : t) {
            c.listed = false;
            c.wake();
        }
        t.clear();
    }

    @Override
    public PublisherStats stats() {
        Histogram copy = Hist.create();
        synchronized (roundTrip) {
            copy.add(roundTrip);
        }
        return new PublisherStats(submitted.get(), published.get(), failed.get(), requests.get(), copy);
    }

    /** Records one answered request that took {@code nanos}. */
    protected void answered(long nanos) {
        requests.incrementAndGet();
        Hist.recordMicros(roundTrip, nanos / 1000);
    }

    protected void succeeded(PublishItem item) {
        published.incrementAndGet();
        ledger.published(item);
    }

    protected void failed(PublishItem item, String reason) {
        failed.incrementAndGet();
        ledger.failed(item, reason);
    }

    @Override
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (submitted.get() > published.get() + failed.get()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    @Override
    public void close() {
        closing = true;
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        }
    }

    /**
     * One connection: items arrive on {@link #incoming} from any thread; {@link #pump} runs on its event loop, once
     * per wake-up, and after every answer. Reconnects when closed unless the publisher is closing.
     *
     * @param <M> the message type its codec hands up
     */
    abstract static class Conn<M> extends SimpleChannelInboundHandler<M> {
        final ConcurrentLinkedQueue<PublishItem> incoming = new ConcurrentLinkedQueue<>();
        private final AtomicBoolean scheduled = new AtomicBoolean();
        private final InetSocketAddress address;
        private final QueuedPublisher<?> owner;
        boolean listed; // touched by the submitting thread only
        EventLoop loop;
        Channel channel;

        Conn(QueuedPublisher<?> owner, InetSocketAddress address) {
            this.owner = owner;
            this.address = address;
        }

        /** The codec handlers in front of this one. */
        protected abstract ChannelHandler[] codec();

        /** Writes what the queue allows. Event loop only. */
        protected abstract void pump();

        ChannelFuture connect(EventLoop on) {
            this.loop = on;
            return connect();
        }

        private ChannelFuture connect() {
            Bootstrap b = new Bootstrap().group(loop).channel(Transports.channelClass())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(codec());
                            ch.pipeline().addLast(Conn.this);
                        }
                    });
            ChannelFuture f = b.connect(address);
            f.addListener(x -> {
                if (x.isSuccess()) {
                    channel = f.channel();
                    pump();
                } else if (!owner.closing) {
                    loop.schedule(() -> {
                        connect();
                    }, 500, TimeUnit.MILLISECONDS);
                }
            });
            return f;
        }

        /** After the connection closed: the caller failed what was in flight. */
        protected void reconnectLater() {
            channel = null;
            if (!owner.closing) {
                loop.schedule(() -> {
                    connect();
                }, 100, TimeUnit.MILLISECONDS);
            }
        }

        @Override
        public boolean isSharable() {
            return true; // re-added to the pipeline of a reconnected channel
        }

        void wake() {
            if (scheduled.compareAndSet(false, true)) {
                loop.execute(() -> {
                    scheduled.set(false);
                    pump();
                });
            }
        }
    }
}
