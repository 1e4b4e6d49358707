package io.jix.loadgen.memcached;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

class SweepTest {

    /** A step at {@code rate} with the given achieved rate and p99, no errors. */
    static StepResult step(double rate, double achieved, double p99) {
        return new StepResult(rate, achieved, 1, 1000, p99 / 2, p99 * 0.8, p99, p99 * 1.5, p99 * 2, 0, 0, 0, 750, 750,
                250, 2000, "process", 2100, 3000, 0.25, 32, 1);
    }

    private static Sweep.Plan plan(double... rates) {
        List<Double> list = new ArrayList<>();
        for (double r : rates) {
            list.add(r);
        }
        return new Sweep.Plan(list, 500, 2, 0.8, Duration.ofMinutes(5), Duration.ofSeconds(1));
    }

    private static Sweep.Result run(Sweep.Plan plan, DoubleUnaryOperator p99Of, List<String> lines)
            throws InterruptedException {
        return Sweep.run("srv", "etc", plan, rate -> step(rate, rate, p99Of.applyAsDouble(rate)), lines::add);
    }

    @Test
    void theResultIsTheLastStepWithinTheSlaAndTwoMissesStopIt() throws InterruptedException {
        List<String> lines = new ArrayList<>();
        Sweep.Result r = run(plan(10, 20, 30, 40, 50, 60, 70), rate -> rate <= 30 ? 100 : 900, lines);
        assertThat(r.steps()).extracting(StepResult::targetQps).containsExactly(10.0, 20.0, 30.0, 40.0, 50.0);
        assertThat(r.best()).get().extracting(StepResult::achievedQps).isEqualTo(30.0);
        assertThat(r.stopped()).isEqualTo("2 steps missed the SLA");
        assertThat(lines).hasSize(5);
        assertThat(lines.get(2)).contains("target 30/s").endsWith(" ok");
        assertThat(lines.get(3)).endsWith("MISSED SLA");
    }

    @Test
    void oneNoisyMissDoesNotStopItAndAStepLaterWithinTheSlaCounts() throws InterruptedException {
        Sweep.Result r = run(plan(10, 20, 30, 40, 50, 60), rate -> rate == 20 || rate >= 50 ? 900 : 100,
                new ArrayList<>());
        assertThat(r.steps()).hasSize(5);
        assertThat(r.best()).get().extracting(StepResult::achievedQps).isEqualTo(40.0);
    }

    @Test
    void aStepThatAchievesFarBelowItsTargetStopsIt() throws InterruptedException {
        Sweep.Result r = Sweep.run("srv", "etc", plan(10, 20, 30, 40),
                rate -> step(rate, Math.min(rate, 22), 100), line -> { });
        assertThat(r.steps()).hasSize(3);
        assertThat(r.stopped()).isEqualTo("achieved 73% of the target at 30/s");
        // 30 achieved 22 within the SLA: still the highest rate served within it.
        assertThat(r.best()).get().extracting(StepResult::achievedQps).isEqualTo(22.0);
    }

    @Test
    void errorsDisqualifyAStepAndNoStepWithinTheSlaIsNoResult() throws InterruptedException {
        StepResult wrong = new StepResult(10, 10, 1, 100, 1, 1, 1, 1, 1, 3, 0, 0, 0, 0, 0, -1, "none", -1, -1, 0, 1, 1);
        assertThat(wrong.meets(500)).isFalse();
        Sweep.Result r = Sweep.run("srv", "usr", plan(10, 20, 30), rate -> wrong, line -> { });
        assertThat(r.steps()).hasSize(2);
        assertThat(r.best()).isEmpty();
    }

    @Test
    void theTimeBudgetEndsTheSweepBeforeAStepThatWouldOverrunIt() throws InterruptedException {
        Sweep.Plan p = new Sweep.Plan(List.of(1.0, 2.0, 3.0), 500, 2, 0.8, Duration.ofMillis(150),
                Duration.ofMillis(100));
        Sweep.Result r = Sweep.run("srv", "etc", p, rate -> {
            Thread.sleep(60);
            return step(rate, rate, 10);
        }, line -> { });
        assertThat(r.steps()).hasSize(1);
        assertThat(r.stopped()).isEqualTo("time budget of 0 s reached");
    }
}
