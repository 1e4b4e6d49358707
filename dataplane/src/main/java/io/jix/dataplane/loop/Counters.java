package io.jix.dataplane.loop;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.jix.dataplane.Counter;
import io.jix.dataplane.StatsFile;
import java.lang.foreign.MemorySegment;

/**
 * Counters written straight into an elastic thread's block of the stats file. A thread has its
 * own instance for its loop counters, and each flow group has one that points at the block of
 * the thread that owns the group: when the group migrates, {@link #detach} on the old owner and
 * {@link #attach} on the new one carry the group's share of the gauges across, so per-thread values stay
 * true and totals never jump. A block is only written by the thread that owns it.
 */
public final class Counters {

    private static final Counter[] ALL = Counter.values();

    private MemorySegment block;
    private final long histogram = StatsFile.histogramOffset();
    /** What this instance contributed to each gauge, and the last value {@link #publish}ed for each mirrored counter. */
    private final long[] own = new long[ALL.length];

    /** Counters over a thread block of a {@link StatsFile}. */
    public Counters(MemorySegment block) {
        this.block = block;
    }

    /** Adds one. */
    public void increment(Counter c) {
        add(c, 1);
    }

    /** Adds {@code delta} (which may be negative for gauges). */
    public void add(Counter c, long delta) {
        long offset = c.ordinal() * 8L;
        block.set(JAVA_LONG, offset, block.get(JAVA_LONG, offset) + delta);
        if (c.gauge()) {
            own[c.ordinal()] += delta;
        }
    }

    /**
     * Mirrors a counter kept elsewhere (a stack's own, which only grows): adds what it grew by
     * since the last call, so several groups can feed one thread's block.
     */
    public void publish(Counter c, long value) {
        long delta = value - own[c.ordinal()];
        if (delta != 0) {
            own[c.ordinal()] = value;
            long offset = c.ordinal() * 8L;
            block.set(JAVA_LONG, offset, block.get(JAVA_LONG, offset) + delta);
        }
    }

    /** Reads a counter of the block this instance writes. */
    public long get(Counter c) {
        return block.get(JAVA_LONG, c.ordinal() * 8L);
    }

    /** Counts one batch of {@code size} events in the histogram. */
    public void batch(int size) {
        long offset = histogram + Math.min(size, StatsFile.HISTOGRAM_BUCKETS - 1) * 8L;
        block.set(JAVA_LONG, offset, block.get(JAVA_LONG, offset) + 1);
    }

    /** Takes this instance's gauge contributions out of its block: the group is leaving its thread. Old owner's thread. */
    void detach() {
        for (Counter c : ALL) {
            if (c.gauge() && own[c.ordinal()] != 0) {
                long offset = c.ordinal() * 8L;
                block.set(JAVA_LONG, offset, block.get(JAVA_LONG, offset) - own[c.ordinal()]);
            }
        }
    }

    /** Points this instance at {@code target} and adds its gauge contributions there. New owner's thread. */
    void attach(MemorySegment target) {
        block = target;
        for (Counter c : ALL) {
            if (c.gauge() && own[c.ordinal()] != 0) {
                long offset = c.ordinal() * 8L;
                block.set(JAVA_LONG, offset, block.get(JAVA_LONG, offset) + own[c.ordinal()]);
            }
        }
    }

    /** The block this instance writes. */
    MemorySegment block() {
        return block;
    }
}
