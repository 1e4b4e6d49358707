package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CubicTest {

    private static final int MSS = 1000;
    private static final int ISS = 0x7fff_ff00; // exercise wraparound of recover comparisons
    private static final long MS = 1_000_000L;

    private long now = 5_000_000_000L;
    private long srtt = 100 * MS;
    private final Cubic cc = new Cubic(() -> now, () -> srtt);
    private int una = ISS + 1;

    CubicTest() {
        cc.reset(MSS, ISS);
    }

    // --- helpers: a sender that always has data, ACKed one MSS at a time ---

    /** Slow start from the initial window up to {@code bytes} (a multiple of 2·MSS above it). */
    private void growTo(Cubic c, int bytes) {
        while (c.cwnd() < bytes) {
            una += 2 * MSS;
            c.onAck(una, 2 * MSS, c.cwnd(), una + c.cwnd());
        }
        assertThat(c.cwnd()).isEqualTo(bytes);
    }

    /** A SACK-detected loss with a full window in flight, then the ACK that ends the recovery. */
    private void lossAndRecovery(Cubic c) {
        int flight = c.cwnd();
        int nxt = una + flight;
        assertThat(c.enterSackRecovery(una, flight, nxt)).isEqualTo(CongestionControl.RETRANSMIT);
        una = nxt;
        c.onAck(una, flight, c.cwnd(), una + c.cwnd());
        assertThat(c.inRecovery()).isFalse();
    }

    /** One RTT: the clock moves by SRTT, then the window in flight at its start is ACKed MSS by MSS. */
    private int round(Cubic c) {
        now += srtt;
        int segments = c.cwnd() / MSS;
        for (int i = 0; i < segments; i++) {
            una += MSS;
            c.onAck(una, MSS, c.cwnd(), una + c.cwnd());
        }
        return c.cwnd();
    }

    // --- constants and K ---

    @Test
    void constantsAreRfc9438s() {
        assertThat(Cubic.C).isEqualTo(0.4);
        assertThat(Cubic.BETA).isEqualTo(0.7);
        assertThat(Cubic.ALPHA).isCloseTo(0.9 / 1.7, within(1e-12));
        assertThat(cc.cwnd()).isEqualTo(NewReno.initialWindow(MSS));
        assertThat(cc.ssthresh()).isEqualTo(Integer.MAX_VALUE);
        assertThat(cc.fastConvergence()).isTrue();
    }

    @Test
    void kIsTheCubeRootOfTheReductionOverC() {
        growTo(cc, 100_000); // W_max = 100 segments
        lossAndRecovery(cc);
        assertThat(cc.wMax()).isEqualTo(100_000.0);
        assertThat(cc.cwnd()).isEqualTo(70_000); // β · W_max
        assertThat(cc.epochStarted()).isFalse();
        una += MSS;
        cc.onAck(una, MSS, cc.cwnd(), una + cc.cwnd()); // the epoch starts on this ACK
        assertThat(cc.epochStarted()).isTrue();
        assertThat(cc.cwndEpoch()).isEqualTo(70_000);
        // K = ∛(W_max · (1 − β) / C) = ∛(100 · 0.3 / 0.4) = ∛75 s
        assertThat(cc.k()).isCloseTo(4.217163326508746, within(1e-9));
        assertThat(cc.k() * cc.k() * cc.k()).isCloseTo(75.0, within(1e-9));
        assertThat(cc.wCubic(0)).isCloseTo(70_000.0, within(1e-6)); // the curve starts at cwnd_epoch
        assertThat(cc.wCubic(cc.k())).isCloseTo(100_000.0, within(1e-6)); // and reaches W_max at K
    }

    @Test
    void kScalesWithTheWindowInSegmentsNotBytes() {
        Cubic jumbo = new Cubic(() -> now, () -> srtt);
        jumbo.reset(9000, ISS);
        while (jumbo.cwnd() < 9000 * 1000) {
            una += 18_000;
            jumbo.onAck(una, 18_000, jumbo.cwnd(), una + jumbo.cwnd());
        }
        assertThat(jumbo.cwnd()).isEqualTo(9_000_000); // 1000 segments
        lossAndRecovery(jumbo);
        una += 9000;
        jumbo.onAck(una, 9000, jumbo.cwnd(), una + jumbo.cwnd());
        assertThat(jumbo.k()).isCloseTo(Math.cbrt(1000 * 0.3 / 0.4), within(1e-9)); // ∛750 ≈ 9.09 s
    }

    // --- the curve ---

    @Test
    void concaveBelowWmaxPlateauAtWmaxConvexAbove() {
        growTo(cc, 1_000_000); // W_max = 1000 segments, K ≈ 9.09 s ≈ 91 RTTs of 100 ms
        lossAndRecovery(cc);
        int rounds = 200;
        int[] w = new int[rounds + 1];
        w[0] = cc.cwnd();
        for (int r = 1; r <= rounds; r++) {
            w[r] = round(cc);
            assertThat(w[r]).isGreaterThanOrEqualTo(w[r - 1]); // never shrinks in congestion avoidance
            if (r >= 2) { // (in the epoch's first RTT, W_cubic(0) = cwnd_epoch = W_est's start)
                assertThat(cc.wEst()).as("Reno-friendly estimate stays below").isLessThan(w[r]);
            }
        }
        double k = cc.k();
        int kRound = (int) Math.round(k * 1e9 / srtt);
        assertThat(kRound).isBetween(90, 92);
        // concave: below W_max all the way to K
        for (int r = 0; r < kRound - 1; r++) {
            assertThat(w[r]).isLessThanOrEqualTo(1_000_000);
        }
        // plateau: within 1 % of W_max for a second around K
        for (int r = kRound - 5; r <= kRound + 5; r++) {
            assertThat((double) w[r]).isCloseTo(1_000_000.0, within(10_000.0));
        }
        int early = w[10] - w[0]; // first second: fast, far below W_max
        int plateau = w[kRound + 5] - w[kRound - 5]; // the second around K: slow
        int late = w[2 * kRound + 5] - w[2 * kRound - 5]; // a second around 2K: fast again, convex
        assertThat(early).isGreaterThan(50_000);
        assertThat(plateau).isLessThan(5_000);
        assertThat(late).isGreaterThan(50_000);
        // concave: increments shrink approaching K; convex: they grow past it
        assertThat(w[20] - w[10]).isLessThan(early);
        assertThat(w[kRound - 5] - w[kRound - 15]).isLessThan(w[20] - w[10]);
        assertThat(w[kRound + 15] - w[kRound + 5]).isGreaterThan(plateau);
        assertThat(w[kRound + 25] - w[kRound + 15]).isGreaterThan(w[kRound + 15] - w[kRound + 5]);
        // and it tracks the curve up to one RTT ahead, never beyond it (the epoch began in round 1)
        double t = (rounds - 1) * srtt / 1e9;
        assertThat((double) w[rounds]).isLessThanOrEqualTo(cc.wCubic(t + srtt / 1e9));
        assertThat((double) w[rounds]).isGreaterThan(cc.wCubic(t - 2 * srtt / 1e9));
    }

    @Test
    void growthIsAtMostHalfTheWindowPerRtt() {
        growTo(cc, 100_000);
        lossAndRecovery(cc);
        round(cc); // epoch starts
        int before = cc.cwnd();
        now += 60_000 * MS; // a minute later W_cubic is far above: target is bounded by 1.5 · cwnd
        int segments = before / MSS;
        for (int i = 0; i < segments; i++) {
            una += MSS;
            cc.onAck(una, MSS, cc.cwnd(), una + cc.cwnd());
        }
        assertThat(cc.cwnd()).isGreaterThan(before).isLessThanOrEqualTo(before * 3 / 2);
    }

    @Test
    void renoFriendlyRegionDominatesAtSmallRttTimesWindow() {
        srtt = MS; // 1 ms RTT, W_max = 20 segments: K ≈ 2.47 s ≈ 2466 RTTs
        growTo(cc, 20_000);
        lossAndRecovery(cc);
        assertThat(cc.cwnd()).isEqualTo(14_000);
        int[] w = new int[41];
        w[0] = cc.cwnd();
        for (int r = 1; r <= 40; r++) {
            w[r] = round(cc);
            double t = (double) r * srtt / 1e9;
            assertThat(cc.wCubic(t)).as("W_cubic below W_est").isLessThan(cc.wEst());
            assertThat(w[r]).isEqualTo((int) cc.wEst()); // cwnd follows W_est
        }
        assertThat(cc.k()).isCloseTo(Math.cbrt(6 / 0.4), within(1e-9));
        // below cwnd_prior (20 segments) W_est grows by α_cubic ≈ 0.53 MSS per RTT
        assertThat((w[5] - w[0]) / 5.0).isBetween(0.9 * Cubic.ALPHA * MSS, 1.05 * Cubic.ALPHA * MSS);
        assertThat(cc.cwndPrior()).isEqualTo(20_000);
        // once past cwnd_prior, α = 1: one MSS per RTT, like Reno
        int r0 = 0;
        while (w[r0] < 20_000) {
            r0++;
        }
        assertThat(r0).isBetween(10, 14); // 6 segments at ≈ 0.53 per RTT
        assertThat((w[r0 + 20] - w[r0 + 10]) / 10.0).isBetween(0.9 * MSS, 1.05 * MSS);
        // where the cubic curve alone would have moved by less than one MSS in 40 RTTs
        assertThat(cc.wCubic(0.040) - cc.wCubic(0)).isLessThan(MSS);
        assertThat(w[40] - w[0]).isGreaterThan(20 * MSS);
    }

    // --- congestion events ---

    @Test
    void lossMultipliesTheWindowByBeta() {
        growTo(cc, 100_000);
        int nxt = una + 100_000;
        assertThat(cc.enterSackRecovery(una, 100_000, nxt)).isEqualTo(CongestionControl.RETRANSMIT);
        assertThat(cc.cwnd()).isEqualTo(70_000);
        assertThat(cc.ssthresh()).isEqualTo(70_000);
        assertThat(cc.cwndPrior()).isEqualTo(100_000);
        assertThat(cc.wMax()).isEqualTo(100_000.0);
        assertThat(cc.inSackRecovery()).isTrue();
        assertThat(cc.recover()).isEqualTo(nxt - 1);

        Cubic reno = new Cubic(() -> now, () -> srtt); // the NewReno-style entry: ssthresh + 3 MSS
        reno.reset(MSS, ISS);
        growTo(reno, 100_000);
        for (int i = 0; i < 2; i++) {
            assertThat(reno.onDupAck(una, 100_000, una + 100_000)).isEqualTo(CongestionControl.NONE);
        }
        assertThat(reno.onDupAck(una, 100_000, una + 100_000)).isEqualTo(CongestionControl.RETRANSMIT);
        assertThat(reno.ssthresh()).isEqualTo(70_000);
        assertThat(reno.cwnd()).isEqualTo(73_000);
        assertThat(reno.inSackRecovery()).isFalse();
    }

    @Test
    void ssthreshUsesFlightSizeWithATwoSegmentFloor() {
        assertThat(cc.enterSackRecovery(una, 2_000, una + 2_000)).isEqualTo(CongestionControl.RETRANSMIT);
        assertThat(cc.ssthresh()).isEqualTo(2 * MSS);
        assertThat(cc.cwnd()).isEqualTo(2 * MSS);
        assertThat(cc.wMax()).isEqualTo(10_000.0); // W_max is the window, not the flight
        Cubic other = new Cubic(() -> now, () -> srtt);
        other.reset(MSS, ISS);
        other.enterSackRecovery(una, 7_777, una + 7_777);
        assertThat(other.ssthresh()).isEqualTo(5_443); // ⌊7777 · 0.7⌋
    }

    /** A first loss at 100 segments, congestion avoidance up to 80 segments; returns cwnd there. */
    private int belowThePreviousMaximum(Cubic c) {
        una = ISS + 1;
        growTo(c, 100_000);
        lossAndRecovery(c); // W_max = 100 segments
        assertThat(c.wMax()).isEqualTo(100_000.0);
        while (c.cwnd() < 80_000) {
            round(c);
        }
        assertThat(c.cwnd()).isLessThan(100_000);
        return c.cwnd();
    }

    @Test
    void fastConvergenceLowersWmaxWhenLossComesBeforeTheOldMaximum() {
        Cubic plain = new Cubic(() -> now, () -> srtt, false);
        plain.reset(MSS, ISS);
        assertThat(plain.fastConvergence()).isFalse();
        int wp = belowThePreviousMaximum(plain);
        lossAndRecovery(plain);
        assertThat(plain.wMax()).isEqualTo((double) wp); // without fast convergence: W_max = cwnd

        int w = belowThePreviousMaximum(cc);
        lossAndRecovery(cc); // the second loss, below the previous W_max
        assertThat(cc.wMax()).isCloseTo(w * (1 + 0.7) / 2, within(1e-6)); // released: W_max = cwnd · 0.85
        assertThat(cc.wMax()).isLessThan(w);
        assertThat(cc.cwndPrior()).isEqualTo(w);
        assertThat(cc.cwnd()).isEqualTo(w * 7 / 10);
        // the next epoch's K follows the lowered W_max
        una += MSS;
        cc.onAck(una, MSS, cc.cwnd(), una + cc.cwnd());
        assertThat(cc.k()).isCloseTo(Math.cbrt((cc.wMax() - cc.cwndEpoch()) / MSS / 0.4), within(1e-9));
    }

    @Test
    void lossAboveThePreviousMaximumSetsWmaxToTheWindow() {
        growTo(cc, 20_000);
        lossAndRecovery(cc); // W_max = 20 segments, cwnd 14
        while (cc.cwnd() < 25_000) {
            round(cc);
        }
        int w = cc.cwnd();
        lossAndRecovery(cc);
        assertThat(cc.wMax()).isEqualTo((double) w);
    }

    @Test
    void timeoutGoesToOneSegmentAndRestartsTheCurveAtItsInflection() {
        growTo(cc, 100_000);
        lossAndRecovery(cc); // W_max = 100 segments, cwnd 70
        assertThat(cc.wMax()).isEqualTo(100_000.0);
        int nxt = una + 100_000;
        cc.onTimeout(100_000, nxt, false);
        assertThat(cc.cwnd()).isEqualTo(MSS);
        assertThat(cc.ssthresh()).isEqualTo(70_000); // β · FlightSize, not Reno's 1/2
        assertThat(cc.recover()).isEqualTo(nxt - 1);
        assertThat(cc.cwndPrior()).isEqualTo(70_000); // cwnd when the timeout fired
        cc.onTimeout(1_000, nxt, true); // repeated: ssthresh held
        assertThat(cc.ssthresh()).isEqualTo(70_000);
        assertThat(cc.cwnd()).isEqualTo(MSS);
        // slow start back to ssthresh
        una = nxt;
        while (cc.cwnd() < cc.ssthresh()) {
            una += MSS;
            cc.onAck(una, MSS, cc.cwnd(), una + cc.cwnd());
        }
        assertThat(cc.cwnd()).isEqualTo(70_000);
        assertThat(cc.epochStarted()).isFalse();
        int[] w = new int[61];
        w[0] = cc.cwnd();
        for (int r = 1; r <= 60; r++) {
            w[r] = round(cc);
        }
        // §4.8: K = 0 and W_max = cwnd_epoch (not the 100 segments of the earlier loss, which
        // would give K = ∛75 s and a concave start): convex from the start (after the Reno-friendly
        // estimate's first seconds), every two seconds faster than the last
        assertThat(cc.k()).isZero();
        assertThat(cc.cwndEpoch()).isEqualTo(70_000);
        assertThat(cc.wMax()).isEqualTo(70_000.0);
        assertThat(w[20] - w[0]).isLessThan(w[40] - w[20]);
        assertThat(w[40] - w[20]).isLessThan(w[60] - w[40]);
        assertThat(cc.wEst()).isLessThan(w[60]);
        assertThat((double) w[60]).isLessThanOrEqualTo(cc.wCubic(6.0));
    }

    @Test
    void timeoutDuringRecoveryKeepsTheLossesCwndPrior() {
        growTo(cc, 100_000);
        int nxt = una + 100_000;
        cc.enterSackRecovery(una, 100_000, nxt);
        cc.onTimeout(60_000, nxt, false);
        assertThat(cc.inRecovery()).isFalse();
        assertThat(cc.cwndPrior()).isEqualTo(100_000);
        assertThat(cc.ssthresh()).isEqualTo(42_000);
        assertThat(cc.cwnd()).isEqualTo(MSS);
    }

    @Test
    void idleRestartShrinksToTheInitialWindowAndStartsANewEpoch() {
        growTo(cc, 100_000);
        lossAndRecovery(cc);
        for (int r = 0; r < 10; r++) {
            round(cc);
        }
        assertThat(cc.epochStarted()).isTrue();
        cc.restartAfterIdle();
        assertThat(cc.cwnd()).isEqualTo(10_000);
        assertThat(cc.epochStarted()).isFalse();
        // cwnd < ssthresh: slow start first, then a new curve from there towards the same W_max
        while (cc.cwnd() < cc.ssthresh()) {
            una += 2 * MSS;
            cc.onAck(una, 2 * MSS, cc.cwnd(), una + cc.cwnd());
        }
        now += 3_600_000 * MS; // an hour of idle does not count in the new epoch
        round(cc);
        assertThat(cc.cwndEpoch()).isEqualTo(70_000);
        assertThat(cc.wMax()).isEqualTo(100_000.0);
        assertThat(cc.cwnd()).isLessThan(75_000);
        cc.onTimeout(0, una, false);
        cc.restartAfterIdle();
        assertThat(cc.cwnd()).isEqualTo(MSS);
    }

    // --- the recovery contract shared with NewReno ---

    @Test
    void fastRetransmitPartialAcksAndFullAckAsNewReno() {
        growTo(cc, 20_000);
        int nxt = una + 20_000;
        assertThat(cc.onDupAck(una, 20_000, nxt)).isEqualTo(CongestionControl.NONE);
        assertThat(cc.onDupAck(una, 20_000, nxt)).isEqualTo(CongestionControl.NONE);
        assertThat(cc.inRecovery()).isFalse();
        assertThat(cc.onDupAck(una, 20_000, nxt)).isEqualTo(CongestionControl.RETRANSMIT);
        assertThat(cc.inRecovery()).isTrue();
        assertThat(cc.ssthresh()).isEqualTo(14_000);
        assertThat(cc.cwnd()).isEqualTo(17_000);
        assertThat(cc.recover()).isEqualTo(nxt - 1);
        assertThat(cc.onDupAck(una, 20_000, nxt)).isEqualTo(CongestionControl.NONE);
        assertThat(cc.cwnd()).isEqualTo(18_000); // inflation
        // partial ACKs: retransmit, deflate, restart the timer on the first only
        int actions = cc.onAck(una + 5_000, 5_000, 15_000, nxt);
        assertThat(actions).isEqualTo(CongestionControl.RETRANSMIT | CongestionControl.RESTART_TIMER);
        assertThat(cc.cwnd()).isEqualTo(18_000 - 5_000 + MSS);
        actions = cc.onAck(una + 5_500, 500, 14_500, nxt);
        assertThat(actions).isEqualTo(CongestionControl.RETRANSMIT);
        assertThat(cc.cwnd()).isEqualTo(13_500);
        actions = cc.onAck(nxt - 1, nxt - 1 - (una + 5_500), 1, nxt); // exactly recover: still partial
        assertThat(actions & CongestionControl.RETRANSMIT).isNotZero();
        assertThat(cc.inRecovery()).isTrue();
        // full ACK: min(ssthresh, max(FlightSize, MSS) + MSS)
        assertThat(cc.onAck(nxt, 1, 0, nxt)).isEqualTo(CongestionControl.NONE);
        assertThat(cc.inRecovery()).isFalse();
        assertThat(cc.cwnd()).isEqualTo(2 * MSS);
        assertThat(cc.dupAcks()).isZero();
        // below ssthresh again: slow start, then the cubic epoch
        una = nxt;
        cc.onAck(una + 2_000, 2_000, 0, una + 2_000);
        assertThat(cc.cwnd()).isEqualTo(4_000);
        assertThat(cc.epochStarted()).isFalse();
    }

    @Test
    void noSecondFastRetransmitForTheSameWindowAfterATimeout() {
        int nxt = una + 10_000;
        cc.onTimeout(10_000, nxt, false);
        assertThat(cc.cwnd()).isEqualTo(MSS);
        assertThat(cc.ssthresh()).isEqualTo(7_000);
        for (int i = 0; i < 5; i++) {
            assertThat(cc.onDupAck(una + 3_000, 7_000, nxt)).isEqualTo(CongestionControl.NONE);
        }
        assertThat(cc.enterSackRecovery(una + 3_000, 7_000, nxt)).isEqualTo(CongestionControl.NONE);
        assertThat(cc.inRecovery()).isFalse();
        cc.onAck(nxt, 7_000, 0, nxt + 4_000);
        for (int i = 0; i < 3; i++) {
            cc.onDupAck(nxt, 4_000, nxt + 4_000);
        }
        assertThat(cc.inRecovery()).isTrue();
    }

    @Test
    void sackRecoveryLeavesCwndToPipeUntilRecover() {
        growTo(cc, 20_000);
        int nxt = una + 20_000;
        assertThat(cc.enterSackRecovery(una, 20_000, nxt)).isEqualTo(CongestionControl.RETRANSMIT);
        assertThat(cc.cwnd()).isEqualTo(14_000).isEqualTo(cc.ssthresh());
        assertThat(cc.enterSackRecovery(una, 20_000, nxt)).isEqualTo(CongestionControl.NONE);
        cc.onDupAck(una, 20_000, nxt);
        assertThat(cc.cwnd()).isEqualTo(14_000);
        assertThat(cc.onAck(una + 5_000, 5_000, 15_000, nxt)).isEqualTo(CongestionControl.NONE);
        assertThat(cc.cwnd()).isEqualTo(14_000);
        cc.onAck(nxt, 15_000, 0, nxt);
        assertThat(cc.inRecovery()).isFalse();
        assertThat(cc.cwnd()).isEqualTo(14_000);
    }

    /**
     * The same random event sequence through NewReno and CUBIC: windows differ, but every action
     * bit, recovery state, recover point and duplicate ACK count agree, so the state machine can
     * swap one for the other.
     */
    @Test
    void actionsAndRecoveryStateMatchNewRenoOnRandomEvents() {
        SplittableRandom rnd = new SplittableRandom(9438);
        NewReno reno = new NewReno();
        reno.reset(MSS, ISS);
        int snd = ISS + 1;
        int nxt = snd;
        for (int step = 0; step < 200_000; step++) {
            now += rnd.nextLong(1, 20 * MS);
            int flight = nxt - snd;
            int a;
            int b;
            switch (rnd.nextInt(10)) {
                case 0, 1, 2 -> { // send some more, up to a bounded flight
                    if (flight < 1_000_000) {
                        nxt += MSS * rnd.nextInt(1, 10);
                    }
                    continue;
                }
                case 3, 4, 5 -> { // ACK of new data
                    if (flight == 0) {
                        continue;
                    }
                    int acked = Math.min(flight, rnd.nextInt(1, 4 * MSS));
                    snd += acked;
                    a = reno.onAck(snd, acked, nxt - snd, nxt);
                    b = cc.onAck(snd, acked, nxt - snd, nxt);
                }
                case 6, 7 -> {
                    if (flight == 0) {
                        continue;
                    }
                    a = reno.onDupAck(snd, flight, nxt);
                    b = cc.onDupAck(snd, flight, nxt);
                }
                case 8 -> {
                    if (flight == 0 || rnd.nextInt(4) != 0) {
                        continue;
                    }
                    a = reno.enterSackRecovery(snd, flight, nxt);
                    b = cc.enterSackRecovery(snd, flight, nxt);
                }
                default -> {
                    if (rnd.nextInt(20) == 0) {
                        boolean repeated = rnd.nextBoolean();
                        reno.onTimeout(flight, nxt, repeated);
                        cc.onTimeout(flight, nxt, repeated);
                    } else if (rnd.nextInt(10) == 0) {
                        reno.restartAfterIdle();
                        cc.restartAfterIdle();
                    }
                    a = CongestionControl.NONE;
                    b = CongestionControl.NONE;
                }
            }
            assertThat(b).as("actions at step %d", step).isEqualTo(a);
            assertThat(cc.inRecovery()).isEqualTo(reno.inRecovery());
            assertThat(cc.inSackRecovery()).isEqualTo(reno.inSackRecovery());
            assertThat(cc.recover()).isEqualTo(reno.recover());
            assertThat(cc.dupAcks()).isEqualTo(reno.dupAcks());
            assertThat(cc.cwnd()).isBetween(MSS, 1 << 30);
            assertThat(cc.ssthresh()).isGreaterThanOrEqualTo(2 * MSS);
        }
    }

    @Test
    void eventsAllocateNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int quiet = 0;
        for (int w = 0; w < 100 && (w < 10 || quiet < 2); w++) {
            long before = mx.getCurrentThreadAllocatedBytes();
            churn(20_000);
            quiet = mx.getCurrentThreadAllocatedBytes() - before == 0 ? quiet + 1 : 0;
        }
        assertThat(quiet).isGreaterThanOrEqualTo(2);
        long before = mx.getCurrentThreadAllocatedBytes();
        churn(100_000);
        assertThat(mx.getCurrentThreadAllocatedBytes() - before).isZero();
    }

    /** Congestion avoidance, losses, recoveries and timeouts, no allocation in the test's own code. */
    private void churn(int events) {
        for (int i = 0; i < events; i++) {
            now += MS;
            una += MSS;
            cc.onAck(una, MSS, cc.cwnd(), una + cc.cwnd());
            if (i % 997 == 0) {
                cc.onDupAck(una, cc.cwnd(), una + cc.cwnd());
                cc.onDupAck(una, cc.cwnd(), una + cc.cwnd());
                cc.onDupAck(una, cc.cwnd(), una + cc.cwnd());
            } else if (i % 1999 == 0) {
                cc.enterSackRecovery(una, cc.cwnd(), una + cc.cwnd());
            } else if (i % 4999 == 0) {
                cc.onTimeout(cc.cwnd(), una + cc.cwnd(), false);
            } else if (i % 7919 == 0) {
                cc.restartAfterIdle();
            }
        }
    }
}
