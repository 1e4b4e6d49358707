package io.jix.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The derived values, on snapshots made by hand. */
class StatsIntervalTest {

    private static final long SECOND = 1_000_000_000L;

    /** A snapshot at {@code nanos} of threads with the given counters (others 0), all running. */
    @SafeVarargs
    static StatsSnapshot snapshot(long nanos, int[] states, Map<Counter, Long>... threads) {
        long[][] counters = new long[threads.length][Counter.values().length];
        long[][] histograms = new long[threads.length][StatsFile.HISTOGRAM_BUCKETS];
        for (int t = 0; t < threads.length; t++) {
            for (var e : threads[t].entrySet()) {
                counters[t][e.getKey().ordinal()] = e.getValue();
            }
        }
        return new StatsSnapshot("test", 1, 0, nanos, counters, histograms, states, new int[] {0, 1});
    }

    @Test
    void theSummedWaitGivesTheQueueingDelayAndTheTimeAveragedQueueOfOneThread() {
        StatsSnapshot a = snapshot(0, new int[] {1}, Map.of());
        // 100,000 frames waited 5 s in all (50 µs each) over a 1 s interval: 5 frames waiting on average.
        StatsSnapshot b = snapshot(SECOND, new int[] {1}, Map.of(Counter.LOOPS, 1_000L,
                Counter.RX_QUEUE_NANOS, 5 * SECOND, Counter.NIC_RX_FRAMES, 100_000L, Counter.NIC_TX_FRAMES, 90_000L));
        StatsInterval.Load load = b.since(a).thread(0);
        assertThat(load.queueingDelayNanos()).isCloseTo(50_000.0, within(1e-6));
        assertThat(load.queueLength()).isCloseTo(5.0, within(1e-9));
        assertThat(load.arrivalsPerSecond()).isEqualTo(100_000.0);
        // Little's law holds by construction: L = λW.
        assertThat(load.queueLength()).isCloseTo(load.arrivalsPerSecond() * load.queueingDelayNanos() / 1e9,
                within(1e-9));
        assertThat(load.rxFramesPerSecond()).isEqualTo(100_000.0);
        assertThat(load.txFramesPerSecond()).isEqualTo(90_000.0);
    }

    @Test
    void overSeveralThreadsTheDelayIsTheFrameWeightedMean() {
        StatsSnapshot a = snapshot(0, new int[] {1, 1}, Map.of(), Map.of());
        // Thread 0: 2,000 frames waited 2 ms each. Thread 1: 8,000 frames waited 250 µs each. Over 2 s.
        StatsSnapshot b = snapshot(2 * SECOND, new int[] {1, 1},
                Map.of(Counter.RX_QUEUE_NANOS, 2_000L * 2_000_000L, Counter.NIC_RX_FRAMES, 2_000L),
                Map.of(Counter.RX_QUEUE_NANOS, 8_000L * 250_000L, Counter.NIC_RX_FRAMES, 8_000L));
        StatsInterval i = b.since(a);
        assertThat(i.seconds()).isEqualTo(2.0);
        assertThat(i.thread(0).queueingDelayNanos()).isCloseTo(2_000_000.0, within(1e-3));
        assertThat(i.thread(1).queueingDelayNanos()).isCloseTo(250_000.0, within(1e-3));
        StatsInterval.Load total = i.total();
        assertThat(total.queueLength()).isCloseTo(3.0, within(1e-9)); // 6 s of waiting over 2 s
        assertThat(total.arrivalsPerSecond()).isEqualTo(5_000.0);
        // (2 ms × 2,000 + 0.25 ms × 8,000) / 10,000 = 0.6 ms.
        assertThat(total.queueingDelayNanos()).isCloseTo(600_000.0, within(1e-3));
    }

    @Test
    void idleFractionBatchSizeAndLoopTime() {
        StatsSnapshot a = snapshot(0, new int[] {1}, Map.of(Counter.IDLE_NANOS, 1_000L, Counter.BUSY_NANOS, 5_000L,
                Counter.EVENTS, 10L, Counter.BATCHES, 5L));
        StatsSnapshot b = snapshot(SECOND, new int[] {1}, Map.of(Counter.IDLE_NANOS, 250_001_000L,
                Counter.BUSY_NANOS, 750_005_000L, Counter.EVENTS, 4_010L, Counter.BATCHES, 505L));
        StatsInterval.Load load = b.since(a).total();
        assertThat(load.idleFraction()).isEqualTo(0.25);
        assertThat(load.busyFraction()).isEqualTo(0.75);
        assertThat(load.batches()).isEqualTo(500);
        assertThat(load.meanBatch()).isEqualTo(8.0);
        assertThat(load.eventsPerSecond()).isEqualTo(4_000.0);
        assertThat(load.loopNanos()).isEqualTo(1_500_000.0); // 750 ms busy over 500 batches
    }

    @Test
    void onTheKernelBackendArrivalsAreEventsAndNothingQueues() {
        StatsSnapshot a = snapshot(0, new int[] {1}, Map.of());
        StatsSnapshot b = snapshot(SECOND / 2, new int[] {1}, Map.of(Counter.LOOPS, 900L, Counter.EVENTS, 1_000L));
        StatsInterval.Load load = b.since(a).total();
        assertThat(load.arrivalsPerSecond()).isEqualTo(2_000.0);
        assertThat(load.queueLength()).isZero();
        assertThat(load.queueingDelayNanos()).isZero();
    }

    @Test
    void framesWaitingWithNoneArrivingIsAnInfiniteDelay() {
        StatsSnapshot a = snapshot(0, new int[] {1}, Map.of());
        StatsSnapshot b = snapshot(SECOND, new int[] {1}, Map.of(Counter.LOOPS, 10L, Counter.RX_QUEUE_NANOS, 30L));
        assertThat(b.since(a).total().queueingDelayNanos()).isInfinite();
    }

    @Test
    void aThreadThatRecordedNothingHasNoIdleFractionAndParkedThreadsAreLeftOutOfRunning() {
        StatsSnapshot a = snapshot(0, new int[] {1, 0}, Map.of(), Map.of(Counter.IDLE_NANOS, 77L));
        StatsSnapshot b = snapshot(SECOND, new int[] {1, 0},
                Map.of(Counter.IDLE_NANOS, 600_000_000L, Counter.BUSY_NANOS, 400_000_000L, Counter.LOOPS, 10L),
                Map.of(Counter.IDLE_NANOS, 77L));
        StatsInterval i = b.since(a);
        assertThat(i.thread(1).idleFraction()).isNaN();
        assertThat(i.thread(1).meanBatch()).isNaN();
        assertThat(i.running().threads()).isEqualTo(1);
        assertThat(i.running().idleFraction()).isEqualTo(0.6);
        assertThat(i.total().threads()).isEqualTo(2);
        assertThat(i.total().idleFraction()).isEqualTo(0.6);
    }

    @Test
    void dropsAddUpEveryReasonAndGaugesAreTheirLastValue() {
        StatsSnapshot a = snapshot(0, new int[] {1}, Map.of(Counter.UDP_DROPS, 1L, Counter.OPEN_CONNECTIONS, 50L));
        StatsSnapshot b = snapshot(SECOND, new int[] {1}, Map.of(Counter.UDP_DROPS, 4L, Counter.NIC_DROPS_TX_RING_FULL, 4L,
                Counter.APP_EXCEPTIONS, 1L, Counter.REJECTS, 9L, Counter.OPEN_CONNECTIONS, 20L));
        StatsInterval i = b.since(a);
        assertThat(i.delta(Counter.UDP_DROPS)).isEqualTo(3);
        assertThat(i.total().drops()).isEqualTo(8); // rejects are the application's choice, not drops
        assertThat(i.delta(Counter.OPEN_CONNECTIONS)).isEqualTo(20);
        assertThat(i.total().openConnections()).isEqualTo(20);
        assertThat(Counter.OPEN_CONNECTIONS.gauge()).isTrue();
        assertThat(Counter.EVENTS.gauge()).isFalse();
        assertThat(Counter.REJECTS.dropReason()).isFalse();
    }
}
