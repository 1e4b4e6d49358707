package io.jix.loadgen;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One generator thread: its connections, its selector, its histogram. Everything it counts is read
 * by {@link LoadGenerator} after the thread has ended (the join orders it).
 */
final class Driver implements Runnable {

    /** When to start, handed from the coordinator to every driver at once. */
    static final class Start {
        private final CountDownLatch latch = new CountDownLatch(1);
        private volatile boolean proceed;
        private volatile long begin;
        private volatile long measureFrom;
        private volatile long end;

        void go(boolean proceed, long begin, long measureFrom, long end) {
            this.begin = begin;
            this.measureFrom = measureFrom;
            this.end = end;
            this.proceed = proceed;
            latch.countDown();
        }
    }

    /** One connection's state; arrays and buffers made once, at connect time. */
    private static final class Conn {
        final int id;
        final SocketChannel channel;
        final Workload.Session session;
        final ByteBuffer tx; // requests not yet written, from 0 to position
        final ByteBuffer rx; // bytes received, not yet parsed, from 0 to position
        final long[] startedAt; // by sequence % depth: when each request in flight began
        SelectionKey key;
        boolean connected;
        boolean dead;
        boolean wantWrite;
        long nextSequence;  // of the next request to send
        long oldest;        // sequence of the oldest request still waiting for its reply
        long budget;        // requests this connection may still send
        long due;           // with a rate: when the next request is due

        Conn(int id, SocketChannel channel, Workload.Session session, int depth, Workload w, long budget) {
            this.id = id;
            this.channel = channel;
            this.session = session;
            this.tx = ByteBuffer.allocateDirect(depth * w.maxRequestBytes());
            this.rx = ByteBuffer.allocateDirect(Math.max(64 * 1024, 4 * w.maxReplyBytes()));
            this.startedAt = new long[depth];
            this.budget = budget;
        }

        int inFlight() {
            return (int) (nextSequence - oldest);
        }
    }

    private final LoadGenerator.Config config;
    private final Workload workload;
    private final int[] ids;
    private final long perConnection;
    private final CountDownLatch connected;
    private final Start start;
    private final int depth;
    private final Pacing pacing;
    private final boolean paced;
    // A recorder, not a plain histogram: a reporter may take each second's samples while we record.
    private final Recorder recorder = new Recorder(LoadGenerator.MAX_LATENCY_NANOS, 3);
    private final Consumer<SelectionKey> onReady = this::ready;
    private Conn[] conns = new Conn[0];
    private Selector selector;
    private String connectFailure;
    private long now;
    private long begin;
    private long measureFrom;
    private int live;
    private int withBudget; // live connections that may still send
    private long completed;
    private long errors;
    private long sent;
    private int lost;
    private long stoppedAt;
    private boolean stoppedByCount;

    Driver(LoadGenerator.Config config, Workload workload, Pacing pacing, int[] ids, long perConnection,
           CountDownLatch connected, Start start) {
        this.config = config;
        this.workload = workload;
        this.ids = ids;
        this.perConnection = perConnection;
        this.connected = connected;
        this.start = start;
        this.depth = config.depth();
        this.pacing = pacing;
        this.paced = pacing.paced();
    }

    String connectFailure() {
        return connectFailure;
    }

    /** The latencies recorded since the previous call (or the start); {@code recycle} may be null. */
    Histogram intervalHistogram(Histogram recycle) {
        return recorder.getIntervalHistogram(recycle);
    }

    long completed() {
        return completed;
    }

    long errors() {
        return errors;
    }

    long sent() {
        return sent;
    }

    int lost() {
        return lost;
    }

    long stoppedAt() {
        return stoppedAt;
    }

    boolean stoppedByCount() {
        return stoppedByCount;
    }

    @Override
    public void run() {
        try (Selector s = Selector.open()) {
            selector = s;
            try {
                connectAll();
            } catch (IOException | RuntimeException e) {
                connectFailure = e.getMessage() == null ? e.toString() : e.getMessage();
            }
            connected.countDown();
            start.latch.await();
            if (start.proceed && connectFailure == null) {
                drive();
            }
        } catch (IOException e) {
            if (connectFailure == null) {
                connectFailure = "selector: " + e;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stoppedAt = System.nanoTime();
            for (Conn c : conns) {
                if (c != null) {
                    closeQuietly(c);
                }
            }
            if (connected.getCount() > 0) {
                connected.countDown(); // failed before counting down: do not keep the coordinator waiting
            }
        }
    }

    // ------------------------------------------------------------------ connecting

    private void connectAll() throws IOException {
        conns = new Conn[ids.length];
        for (int k = 0; k < ids.length; k++) {
            SocketChannel ch = SocketChannel.open();
            try {
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                long budget = perConnection + (ids[k] < config.maxRequests() % config.connections() ? 1 : 0);
                Conn c = new Conn(ids[k], ch, workload.session(ids[k]), depth, workload, budget);
                conns[k] = c;
                c.connected = ch.connect(config.target());
                c.key = ch.register(selector, c.connected ? 0 : SelectionKey.OP_CONNECT, c);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }
        long deadline = System.nanoTime() + config.connectTimeout().toNanos();
        int pending = 0;
        for (Conn c : conns) {
            pending += c.connected ? 0 : 1;
        }
        while (pending > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IOException(pending + " of " + conns.length + " connections still connecting after "
                        + config.connectTimeout().toMillis() + " ms");
            }
            selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            var it = selector.selectedKeys().iterator();
            while (it.hasNext()) {
                SelectionKey key = it.next();
                it.remove();
                Conn c = (Conn) key.attachment();
                if (!c.connected && key.isConnectable()) {
                    try {
                        c.connected = c.channel.finishConnect();
                    } catch (IOException e) {
                        throw new IOException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
                    }
                    if (c.connected) {
                        key.interestOps(0);
                        pending--;
                    }
                }
            }
        }
        live = conns.length;
        withBudget = conns.length;
    }

    // ------------------------------------------------------------------ the run

    private void drive() throws IOException {
        begin = start.begin;
        measureFrom = start.measureFrom;
        long end = start.end;
        now = System.nanoTime();
        for (Conn c : conns) {
            c.key.interestOps(SelectionKey.OP_READ);
            // Spread the first requests of paced connections over one interval.
            c.due = paced ? begin + pacing.first(c.id) : begin;
            fill(c);
        }
        while (live > 0) {
            now = System.nanoTime();
            if (now - end >= 0) {
                break;
            }
            if (withBudget == 0 && idle()) {
                stoppedByCount = true;
                break;
            }
            long wait = end - now;
            if (paced && withBudget > 0) {
                for (Conn c : conns) {
                    if (!c.dead) {
                        fill(c);
                        if (c.budget > 0 && c.inFlight() < depth) {
                            wait = Math.min(wait, c.due - now);
                        }
                    }
                }
            }
            long ms = Math.clamp(TimeUnit.NANOSECONDS.toMillis(wait), 0, 10);
            if (ms == 0) {
                if (selector.selectNow(onReady) == 0) {
                    // Nothing to read and the next request is due within a millisecond: poll, but let
                    // anything else runnable on this CPU go first — on a box shared with the server,
                    // a woken server thread would otherwise wait for this one's time slice to end.
                    Thread.yield();
                }
            } else {
                selector.select(onReady, ms);
            }
        }
    }

    private boolean idle() {
        for (Conn c : conns) {
            if (!c.dead && c.inFlight() > 0) {
                return false;
            }
        }
        return true;
    }

    private void ready(SelectionKey key) {
        Conn c = (Conn) key.attachment();
        if (c.dead) {
            return;
        }
        now = System.nanoTime();
        try {
            if (key.isReadable()) {
                receive(c);
            }
            if (!c.dead && key.isValid() && key.isWritable()) {
                flush(c);
            }
        } catch (IOException e) {
            lose(c);
        }
    }

    private void receive(Conn c) throws IOException {
        ByteBuffer rx = c.rx;
        int n = c.channel.read(rx);
        if (n < 0) {
            lose(c); // the server closed while requests were (or could be) in flight
            return;
        }
        rx.flip();
        while (c.inFlight() > 0) {
            int status = c.session.readReply(rx, c.oldest);
            if (status == Workload.NEED_MORE) {
                break;
            }
            if (status == Workload.GARBAGE) {
                errors++;
                lose(c);
                return;
            }
            if (status == Workload.MISMATCH) {
                errors++;
            }
            long began = c.startedAt[(int) (c.oldest % depth)];
            c.oldest++;
            if (now - measureFrom >= 0) {
                completed++;
                recorder.recordValue(Math.min(Math.max(0, now - began), LoadGenerator.MAX_LATENCY_NANOS));
            }
        }
        if (c.inFlight() == 0 && rx.hasRemaining()) {
            errors++; // bytes nobody asked for
            lose(c);
            return;
        }
        rx.compact();
        if (!rx.hasRemaining()) {
            errors++; // a reply longer than the buffer: the workload's maxReplyBytes lied
            lose(c);
            return;
        }
        fill(c);
    }

    /** Queues every request the connection may send now, then writes. */
    private void fill(Conn c) throws IOException {
        while (c.budget > 0 && c.inFlight() < depth) {
            long began = now;
            if (paced) {
                if (c.due - now > 0) {
                    break;
                }
                began = c.due; // measured from when it was due: falling behind shows as latency
                c.due = begin + pacing.next(c.due - begin, c.id);
            }
            c.startedAt[(int) (c.nextSequence % depth)] = began;
            c.session.writeRequest(c.tx, c.nextSequence);
            c.nextSequence++;
            sent++;
            if (--c.budget == 0) {
                withBudget--;
            }
        }
        flush(c);
    }

    private void flush(Conn c) throws IOException {
        ByteBuffer tx = c.tx;
        if (tx.position() == 0) {
            setWrite(c, false);
            return;
        }
        tx.flip();
        c.channel.write(tx);
        tx.compact();
        setWrite(c, tx.position() > 0);
    }

    private void setWrite(Conn c, boolean want) {
        if (c.wantWrite != want) {
            c.wantWrite = want;
            c.key.interestOps(want ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }
    }

    private void lose(Conn c) {
        if (!c.dead) {
            c.dead = true;
            lost++;
            live--;
            if (c.budget > 0) {
                withBudget--;
            }
            closeQuietly(c);
        }
    }

    private static void closeQuietly(Conn c) {
        try {
            c.channel.close();
        } catch (IOException ignored) {
            // closing is all that is left to do
        }
    }
}
