package io.jix.nic.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.Frame;
import io.jix.nic.FrameBurst;
import io.jix.nic.NicQueue;
import io.jix.nic.QueueCounter;
import io.jix.nic.wire.Wire;
import io.jix.nic.wire.WireConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** LossyQueue over the in-memory wire: exactly the frames its rules pick are dropped, counted, and freed. */
class LossyQueueTest {

    private static final int N = 20_000;

    /** Sends frames numbered 0..N-1 through {@code tx} in bursts of 64, draining {@code rx} only every few bursts. */
    private static List<Integer> sendAll(NicQueue tx, NicQueue rx) {
        List<Integer> got = new ArrayList<>();
        FrameBurst out = new FrameBurst(64);
        FrameBurst in = new FrameBurst(64);
        Frame f = new Frame();
        int next = 0;
        int rounds = 0;
        while ((next < N || out.count() > 0) && rounds++ < 100_000) {
            while (next < N && out.remaining() > 0) {
                int id = tx.pool().allocate();
                f.wrap(tx.pool(), id, tx.headroom(), 60);
                f.u32(0, next++);
                out.add(id, tx.headroom(), 60);
            }
            tx.transmit(out);
            tx.reclaim();
            if (rounds % 4 == 0 || next == N) {
                drain(rx, in, f, got);
            }
        }
        drain(rx, in, f, got);
        return got;
    }

    private static void drain(NicQueue rx, FrameBurst in, Frame f, List<Integer> got) {
        int n;
        do {
            in.clear();
            n = rx.receive(in, 64);
            for (int i = 0; i < n; i++) {
                f.wrap(rx.pool(), in.frame(i), in.offset(i), in.length(i));
                got.add(f.u32(0));
                rx.pool().release(in.frame(i));
            }
        } while (n > 0);
    }

    private static List<Integer> kept(LossyQueue.DropRule rule) {
        List<Integer> kept = new ArrayList<>();
        for (int k = 0; k < N; k++) {
            if (!rule.drop(k, null)) {
                kept.add(k);
            }
        }
        return kept;
    }

    @Test
    void transmitDropsExactlyTheSeededFramesEvenWhenTheRingIsFull() {
        // 128 ring slots and draining every fourth burst: transmit often takes only part of a burst.
        try (Wire wire = Wire.create(WireConfig.builder().ringSlots(128).build())) {
            LossyQueue lossy = new LossyQueue(wire.a(), LossyQueue.NEVER, LossyQueue.seeded(42, 0.05), 64);
            int freeBefore = wire.a().pool().available();
            List<Integer> got = sendAll(lossy, wire.b());
            List<Integer> expected = kept(LossyQueue.seeded(42, 0.05));
            assertThat(got).isEqualTo(expected);
            assertThat(lossy.txDropped()).isEqualTo(N - expected.size()).isBetween(800L, 1200L);
            assertThat(lossy.rxDropped()).isZero();
            assertThat(wire.a().counters().get(QueueCounter.FAULT_DROPPED)).isEqualTo(lossy.txDropped());
            wire.a().reclaim();
            assertThat(wire.a().pool().available()).as("every frame back in the pool").isEqualTo(freeBefore);
        }
    }

    @Test
    void receiveDropsExactlyTheSeededFrames() {
        try (Wire wire = Wire.create()) {
            LossyQueue lossy = new LossyQueue(wire.b(), LossyQueue.seeded(7, 0.01), LossyQueue.NEVER, 64);
            List<Integer> got = sendAll(wire.a(), lossy);
            List<Integer> expected = kept(LossyQueue.seeded(7, 0.01));
            assertThat(got).isEqualTo(expected);
            assertThat(lossy.rxDropped()).isEqualTo(N - expected.size()).isBetween(150L, 250L);
            assertThat(wire.b().pool().available()).isEqualTo(wire.b().pool().capacity());
        }
    }

    @Test
    void aRuleMaySeeTheFrame() {
        try (Wire wire = Wire.create()) {
            LossyQueue lossy = new LossyQueue(wire.a(), LossyQueue.NEVER, (k, f) -> f.u32(0) % 10 == 3, 64);
            List<Integer> got = sendAll(lossy, wire.b());
            assertThat(got).hasSize(N - N / 10).noneMatch(i -> i % 10 == 3);
            assertThat(lossy.txDropped()).isEqualTo(N / 10);
        }
    }

    @Test
    void seededIsAPureFunctionOfSeedAndNumber() {
        assertThat(kept(LossyQueue.seeded(1, 0.3))).isEqualTo(kept(LossyQueue.seeded(1, 0.3)))
                .isNotEqualTo(kept(LossyQueue.seeded(2, 0.3)));
        assertThat(kept(LossyQueue.seeded(1, 0))).hasSize(N);
        assertThat(kept(LossyQueue.seeded(1, 1))).isEmpty();
    }
}
