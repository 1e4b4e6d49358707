package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RttEstimatorTest {

    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;

    /** No clamping below: min RTO 1 ns, G 1 ns, to see the RFC's formulas bare. */
    private static RttEstimator bare() {
        return new RttEstimator(1, 60 * S, 1, MS);
    }

    @Test
    void initialRtoIsOneSecond() {
        RttEstimator e = new RttEstimator();
        assertThat(e.rto()).isEqualTo(S);
        assertThat(e.hasSample()).isFalse();
    }

    @Test
    void firstSampleSetsSrttAndHalfVariance() {
        RttEstimator e = bare();
        e.sample(100 * MS);
        assertThat(e.srtt()).isEqualTo(100 * MS);
        assertThat(e.rttvar()).isEqualTo(50 * MS);
        assertThat(e.rto()).isEqualTo(300 * MS); // 100 + 4*50
    }

    @Test
    void laterSamplesFollowRfc6298WithVarianceUpdatedFromTheOldSrtt() {
        RttEstimator e = bare();
        e.sample(100 * MS);
        e.sample(200 * MS);
        // RTTVAR = 3/4*50 + 1/4*|100-200| = 37.5 + 25 = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5
        assertThat(e.rttvar()).isEqualTo(62_500_000L);
        assertThat(e.srtt()).isEqualTo(112_500_000L);
        assertThat(e.rto()).isEqualTo(112_500_000L + 250 * MS);
    }

    @Test
    void matchesTheFormulasOverRandomSamples() {
        SplittableRandom r = new SplittableRandom(6298);
        RttEstimator e = new RttEstimator(200 * MS, 60 * S, 16_000, MS);
        double srtt = 0;
        double rttvar = 0;
        for (int i = 0; i < 1000; i++) {
            long rtt = r.nextLong(1_000, 500 * MS);
            if (i == 0) {
                srtt = rtt;
                rttvar = rtt / 2.0;
            } else {
                rttvar = 0.75 * rttvar + 0.25 * Math.abs(srtt - rtt);
                srtt = 0.875 * srtt + 0.125 * rtt;
            }
            e.sample(rtt);
            assertThat((double) e.srtt()).isCloseTo(srtt, org.assertj.core.data.Offset.offset(10.0));
            assertThat((double) e.rttvar()).isCloseTo(rttvar, org.assertj.core.data.Offset.offset(10.0));
            double rto = Math.min(Math.max(srtt + Math.max(16_000, 4 * rttvar), 200 * MS), 60 * S);
            assertThat((double) e.rto()).isCloseTo(rto, org.assertj.core.data.Offset.offset(60.0));
        }
    }

    @Test
    void granularityBoundsTheVarianceTerm() {
        RttEstimator e = new RttEstimator(1, 60 * S, 5 * MS, MS);
        for (int i = 0; i < 100; i++) {
            e.sample(10 * MS); // variance decays towards 0
        }
        assertThat(e.rttvar()).isLessThan(MS);
        assertThat(e.rto()).isEqualTo(15 * MS);
    }

    @Test
    void minimumRtoIs200msByDefaultAndConfigurable() {
        RttEstimator e = new RttEstimator();
        e.sample(100_000); // 100 µs in a datacenter
        assertThat(e.rto()).isEqualTo(200 * MS);
        RttEstimator rfc = new RttEstimator(S, 60 * S, 16_000, MS);
        rfc.sample(100_000);
        assertThat(rfc.rto()).isEqualTo(S);
        assertThatThrownBy(() -> new RttEstimator(MS, 59 * S, 1, MS)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void timeoutsDoubleUpToTheMaximumAndASampleClearsThem() {
        RttEstimator e = new RttEstimator();
        e.onTimeout();
        assertThat(e.rto()).isEqualTo(2 * S);
        e.onTimeout();
        assertThat(e.rto()).isEqualTo(4 * S);
        for (int i = 0; i < 100; i++) {
            e.onTimeout();
        }
        assertThat(e.rto()).isEqualTo(RttEstimator.DEFAULT_MAX_RTO_NANOS);
        assertThat(e.backoffs()).isLessThan(10);
        e.sample(300 * MS);
        assertThat(e.backoffs()).isZero();
        assertThat(e.rto()).isEqualTo(900 * MS);
    }

    @Test
    void karnIgnoresRetransmittedSegmentsButNotTimestamps() {
        RttEstimator e = new RttEstimator();
        e.onTimeout();
        assertThat(e.sampleSegment(50 * MS, true)).isFalse();
        assertThat(e.hasSample()).isFalse();
        assertThat(e.rto()).isEqualTo(2 * S); // backoff kept
        assertThat(e.sampleTimestamp(1_000_120, 1_000_000)).isTrue(); // 120 ticks of 1 ms
        assertThat(e.srtt()).isEqualTo(120 * MS);
        assertThat(e.backoffs()).isZero();
        assertThat(e.sampleSegment(120 * MS, false)).isTrue();
        assertThat(e.srtt()).isEqualTo(120 * MS);
    }

    @Test
    void timestampSamplesWrapAndRejectEchoesFromTheFuture() {
        RttEstimator e = bare();
        assertThat(e.sampleTimestamp(5, -10)).isTrue(); // clock wrapped: 15 ticks
        assertThat(e.srtt()).isEqualTo(15 * MS);
        assertThat(e.sampleTimestamp(100, 101)).isFalse();
        assertThat(e.sampleTimestamp(0, Integer.MIN_VALUE + 5)).isFalse(); // 2^31 ticks back
        assertThat(e.srtt()).isEqualTo(15 * MS);
    }

    @Test
    void synTimeoutWithoutSampleMeansThreeSeconds() {
        RttEstimator e = new RttEstimator();
        e.onTimeout();
        e.handshakeComplete(true);
        assertThat(e.rto()).isEqualTo(3 * S);
        RttEstimator measured = new RttEstimator();
        measured.sampleTimestamp(10, 0);
        measured.handshakeComplete(true);
        assertThat(measured.rto()).isEqualTo(200 * MS);
        RttEstimator clean = new RttEstimator();
        clean.handshakeComplete(false);
        assertThat(clean.rto()).isEqualTo(S);
        e.reset();
        assertThat(e.rto()).isEqualTo(S);
    }
}
