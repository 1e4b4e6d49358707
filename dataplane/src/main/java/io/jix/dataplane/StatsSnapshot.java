package io.jix.dataplane;

import java.util.Arrays;

/**
 * Every counter, histogram bucket and the topology of one dataplane at one moment, as read from
 * its {@link StatsFile} ({@link StatsFile#snapshot()}) or made by hand (tests). Two snapshots make
 * a {@link StatsInterval}, which derives rates, batch sizes, idle fraction and queueing delay.
 */
public final class StatsSnapshot {

    private static final int COUNTERS = Counter.values().length;

    private final String name;
    private final long pid;
    private final long startMillis;
    private final long nanoTime;
    private final long[][] counters;
    private final long[][] histograms;
    private final int[] threadStates;
    private final int[] groupOwners;

    /**
     * A snapshot of a dataplane named {@code name} (process {@code pid}, started at
     * {@code startMillis}), taken at {@code nanoTime} ({@link System#nanoTime()} of the reader):
     * {@code counters[thread][counter.ordinal()]}, {@code histograms[thread][batch size]} (65
     * buckets), a state word per thread and an owner per flow group. The arrays are copied.
     */
    public StatsSnapshot(String name, long pid, long startMillis, long nanoTime, long[][] counters,
                         long[][] histograms, int[] threadStates, int[] groupOwners) {
        int threads = counters.length;
        if (threads == 0 || histograms.length != threads || threadStates.length != threads) {
            throw new IllegalArgumentException("need counters, histograms and a state for each of at least one thread");
        }
        this.counters = new long[threads][];
        this.histograms = new long[threads][];
        for (int t = 0; t < threads; t++) {
            if (counters[t].length != COUNTERS || histograms[t].length != StatsFile.HISTOGRAM_BUCKETS) {
                throw new IllegalArgumentException("thread " + t + ": need " + COUNTERS + " counters and "
                        + StatsFile.HISTOGRAM_BUCKETS + " histogram buckets");
            }
            this.counters[t] = counters[t].clone();
            this.histograms[t] = histograms[t].clone();
        }
        this.name = name;
        this.pid = pid;
        this.startMillis = startMillis;
        this.nanoTime = nanoTime;
        this.threadStates = threadStates.clone();
        this.groupOwners = groupOwners.clone();
    }

    /** The dataplane's name. */
    public String name() {
        return name;
    }

    /** The process that runs the dataplane. */
    public long pid() {
        return pid;
    }

    /** When the dataplane started, in epoch milliseconds. */
    public long startMillis() {
        return startMillis;
    }

    /** When the snapshot was taken, in the reader's {@link System#nanoTime()}. */
    public long nanoTime() {
        return nanoTime;
    }

    /** Elastic threads, running or parked. */
    public int threads() {
        return counters.length;
    }

    /** Flow groups in the topology table. */
    public int groups() {
        return groupOwners.length;
    }

    /** Counter {@code c} of thread {@code thread}. */
    public long get(int thread, Counter c) {
        return counters[thread][c.ordinal()];
    }

    /** Counter {@code c} summed over all threads. */
    public long sum(Counter c) {
        long total = 0;
        for (long[] block : counters) {
            total += block[c.ordinal()];
        }
        return total;
    }

    /** Batches of {@code size} events thread {@code thread} ran (64: 64 or more). */
    public long histogram(int thread, int size) {
        return histograms[thread][Math.min(size, StatsFile.HISTOGRAM_BUCKETS - 1)];
    }

    /** Thread {@code thread}'s state: {@link StatsFile#PARKED} or {@link StatsFile#RUNNING}. */
    public int threadState(int thread) {
        return threadStates[thread];
    }

    /** Whether thread {@code thread} is running. */
    public boolean running(int thread) {
        return threadStates[thread] == StatsFile.RUNNING;
    }

    /** The owner of flow group {@code group}: a thread, or {@link StatsFile#IN_TRANSIT}. */
    public int groupOwner(int group) {
        return groupOwners[group];
    }

    /** The flow groups thread {@code thread} owns, in order. */
    public int[] groupsOf(int thread) {
        return java.util.stream.IntStream.range(0, groupOwners.length).filter(g -> groupOwners[g] == thread).toArray();
    }

    /** The interval from {@code earlier} to this snapshot (same dataplane, taken before this one). */
    public StatsInterval since(StatsSnapshot earlier) {
        return new StatsInterval(earlier, this);
    }

    /**
     * The interval from the dataplane's start to this snapshot: every counter from zero, the
     * length from {@link #startMillis()} (wall clock) to now.
     */
    public StatsInterval sinceStart() {
        long elapsedNanos = Math.max(1, (System.currentTimeMillis() - startMillis) * 1_000_000L
                - (System.nanoTime() - nanoTime));
        long[][] zeros = new long[threads()][COUNTERS];
        long[][] empty = new long[threads()][StatsFile.HISTOGRAM_BUCKETS];
        StatsSnapshot start = new StatsSnapshot(name, pid, startMillis, nanoTime - elapsedNanos, zeros, empty,
                threadStates, groupOwners);
        return new StatsInterval(start, this);
    }

    @Override
    public String toString() {
        return name + " (pid " + pid + ", " + threads() + " threads, " + groups() + " groups): "
                + Arrays.stream(Counter.values()).map(c -> c.metricName() + "=" + sum(c))
                        .reduce((a, b) -> a + " " + b).orElse("");
    }
}
