package io.jix.control;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IxcpPolicyTest {

    private static final long SLA = 500_000;

    private static LoadSample sample(int threads, double busy, double delayNanos) {
        return new LoadSample(100_000_000, threads, 1, 2, busy, 0, delayNanos, 10_000);
    }

    @Test
    void stepsUpWhenTheThreadIsNearlyAlwaysBusy() {
        IxcpPolicy p = new IxcpPolicy(SLA);
        assertThat(p.decide(sample(1, 0.3, 1_000))).isEqualTo(1);
        int n = 1;
        for (int i = 0; i < 5 && n == 1; i++) {
            n = p.decide(sample(1, 0.99, 1_000));
        }
        assertThat(n).isEqualTo(2);
    }

    @Test
    void stepsUpWhenQueueingDelayThreatensTheSlaEvenIfNotBusy() {
        IxcpPolicy p = new IxcpPolicy(SLA);
        p.decide(sample(1, 0.5, 10_000));
        int n = 1;
        for (int i = 0; i < 5 && n == 1; i++) {
            n = p.decide(sample(1, 0.5, 300_000)); // 60 % of the SLA spent queueing
        }
        assertThat(n).isEqualTo(2);
    }

    @Test
    void holdsAfterAChangeThenStepsDownOnlyOnceTheSlowAverageIsLow() {
        IxcpPolicy p = new IxcpPolicy(SLA);
        assertThat(p.decide(sample(1, 0.99, 1_000))).isEqualTo(2);
        // Idle from now on: the hold keeps 2 for ten intervals, then the slow average must fall first.
        int decisions = 0;
        int n = 2;
        while (n == 2 && decisions < 1_000) {
            n = p.decide(sample(2, 0.02, 1_000));
            decisions++;
        }
        assertThat(n).isEqualTo(1);
        assertThat(decisions).as("intervals before stepping down").isGreaterThan(10);
    }

    @Test
    void moderateLoadOnTwoThreadsStaysOnTwo() {
        IxcpPolicy p = new IxcpPolicy(SLA);
        // Two threads each 40 % busy: one thread would be 80 % busy, over the 50 % target.
        for (int i = 0; i < 500; i++) {
            assertThat(p.decide(sample(2, 0.4, 5_000))).isEqualTo(2);
        }
    }

    private static LoadSample atRate(int threads, double busy, double perSecond) {
        return new LoadSample(50_000_000, threads, 1, 2, busy, 1, 15_000, perSecond);
    }

    @Test
    void aThreadAddedForARateStaysWhileThatRateLastsThoughEachThreadLooksIdle() {
        IxcpPolicy p = new IxcpPolicy(SLA);
        int n = 1;
        for (int i = 0; i < 10 && n == 1; i++) {
            n = p.decide(atRate(1, 0.99, 300_000));
        }
        assertThat(n).isEqualTo(2);
        // Two threads at the same rate each read 24 % busy: spread over one thread that is 48 %, but
        // one thread read 99 % at this rate a moment ago. Without the rate memory this flaps.
        for (int i = 0; i < 600; i++) {
            assertThat(p.decide(atRate(2, 0.24, 300_000))).as("interval %d", i).isEqualTo(2);
        }
        // The rate falls to a tenth: the thread goes back.
        int decisions = 0;
        while (n == 2 && decisions < 400) {
            n = p.decide(atRate(2, 0.12, 30_000));
            decisions++;
        }
        assertThat(n).isEqualTo(1);
    }

    @Test
    void theSlowAverageStillRisingAfterAStepUpIsNotAFall() {
        IxcpPolicy p = new IxcpPolicy(SLA);
        p.decide(atRate(1, 0.1, 30_000));
        int n = 1;
        for (int i = 0; i < 10 && n == 1; i++) {
            n = p.decide(atRate(1, 0.99, 300_000)); // the load jumps tenfold: up within a few intervals
        }
        assertThat(n).isEqualTo(2);
        // The slow rate average is still far below 300,000/s for a while; the threads look idle-ish.
        for (int i = 0; i < 200; i++) {
            assertThat(p.decide(atRate(2, 0.11, 300_000))).as("interval %d", i).isEqualTo(2);
        }
    }

    @Test
    void aThreadAddedWhileColdIsGivenBackOnceBothAreNearlyIdleAtTheSameRate() {
        IxcpPolicy p = new IxcpPolicy(SLA);
        int n = p.decide(atRate(1, 0.99, 30_000)); // slow code at first: busy at a light rate
        assertThat(n).isEqualTo(2);
        int decisions = 0;
        while (n == 2 && decisions < 400) {
            n = p.decide(atRate(2, 0.09, 30_000));
            decisions++;
        }
        assertThat(n).isEqualTo(1);
    }

    @Test
    void neverLeavesTheRange() {
        IxcpPolicy p = new IxcpPolicy(SLA);
        for (int i = 0; i < 100; i++) {
            assertThat(p.decide(new LoadSample(100_000_000, 2, 1, 2, 1.0, 50, 900_000, 1e6))).isEqualTo(2);
        }
        IxcpPolicy q = new IxcpPolicy(SLA);
        for (int i = 0; i < 100; i++) {
            assertThat(q.decide(new LoadSample(100_000_000, 1, 1, 2, 0.0, 0, 0, 0))).isEqualTo(1);
        }
    }
}
