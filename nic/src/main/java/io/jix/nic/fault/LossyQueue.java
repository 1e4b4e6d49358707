package io.jix.nic.fault;

import io.jix.nic.Frame;
import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.NicQueue;
import io.jix.nic.QueueCounter;
import io.jix.nic.QueueCounters;

/**
 * Any {@link NicQueue} with frames dropped on purpose at its boundary, in both directions, as a
 * lossy link would: a received frame the receive rule picks is released to the pool before the
 * caller sees it; a frame to send that the transmit rule picks is taken from the caller (as if
 * sent) and released instead. Every drop is counted, in this queue's {@link #rxDropped()} /
 * {@link #txDropped()} and as {@link QueueCounter#FAULT_DROPPED} in the wrapped queue's counters.
 *
 * <p>Rules see frames numbered per direction from 0, in the order the direction handles them
 * (frames the wrapped queue's ring had no room for are asked about again, with the same number,
 * on the next {@link #transmit}: a rule must answer the same). {@link #seeded} drops a share of
 * frames as a pure function of (seed, number), so a failing run can be replayed as far as the
 * same frames pass in the same order — like {@code io.jix.nic.wire.Faults}. Nothing here
 * allocates after construction.
 */
public final class LossyQueue implements NicQueue {

    /** Whether to drop a frame. */
    @FunctionalInterface
    public interface DropRule {
        /**
         * @param k the frame's number in its direction, from 0
         * @param frame the frame (read only; valid during the call)
         */
        boolean drop(long k, Frame frame);
    }

    /** Drops nothing. */
    public static final DropRule NEVER = (k, frame) -> false;

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final NicQueue inner;
    private final DropRule rxRule;
    private final DropRule txRule;
    private final FrameBurst rxScratch;
    private final FrameBurst txScratch;
    private final Frame view = new Frame();
    private long rxSeen;
    private long txSeen;
    private long rxDropped;
    private long txDropped;

    /**
     * Wraps {@code inner}; {@code burst} is the most frames one {@link #receive} or one
     * {@link #transmit} pass hands to it (the stack's batch, 64, is plenty).
     */
    public LossyQueue(NicQueue inner, DropRule rx, DropRule tx, int burst) {
        if (burst < 1) {
            throw new IllegalArgumentException("burst " + burst);
        }
        this.inner = inner;
        this.rxRule = rx;
        this.txRule = tx;
        this.rxScratch = new FrameBurst(burst);
        this.txScratch = new FrameBurst(burst);
    }

    /**
     * Drops each frame with probability {@code rate}, decided by SplitMix64 over {@code seed} and
     * the frame's number alone.
     */
    public static DropRule seeded(long seed, double rate) {
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("rate must be in [0, 1]: " + rate);
        }
        long threshold = (long) (rate * 0x1p53);
        long key = mix(seed);
        return (k, frame) -> mix(key + (k + 1) * GOLDEN) >>> 11 < threshold;
    }

    /** SplitMix64's finalizer. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public int receive(FrameBurst into, int max) {
        rxScratch.clear();
        int n = inner.receive(rxScratch, Math.min(Math.min(max, into.remaining()), rxScratch.capacity()));
        int kept = 0;
        FramePool pool = inner.pool();
        for (int i = 0; i < n; i++) {
            int f = rxScratch.frame(i);
            view.wrap(pool, f, rxScratch.offset(i), rxScratch.length(i));
            if (rxRule.drop(rxSeen++, view)) {
                pool.release(f);
                rxDropped++;
                inner.counters().increment(QueueCounter.FAULT_DROPPED);
            } else {
                into.add(f, rxScratch.offset(i), rxScratch.length(i));
                kept++;
            }
        }
        rxScratch.clear();
        return kept;
    }

    @Override
    public int transmit(FrameBurst frames) {
        int taken = 0;
        FramePool pool = inner.pool();
        while (frames.count() > 0) {
            // Frames the rule drops at the head are taken and freed.
            view.wrap(pool, frames.frame(0), frames.offset(0), frames.length(0));
            if (txRule.drop(txSeen, view)) {
                pool.release(frames.frame(0));
                frames.dropFirst(1);
                txSeen++;
                taken++;
                txDropped++;
                inner.counters().increment(QueueCounter.FAULT_DROPPED);
                continue;
            }
            // Then the run of frames it keeps, as far as the next drop, goes to the wrapped queue.
            txScratch.clear();
            int run = 0;
            while (run < frames.count() && run < txScratch.capacity()) {
                if (run > 0) {
                    view.wrap(pool, frames.frame(run), frames.offset(run), frames.length(run));
                    if (txRule.drop(txSeen + run, view)) {
                        break;
                    }
                }
                txScratch.add(frames.frame(run), frames.offset(run), frames.length(run));
                run++;
            }
            int sent = inner.transmit(txScratch);
            txScratch.clear();
            frames.dropFirst(sent);
            txSeen += sent;
            taken += sent;
            if (sent < run) {
                break; // the ring is full: the rest stays with the caller
            }
        }
        return taken;
    }

    /** Received frames dropped so far. */
    public long rxDropped() {
        return rxDropped;
    }

    /** Frames to send dropped so far. */
    public long txDropped() {
        return txDropped;
    }

    /** The queue wrapped. */
    public NicQueue inner() {
        return inner;
    }

    @Override
    public int reclaim() {
        return inner.reclaim();
    }

    @Override
    public void awaitTraffic(long timeoutNanos) {
        inner.awaitTraffic(timeoutNanos);
    }

    @Override
    public FramePool pool() {
        return inner.pool();
    }

    @Override
    public int headroom() {
        return inner.headroom();
    }

    @Override
    public QueueCounters counters() {
        return inner.counters();
    }

    @Override
    public void refreshCounters() {
        inner.refreshCounters();
    }

    @Override
    public int queueId() {
        return inner.queueId();
    }

    @Override
    public void close() {
        inner.close();
    }

    @Override
    public String toString() {
        return "LossyQueue[" + inner + ", dropped rx " + rxDropped + " tx " + txDropped + "]";
    }
}
