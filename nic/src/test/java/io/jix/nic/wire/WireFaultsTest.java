package io.jix.nic.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.QueueCounter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Each fault alone, at a set rate, over 100,000 frames sent a to b on a manual clock. Counts are
 * checked against the binomial expectation {@code N p} within five standard deviations
 * ({@code 5 sqrt(N p (1 - p))}): the decisions are a fixed function of the seed, so this is not
 * flaky, and five sigma would still hold for any seed with probability 1 - 6e-7 — the tolerance
 * is there to show the rate is right without tuning the seed.
 */
class WireFaultsTest {

    private static final int N = 100_000;
    private final long[] now = {1_000_000};

    private Wire wire(Faults aToB) {
        return Wire.create(WireConfig.builder().frames(512).ringSlots(256).faults(aToB, Faults.NONE)
                .clock(() -> now[0]).build());
    }

    private static void nearExpectation(long actual, int n, double p) {
        double sigma = Math.sqrt(n * p * (1 - p));
        assertThat((double) actual).as("count vs %s x %s", n, p).isBetween(n * p - 5 * sigma, n * p + 5 * sigma);
    }

    /** What b received, in arrival order. */
    static final class Arrivals {
        long[] seq = new long[2 * N + 64];
        int[] length = new int[2 * N + 64];
        int[] diffBySeq = new int[2 * N + 64];
        int[] diffByPosition = new int[2 * N + 64];
        long[] hash = new long[2 * N + 64];
        long[] time = new long[2 * N + 64];
        int count;

        long[] seqs() {
            return Arrays.copyOf(seq, count);
        }
    }

    /** Sends {@code n} frames a to b in bursts of 32, advancing the clock by {@code tick} per round, and records what arrives. */
    private Arrivals run(Wire w, Payloads p, int n, long tick) {
        Arrivals got = new Arrivals();
        FrameBurst tx = new FrameBurst(32);
        FrameBurst rx = new FrameBurst(32);
        long seq = 0;
        WireQueue a = w.a();
        WireQueue b = w.b();
        int idle = 0;
        while (idle < 3) {
            while (seq < n && tx.remaining() > 0 && p.add(a.pool(), tx, seq, 0)) {
                seq++;
            }
            a.transmit(tx);
            a.reclaim();
            int r = receiveAll(b, p, rx, got);
            now[0] += tick;
            if (seq == n && tx.count() == 0) {
                if (r == 0) {
                    idle++;
                    now[0] += 1_000_000_000L; // past any delay and reorder timeout
                    a.reclaim();
                } else {
                    idle = 0;
                }
            }
        }
        return got;
    }

    private int receiveAll(WireQueue b, Payloads p, FrameBurst rx, Arrivals got) {
        int total = 0;
        FramePool pool = b.pool();
        MemorySegment m = pool.region();
        while (true) {
            rx.clear();
            int r = b.receive(rx, 32);
            if (r == 0) {
                return total;
            }
            for (int i = 0; i < r; i++) {
                long at = pool.offset(rx.frame(i)) + rx.offset(i);
                int len = rx.length(i);
                int k = got.count++;
                got.seq[k] = Payloads.sequence(m, at);
                got.length[k] = len;
                got.diffBySeq[k] = p.differences(m, at, len, got.seq[k]);
                got.diffByPosition[k] = p.differences(m, at, len, k);
                long h = len;
                for (int j = 0; j < len; j++) {
                    h = h * 31 + m.get(ValueLayout.JAVA_BYTE, at + j);
                }
                got.hash[k] = h;
                got.time[k] = now[0];
                pool.release(rx.frame(i));
            }
            total += r;
        }
    }

    @Test
    void dropLosesFramesAtTheRateAndNothingElse() {
        try (Wire w = wire(Faults.builder().seed(11).drop(0.05).build())) {
            Arrivals got = run(w, new Payloads(1, 60, 400), N, 0);
            long dropped = w.a().counters().get(QueueCounter.FAULT_DROPPED);
            nearExpectation(dropped, N, 0.05);
            assertThat(got.count).isEqualTo(N - dropped);
            long[] s = got.seqs();
            for (int i = 1; i < s.length; i++) {
                assertThat(s[i]).isGreaterThan(s[i - 1]);
            }
            for (int i = 0; i < got.count; i++) {
                assertThat(got.diffBySeq[i]).isZero();
            }
            assertThat(w.a().counters().get(QueueCounter.TX_FRAMES)).isEqualTo(N);
            assertThat(w.b().counters().get(QueueCounter.RX_FRAMES)).isEqualTo(N - dropped);
            assertThat(w.a().pool().available()).isEqualTo(512);
        }
    }

    @Test
    void duplicateDeliversASecondIdenticalCopyRightBehind() {
        try (Wire w = wire(Faults.builder().seed(12).duplicate(0.05).build())) {
            Arrivals got = run(w, new Payloads(2, 60, 400), N, 0);
            long dups = w.a().counters().get(QueueCounter.FAULT_DUPLICATED);
            nearExpectation(dups, N, 0.05);
            assertThat(got.count).isEqualTo(N + dups);
            int twice = 0;
            long expect = 0;
            for (int i = 0; i < got.count; i++) {
                assertThat(got.diffBySeq[i]).isZero();
                if (i > 0 && got.seq[i] == got.seq[i - 1]) {
                    twice++;
                    assertThat(got.hash[i]).isEqualTo(got.hash[i - 1]);
                } else {
                    assertThat(got.seq[i]).isEqualTo(expect++);
                }
            }
            assertThat(expect).isEqualTo(N);
            assertThat(twice).isEqualTo((int) dups);
        }
    }

    @Test
    void corruptionFlipsExactlyOneByteOfTheFramesItHits() {
        try (Wire w = wire(Faults.builder().seed(13).corrupt(0.01).build())) {
            Arrivals got = run(w, new Payloads(3, 60, 1500), N, 0);
            long corrupted = w.a().counters().get(QueueCounter.FAULT_CORRUPTED);
            nearExpectation(corrupted, N, 0.01);
            assertThat(got.count).isEqualTo(N);
            int hit = 0;
            for (int i = 0; i < N; i++) {
                assertThat(got.diffByPosition[i]).as("frame %s", i).isBetween(0, 1);
                hit += got.diffByPosition[i];
            }
            assertThat(hit).isEqualTo((int) corrupted);
        }
    }

    @Test
    void reorderKeepsEveryFrameOnceAndMovesEachHeldOneBackByAtMostTheDistance() {
        int distance = 8;
        try (Wire w = wire(Faults.builder().seed(14).reorder(0.05, distance).build())) {
            Arrivals got = run(w, new Payloads(4, 60, 400), N, 0);
            long reordered = w.a().counters().get(QueueCounter.FAULT_REORDERED);
            nearExpectation(reordered, N, 0.05);
            long[] s = got.seqs();
            long[] sorted = s.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < N; i++) {
                assertThat(sorted[i]).isEqualTo(i);
            }
            long late = 0;
            long highest = -1;
            long maxShift = 0;
            for (int i = 0; i < s.length; i++) {
                assertThat(got.diffBySeq[i]).isZero();
                if (s[i] < highest) {
                    late++;
                }
                highest = Math.max(highest, s[i]);
                int overtakers = 0;
                for (int j = Math.max(0, i - 4 * distance); j < i; j++) {
                    if (s[j] > s[i]) {
                        overtakers++;
                    }
                }
                assertThat(overtakers).as("frames that overtook %s", s[i]).isLessThanOrEqualTo(distance);
                maxShift = Math.max(maxShift, i - s[i]);
            }
            // Every held frame is overtaken, except those held at the very end that the timeout let go
            // with nothing behind them (at most the hold area's size).
            assertThat(late).as("frames overtaken").isBetween(reordered - Faults.MAX_REORDER_DISTANCE, reordered);
            assertThat(maxShift).isBetween(1L, (long) distance);
            assertThat(w.a().held()).isZero();
        }
    }

    @Test
    void aHeldFrameIsLetGoAfterTheReorderTimeoutWhenNothingFollows() {
        try (Wire w = wire(Faults.builder().seed(15).reorder(1.0, 32).reorderTimeoutNanos(50_000).build())) {
            Payloads p = new Payloads(5, 60, 60);
            FrameBurst tx = new FrameBurst(1);
            p.add(w.a().pool(), tx, 0, 0);
            assertThat(w.a().transmit(tx)).isEqualTo(1);
            assertThat(w.a().held()).isEqualTo(1);
            FrameBurst rx = new FrameBurst(4);
            now[0] += 49_999;
            w.a().reclaim();
            assertThat(w.b().receive(rx, 4)).isZero();
            now[0] += 1;
            w.a().reclaim();
            assertThat(w.b().receive(rx, 4)).isEqualTo(1);
            assertThat(w.a().held()).isZero();
        }
    }

    @Test
    void delayHoldsEachFrameUntilItsReleaseTimeInOrder() {
        long fixed = 10_000;
        long jitter = 5_000;
        try (Wire w = wire(Faults.builder().seed(16).delay(fixed, jitter).build())) {
            Payloads p = new Payloads(6, 60, 200);
            FrameBurst tx = new FrameBurst(32);
            for (int i = 0; i < 32; i++) {
                p.add(w.a().pool(), tx, i, 0);
            }
            long sentAt = now[0];
            assertThat(w.a().transmit(tx)).isEqualTo(32);
            assertThat(w.a().counters().get(QueueCounter.FAULT_DELAYED)).isEqualTo(32);
            Arrivals got = new Arrivals();
            FrameBurst rx = new FrameBurst(32);
            now[0] = sentAt + fixed - 1;
            assertThat(receiveAll(w.b(), p, rx, got)).isZero();
            int distinctTimes = 0;
            long last = -1;
            while (now[0] <= sentAt + fixed + jitter) {
                now[0] += 100;
                int before = got.count;
                receiveAll(w.b(), p, rx, got);
                if (got.count > before && now[0] != last) {
                    distinctTimes++;
                    last = now[0];
                }
            }
            assertThat(got.count).isEqualTo(32);
            for (int i = 0; i < 32; i++) {
                assertThat(got.seq[i]).isEqualTo(i);
                assertThat(got.time[i]).isGreaterThanOrEqualTo(sentAt + fixed);
                assertThat(got.diffBySeq[i]).isZero();
            }
            assertThat(distinctTimes).as("jitter spreads arrivals").isGreaterThan(1);
        }
    }

    @Test
    void awaitTrafficSleepsUntilADelayedFrameIsDue() {
        try (Wire w = Wire.create(WireConfig.builder().faults(Faults.builder().delay(30_000_000, 0).build()).build())) {
            Payloads p = new Payloads(6, 60, 60);
            FrameBurst tx = new FrameBurst(1);
            p.add(w.a().pool(), tx, 0, 0);
            long t0 = System.nanoTime();
            w.a().transmit(tx);
            FrameBurst rx = new FrameBurst(1);
            assertThat(w.b().receive(rx, 1)).isZero();
            w.b().awaitTraffic(5_000_000_000L);
            long waited = System.nanoTime() - t0;
            assertThat(waited).isBetween(30_000_000L, 2_000_000_000L);
            assertThat(w.b().receive(rx, 1)).isEqualTo(1);
        }
    }

    private static final Faults ALL = Faults.builder().seed(99).drop(0.05).duplicate(0.05).reorder(0.05, 8)
            .corrupt(0.001).delay(1_000, 2_000).build();

    @Test
    void theSameSeedReproducesTheSameDeliveryAndAnotherSeedDoesNot() {
        Arrivals[] runs = new Arrivals[3];
        String[] counters = new String[3];
        Faults[] faults = {ALL, ALL, Faults.builder().seed(100).drop(0.05).duplicate(0.05).reorder(0.05, 8)
                .corrupt(0.001).delay(1_000, 2_000).build()};
        for (int r = 0; r < 3; r++) {
            now[0] = 1_000_000;
            try (Wire w = wire(faults[r])) {
                runs[r] = run(w, new Payloads(7, 60, 400), 20_000, 700);
                counters[r] = w.a().counters().toString();
            }
        }
        assertThat(runs[0].count).isEqualTo(runs[1].count);
        assertThat(Arrays.copyOf(runs[0].hash, runs[0].count)).isEqualTo(Arrays.copyOf(runs[1].hash, runs[1].count));
        assertThat(Arrays.copyOf(runs[0].time, runs[0].count)).isEqualTo(Arrays.copyOf(runs[1].time, runs[1].count));
        assertThat(counters[0]).isEqualTo(counters[1]).contains("fault_dropped", "fault_duplicated",
                "fault_reordered", "fault_corrupted", "fault_delayed");
        assertThat(Arrays.copyOf(runs[2].hash, runs[2].count)).isNotEqualTo(Arrays.copyOf(runs[0].hash, runs[0].count));
    }

    @Test
    void decisionsDependOnSequenceNumberAndLengthOnly() {
        FaultPlan one = new FaultPlan(ALL, 0);
        FaultPlan two = new FaultPlan(ALL, 0);
        FaultPlan other = new FaultPlan(ALL, 1);
        int same = 0;
        for (long k = 0; k < 10_000; k++) {
            one.decide(k, 100);
        }
        for (long k = 9_999; k >= 0; k--) { // in another order
            two.decide(k, 100);
            one.decide(k, 100);
            assertThat(two.drop).isEqualTo(one.drop);
            assertThat(two.duplicate).isEqualTo(one.duplicate);
            assertThat(two.reorder).isEqualTo(one.reorder);
            assertThat(two.corrupt).isEqualTo(one.corrupt);
            assertThat(two.delayNanos).isEqualTo(one.delayNanos);
            other.decide(k, 100);
            if (other.drop == one.drop && other.delayNanos == one.delayNanos) {
                same++;
            }
        }
        assertThat(same).as("the other direction's salt gives other decisions").isLessThan(1_000);
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> Faults.builder().drop(1.5).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Faults.builder().drop(Double.NaN).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Faults.builder().reorder(0.1, 33).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Faults.builder().delay(-1, 0).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WireConfig.builder().ringSlots(100).build()).isInstanceOf(IllegalArgumentException.class);
        assertThat(Faults.NONE.any()).isFalse();
        assertThat(ALL.any()).isTrue();
    }
}
