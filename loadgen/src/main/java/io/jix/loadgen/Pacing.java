package io.jix.loadgen;

/**
 * When each connection's requests are due, as a run goes on: at a constant rate, or stepping
 * through a schedule. Times are nanoseconds since the run began. Connection {@code id} of
 * {@code n} starts {@code id/n} of an interval in, so the connections' requests interleave evenly.
 */
interface Pacing {

    /** When connection {@code id}'s first request is due; only asked of a paced run. */
    long first(int id);

    /** When connection {@code id}'s next request is due after one due at {@code due}. */
    long next(long due, int id);

    /** Whether requests are paced at all (false: closed loop, each sent as soon as a reply frees a slot). */
    boolean paced();

    /** The config's own rate, the same all run long. */
    static Pacing constant(LoadGenerator.Config config) {
        long interval = config.rate() > 0 ? Math.max(1, (long) (1e9 * config.connections() / config.rate())) : 0;
        int connections = config.connections();
        return new Pacing() {
            @Override
            public long first(int id) {
                return interval * id / connections;
            }

            @Override
            public long next(long due, int id) {
                return due + interval;
            }

            @Override
            public boolean paced() {
                return interval > 0;
            }
        };
    }
}
