package io.jix.loadgen.memcached;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PoissonScheduleTest {

    @Test
    void theMeanRateIsTheAskedRateAndTheGapsAreExponential() {
        double rate = 12_500;
        long start = 1_000_000_000L;
        PoissonSchedule s = new PoissonSchedule(42, rate, start);
        int n = 200_000;
        long previous = start;
        double sum = 0;
        double sumSquares = 0;
        long first = s.due();
        for (int i = 0; i < n; i++) {
            long due = i == 0 ? first : s.advance();
            double gap = due - previous;
            assertThat(gap).isGreaterThanOrEqualTo(0);
            sum += gap;
            sumSquares += gap * gap;
            previous = due;
        }
        double mean = sum / n;
        double sd = Math.sqrt(sumSquares / n - mean * mean);
        // 200,000 exponential gaps: the mean is within 1 % of 1/rate (its standard error is 0.22 %).
        assertThat(n / ((previous - start) / 1e9)).isCloseTo(rate, within(rate * 0.01));
        assertThat(mean).isCloseTo(1e9 / rate, within(1e9 / rate * 0.01));
        // Exponential: the standard deviation equals the mean (a fixed pace would have 0).
        assertThat(sd / mean).isCloseTo(1.0, within(0.02));
    }

    @Test
    void theSameSeedGivesTheSameScheduleAndAnotherSeedAnother() {
        PoissonSchedule a = new PoissonSchedule(7, 1000, 0);
        PoissonSchedule b = new PoissonSchedule(7, 1000, 0);
        PoissonSchedule c = new PoissonSchedule(8, 1000, 0);
        boolean differs = a.due() != c.due();
        assertThat(a.due()).isEqualTo(b.due());
        for (int i = 0; i < 1000; i++) {
            long x = a.advance();
            assertThat(b.advance()).isEqualTo(x);
            differs |= c.advance() != x;
        }
        assertThat(differs).isTrue();
    }

    @Test
    void dueDoesNotAdvanceAndARateMustBePositive() {
        PoissonSchedule s = new PoissonSchedule(1, 100, 5);
        assertThat(s.due()).isEqualTo(s.due()).isGreaterThanOrEqualTo(5);
        assertThat(s.meanGapNanos()).isEqualTo(1e7);
        assertThatThrownBy(() -> new PoissonSchedule(1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PoissonSchedule(1, Double.NaN, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
