package io.jix.dataplane.loop;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.jix.dataplane.Counter;
import io.jix.dataplane.StatsFile;
import java.lang.foreign.MemorySegment;

/** One elastic thread's counters, written straight into its block of the stats file. */
public final class Counters {

    private final MemorySegment block;
    private final long histogram = StatsFile.histogramOffset();

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
    }

    /** Sets a counter kept elsewhere (a stack's own counters, published here). */
    public void set(Counter c, long value) {
        block.set(JAVA_LONG, c.ordinal() * 8L, value);
    }

    /** Reads a counter. */
    public long get(Counter c) {
        return block.get(JAVA_LONG, c.ordinal() * 8L);
    }

    /** Counts one batch of {@code size} events in the histogram. */
    public void batch(int size) {
        long offset = histogram + Math.min(size, StatsFile.HISTOGRAM_BUCKETS - 1) * 8L;
        block.set(JAVA_LONG, offset, block.get(JAVA_LONG, offset) + 1);
    }
}
