package io.jix.loadgen.memcached;

import java.util.SplittableRandom;

/**
 * When one connection's requests are due in an open loop: arrivals of a Poisson process, so the
 * gaps between them are exponential with mean {@code 1 / rate}, drawn from a seeded generator (the
 * same seed gives the same schedule). The schedule does not care whether the requests are sent on
 * time: a generator that falls behind still measures each request from its due time here.
 */
public final class PoissonSchedule {

    private final SplittableRandom random;
    private final double meanGapNanos;
    private final long start;
    private double offset; // since start; a double, so that rounding does not drift the mean rate

    /**
     * A schedule of {@code ratePerSecond} arrivals per second on average, the first one an
     * exponential gap after {@code startNanos} ({@link System#nanoTime()} time).
     */
    public PoissonSchedule(long seed, double ratePerSecond, long startNanos) {
        if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
            throw new IllegalArgumentException("rate must be positive and finite, got " + ratePerSecond);
        }
        this.random = new SplittableRandom(seed);
        this.meanGapNanos = 1e9 / ratePerSecond;
        this.start = startNanos;
        this.offset = gap();
    }

    /** When the next request is due, in {@link System#nanoTime()} time; does not advance. */
    public long due() {
        return start + (long) offset;
    }

    /** Moves on to the arrival after {@link #due()} and returns it. */
    public long advance() {
        offset += gap();
        return start + (long) offset;
    }

    /** The mean gap between two arrivals, in nanoseconds. */
    public double meanGapNanos() {
        return meanGapNanos;
    }

    private double gap() {
        // 1 - u lies in (0, 1]: the logarithm is finite.
        return -Math.log(1.0 - random.nextDouble()) * meanGapNanos;
    }
}
