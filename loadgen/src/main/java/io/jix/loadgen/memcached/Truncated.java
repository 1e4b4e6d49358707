package io.jix.loadgen.memcached;

import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;

/**
 * A continuous distribution cut to {@code [low, high]}: samples by inverting its distribution
 * function over the part of (0, 1) that maps into the range, so the shape inside the range is kept
 * (no pile-up at the ends, as clamping would make).
 */
final class Truncated {

    private final DoubleUnaryOperator quantile;
    private final double uLow;
    private final double uHigh;
    private final double low;
    private final double high;

    private Truncated(DoubleUnaryOperator cdf, DoubleUnaryOperator quantile, double low, double high) {
        if (!(low < high)) {
            throw new IllegalArgumentException("need low < high, got " + low + ", " + high);
        }
        this.quantile = quantile;
        this.uLow = cdf.applyAsDouble(low);
        this.uHigh = cdf.applyAsDouble(high);
        this.low = low;
        this.high = high;
    }

    /** Generalized extreme value (location, scale, shape != 0) cut to {@code [low, high]}. */
    static Truncated gev(double location, double scale, double shape, double low, double high) {
        return new Truncated(
                x -> Math.exp(-Math.pow(1 + shape * (x - location) / scale, -1 / shape)),
                u -> location + scale / shape * (Math.pow(-Math.log(u), -shape) - 1),
                low, high);
    }

    /** Generalized Pareto (location 0, scale, shape != 0) cut to {@code [low, high]}. */
    static Truncated gpd(double scale, double shape, double low, double high) {
        return new Truncated(
                x -> 1 - Math.pow(1 + shape * x / scale, -1 / shape),
                u -> scale / shape * (Math.pow(1 - u, -shape) - 1),
                low, high);
    }

    /** One sample, in {@code [low, high]}. */
    double sample(SplittableRandom random) {
        double u = uLow + random.nextDouble() * (uHigh - uLow);
        return Math.clamp(quantile.applyAsDouble(u), low, high);
    }
}
