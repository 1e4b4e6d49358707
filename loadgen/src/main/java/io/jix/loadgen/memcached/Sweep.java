package io.jix.loadgen.memcached;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A QPS sweep: rate steps in increasing order until the server no longer keeps its latency promise.
 * It stops early after the {@link Plan#maxMisses}-th step whose p99 misses the SLA (one miss can be
 * noise), when a step achieves less than {@link Plan#minAchieved} of its target (the server, or the
 * client, cannot keep up), or when the time budget would be exceeded. Its result is the highest
 * achieved rate among the steps that met the SLA ({@link Result#best()}).
 */
public final class Sweep {

    /**
     * What to sweep.
     *
     * @param rates       target rates (requests per second), in the order run
     * @param slaUs       the p99 latency promise, microseconds
     * @param maxMisses   stop after this many steps missed the SLA
     * @param minAchieved stop after a step achieved less than this share of its target
     * @param budget      stop before a step that would end after this much time since the start
     * @param stepTime    how long one step takes (warm-up, measurement, drain), to honour the budget
     */
    public record Plan(List<Double> rates, double slaUs, int maxMisses, double minAchieved, Duration budget,
                       Duration stepTime) {
        /** Checks the plan. */
        public Plan {
            rates = List.copyOf(rates);
            if (rates.isEmpty()) {
                throw new IllegalArgumentException("no rates to sweep");
            }
            for (double r : rates) {
                if (!(r > 0) || Double.isInfinite(r)) {
                    throw new IllegalArgumentException("rates must be positive, got " + r);
                }
            }
            if (!(slaUs > 0) || maxMisses < 1 || !(minAchieved >= 0 && minAchieved <= 1)) {
                throw new IllegalArgumentException("need slaUs > 0, maxMisses >= 1 and minAchieved in [0, 1]");
            }
        }
    }

    /** Runs one step at a target rate. */
    @FunctionalInterface
    public interface Stepper {
        /** Measures one step at {@code rate} requests per second. */
        StepResult step(double rate) throws InterruptedException;
    }

    /**
     * A finished sweep.
     *
     * @param server   the server's label
     * @param workload {@code etc} or {@code usr}
     * @param slaUs    the p99 promise it was held to
     * @param steps    the steps run, in order
     * @param stopped  why it stopped ({@code "all rates run"} when it did not stop early)
     */
    public record Result(String server, String workload, double slaUs, List<StepResult> steps, String stopped) {
        /** Copies the steps. */
        public Result {
            steps = List.copyOf(steps);
        }

        /** The step with the highest achieved rate among those that met the SLA. */
        public Optional<StepResult> best() {
            StepResult best = null;
            for (StepResult s : steps) {
                if (s.meets(slaUs) && (best == null || s.achievedQps() > best.achievedQps())) {
                    best = s;
                }
            }
            return Optional.ofNullable(best);
        }
    }

    private Sweep() {
    }

    /**
     * Runs {@code plan} against one server, telling {@code progress} one line per step.
     */
    public static Result run(String server, String workload, Plan plan, Stepper stepper, Consumer<String> progress)
            throws InterruptedException {
        List<StepResult> steps = new ArrayList<>();
        long started = System.nanoTime();
        int misses = 0;
        String stopped = "all rates run";
        for (double rate : plan.rates()) {
            long elapsed = System.nanoTime() - started;
            if (!steps.isEmpty() && elapsed + plan.stepTime().toNanos() > plan.budget().toNanos()) {
                stopped = String.format(Locale.ROOT, "time budget of %d s reached", plan.budget().toSeconds());
                break;
            }
            StepResult s = stepper.step(rate);
            steps.add(s);
            boolean ok = s.meets(plan.slaUs());
            progress.accept(line(server, s, plan.slaUs()));
            if (!ok && ++misses >= plan.maxMisses()) {
                stopped = misses + " steps missed the SLA";
                break;
            }
            if (s.achievedQps() < plan.minAchieved() * rate) {
                stopped = String.format(Locale.ROOT, "achieved %.0f%% of the target at %.0f/s",
                        100 * s.achievedQps() / rate, rate);
                break;
            }
        }
        return new Result(server, workload, plan.slaUs(), steps, stopped);
    }

    /** One progress line for a step. */
    public static String line(String server, StepResult s, double slaUs) {
        return String.format(Locale.ROOT, "%s: target %,.0f/s achieved %,.0f/s p50 %.0f p90 %.0f p99 %.0f p99.9 %.0f µs"
                        + " errors %d%s client busy %.0f%% %s", server, s.targetQps(), s.achievedQps(), s.p50Us(),
                s.p90Us(), s.p99Us(), s.p999Us(), s.errors(), s.cpuNsPerRequest() >= 0 ? String.format(Locale.ROOT,
                        " server cpu %.0f ns/req", s.cpuNsPerRequest()) : "", 100 * s.clientBusy(),
                s.meets(slaUs) ? "ok" : "MISSED SLA");
    }
}
