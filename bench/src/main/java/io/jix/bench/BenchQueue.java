package io.jix.bench;

import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.NicQueue;
import io.jix.nic.QueueCounter;
import io.jix.nic.QueueCounters;
import java.lang.foreign.Arena;

/**
 * A NIC queue with no wire behind it, for benchmarks: the benchmark writes a frame into the
 * pool and {@link #inject}s it, and the next {@link #receive} hands it to the stack; every frame
 * the stack transmits is shown to a {@link TxObserver} (the simulated peer) and then completes,
 * going back to the pool at the next {@link #reclaim} as an AF_XDP completion would. No copies,
 * no syscalls: what a benchmark over this queue measures is the stack, plus whatever the
 * observer and the injecting code do.
 */
public final class BenchQueue implements NicQueue {

    /** Sees each transmitted frame before the queue takes it. */
    @FunctionalInterface
    public interface TxObserver {
        void transmitted(FramePool pool, int frame, int offset, int length);
    }

    private final Arena arena = Arena.ofShared();
    private final FramePool pool;
    private final int headroom;
    private final QueueCounters counters = new QueueCounters();
    private final FrameBurst pending;
    private final int[] completed;
    private int completedCount;
    private TxObserver observer = (p, f, o, l) -> { };

    /** A queue over a pool of {@code frames} frames of 2048 bytes; received data starts at {@code headroom}. */
    public BenchQueue(int frames, int headroom) {
        this.pool = new FramePool(arena.allocate(2048L * frames, 4096), 2048, frames);
        this.headroom = headroom;
        this.pending = new FrameBurst(frames);
        this.completed = new int[frames];
    }

    public void observer(TxObserver o) {
        observer = o;
    }

    /** Queues a frame of the pool (data at {@code offset}, {@code length} bytes) for the next {@link #receive}. */
    public void inject(int frame, int offset, int length) {
        pending.add(frame, offset, length);
    }

    /** Returns every injected frame not yet received to the pool (a benchmark measuring only the injecting). */
    public void discard() {
        for (int i = 0; i < pending.count(); i++) {
            pool.release(pending.frame(i));
        }
        pending.clear();
    }

    /** Frames injected and not yet received. */
    public int pending() {
        return pending.count();
    }

    @Override
    public int receive(FrameBurst into, int max) {
        int n = Math.min(Math.min(max, into.remaining()), pending.count());
        for (int i = 0; i < n; i++) {
            into.add(pending.frame(i), pending.offset(i), pending.length(i));
        }
        if (n > 0) {
            pending.dropFirst(n);
            counters.add(QueueCounter.RX_FRAMES, n);
        }
        return n;
    }

    @Override
    public int transmit(FrameBurst frames) {
        int n = frames.count();
        for (int i = 0; i < n; i++) {
            int f = frames.frame(i);
            observer.transmitted(pool, f, frames.offset(i), frames.length(i));
            completed[completedCount++] = f;
        }
        frames.clear();
        counters.add(QueueCounter.TX_FRAMES, n);
        return n;
    }

    @Override
    public int reclaim() {
        int n = completedCount;
        for (int i = 0; i < n; i++) {
            pool.release(completed[i]);
        }
        completedCount = 0;
        return n;
    }

    @Override
    public void awaitTraffic(long timeoutNanos) {
    }

    @Override
    public FramePool pool() {
        return pool;
    }

    @Override
    public int headroom() {
        return headroom;
    }

    @Override
    public QueueCounters counters() {
        return counters;
    }

    @Override
    public int queueId() {
        return 0;
    }

    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
