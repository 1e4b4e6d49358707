package io.jix.loadgen;

/** How far apart one connection's requests are, as a run goes on: constant, or stepping through a schedule. */
@FunctionalInterface
interface Pacing {

    /** Nanoseconds between two requests of one connection, {@code sinceBegin} into the run; 0: closed loop. */
    long intervalNanos(long sinceBegin);

    /** The config's own rate, the same all run long. */
    static Pacing constant(LoadGenerator.Config config) {
        long interval = config.rate() > 0 ? Math.max(1, (long) (1e9 * config.connections() / config.rate())) : 0;
        return sinceBegin -> interval;
    }
}
