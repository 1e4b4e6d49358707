package io.jix.nic.wire;

import io.jix.testkit.Allocations;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.QueueCounter;
import org.junit.jupiter.api.Test;

/**
 * The wire's per-frame path allocates nothing, with every fault switched on in both directions
 * and the system clock: a sends, b reflects every frame back in place, a receives and frees.
 */
class WireAllocationTest {


    private static final int WINDOW = 50_000;

    @Test
    void steadyStateAllocatesNothingWithAllFaultsOn() {
        Faults faults = Faults.builder().seed(3).drop(0.05).duplicate(0.05).reorder(0.05, 8).corrupt(0.001)
                .delay(1_000, 2_000).build();
        try (Wire wire = Wire.create(WireConfig.builder().frames(1024).ringSlots(256).faults(faults).build())) {
            long probe = Allocations.ofCurrentThread();
            byte[] sink = new byte[4096];
            assertThat(Allocations.ofCurrentThread() - probe).as("the allocation counter works").isGreaterThanOrEqualTo(sink.length);
            Loop loop = new Loop(wire);
            long allocated = Allocations.steadyState(() -> loop.send(WINDOW), Allocations::ofCurrentThread, 20, 400, 2);
            assertThat(allocated).as("bytes allocated over 100,000 frames").isZero();

            for (QueueCounter c : new QueueCounter[] {QueueCounter.FAULT_DROPPED, QueueCounter.FAULT_DUPLICATED,
                    QueueCounter.FAULT_REORDERED, QueueCounter.FAULT_CORRUPTED, QueueCounter.FAULT_DELAYED}) {
                assertThat(wire.a().counters().get(c)).as("a " + c).isPositive();
                assertThat(wire.b().counters().get(c)).as("b " + c).isPositive();
            }
            assertThat(wire.a().counters().get(QueueCounter.RX_FRAMES)).isGreaterThan(150_000);
        }
    }

    /** The traffic: allocation-free itself (bursts made once, plain loops). */
    private static final class Loop {
        final WireQueue a;
        final WireQueue b;
        final FrameBurst aTx = new FrameBurst(32);
        final FrameBurst aRx = new FrameBurst(32);
        final FrameBurst bRx = new FrameBurst(32);
        long seq;

        Loop(Wire wire) {
            a = wire.a();
            b = wire.b();
        }

        void send(int frames) {
            FramePool pa = a.pool();
            FramePool pb = b.pool();
            long end = seq + frames;
            while (seq < end) {
                while (aTx.remaining() > 0 && seq < end) {
                    int f = pa.allocate();
                    if (f < 0) {
                        break;
                    }
                    int len = 60 + (int) (seq % 1400);
                    pa.region().set(java.lang.foreign.ValueLayout.JAVA_LONG, pa.offset(f), seq);
                    aTx.add(f, 0, len);
                    seq++;
                }
                a.transmit(aTx);
                a.reclaim();
                bRx.clear();
                b.receive(bRx, 32);
                b.transmit(bRx); // reflect in place
                for (int i = 0; i < bRx.count(); i++) {
                    pb.release(bRx.frame(i)); // the ring was full
                }
                b.reclaim();
                aRx.clear();
                int n = a.receive(aRx, 32);
                for (int i = 0; i < n; i++) {
                    pa.release(aRx.frame(i));
                }
            }
        }
    }
}
