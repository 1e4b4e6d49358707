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
