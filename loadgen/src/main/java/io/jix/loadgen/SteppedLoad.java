package io.jix.loadgen;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * A paced, open-loop load whose rate steps through a schedule over one set of connections, made
 * once: the connections, the generator's JIT and the server's flows stay warm across steps, so a
 * step shows the server's response to the new rate and nothing else. Each second's latencies (from
 * when each request was due) are handed to a listener as the second ends.
 */
public final class SteppedLoad {

    /** {@code rate} requests per second over all connections for {@code seconds} seconds. */
    public record Step(double rate, int seconds) {
        /** Checks the bounds. */
        public Step {
            if (!(rate > 0) || Double.isInfinite(rate) || seconds < 1) {
                throw new IllegalArgumentException("a step needs a positive rate and at least one second, got "
                        + rate + "/s for " + seconds + " s");
            }
        }
    }

    /** Receives each second of the run as it ends. */
    @FunctionalInterface
    public interface Listener {
        /**
         * @param second  1, 2, ... from the start of the first step
         * @param offered the rate the schedule asked for during that second
         * @param latency that second's round-trip times in nanoseconds (replies completed); reused after the call
         */
        void second(int second, double offered, Histogram latency);
    }

    private SteppedLoad() {
    }

    /**
     * Connects {@code connections} connections from one generator thread, runs every step in order,
     * closes; returns the whole run's totals. Bounded by the schedule's length.
     */
    public static LoadGenerator.Result run(InetSocketAddress target, int connections, int depth, List<Step> steps,
                                           Workload workload, Listener listener) throws InterruptedException {
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("no steps");
        }
        int total = steps.stream().mapToInt(Step::seconds).sum();
        double most = steps.stream().mapToDouble(Step::rate).max().orElseThrow();
        double requests = steps.stream().mapToDouble(s -> s.rate() * s.seconds()).sum();
        LoadGenerator.Config config = new LoadGenerator.Config(target, connections, 1, depth, Duration.ZERO,
                Duration.ofSeconds(total), (long) Math.ceil(requests) + 2L * connections, most, Duration.ofSeconds(5));
        Pacing pacing = pacing(steps, connections);
        return LoadGenerator.run(config, workload, pacing,
                (second, latency) -> listener.second(second, rateAt(steps, second), latency));
    }

    /**
     * Each connection at its step's interval; a request that would fall past the end of a step
     * starts the next step's train instead, {@code id/n} of the new interval in — as the first step
     * began. Carrying the old phase over would bunch the connections: in a fast step they all fall
     * due within one short interval of the boundary, and at a slower rate after it they would keep
     * firing together, one burst per interval, for the rest of the run.
     */
    static Pacing pacing(List<Step> steps, int connections) {
        long[] ends = new long[steps.size()];
        long[] intervals = new long[steps.size()];
        long at = 0;
        for (int i = 0; i < steps.size(); i++) {
            at += Duration.ofSeconds(steps.get(i).seconds()).toNanos();
            ends[i] = at;
            intervals[i] = Math.max(1, (long) (1e9 * connections / steps.get(i).rate()));
        }
        return new Pacing() {
            @Override
            public long first(int id) {
                return intervals[0] * id / connections;
            }

            @Override
            public long next(long due, int id) {
                int step = 0;
                while (step < ends.length - 1 && due >= ends[step]) {
                    step++;
                }
                long next = due + intervals[step];
                if (step < ends.length - 1 && next >= ends[step]) {
                    return ends[step] + intervals[step + 1] * id / connections;
                }
                return next;
            }

            @Override
            public boolean paced() {
                return true;
            }
        };
    }

    /** The rate of the step that second {@code second} (1-based) belongs to. */
    private static double rateAt(List<Step> steps, int second) {
        int end = 0;
        for (Step s : steps) {
            end += s.seconds();
            if (second <= end) {
                return s.rate();
            }
        }
        return steps.getLast().rate();
    }
}
