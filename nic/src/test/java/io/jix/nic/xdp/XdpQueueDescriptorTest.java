package io.jix.nic.xdp;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jix.nic.FrameBurst;
import io.jix.nic.QueueCounter;
import io.jix.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The queue against a misbehaving kernel: the rings are ordinary memory and this test writes the
 * kernel's side, with descriptors pointing outside the UMEM, at frames the kernel was never
 * given, with impossible lengths, and with nonsense ring indices. Each is counted as
 * DROP_MALFORMED; nothing crashes and no frame is lost from the pool's accounting.
 */
class XdpQueueDescriptorTest {

    private static final int FRAMES = 64;
    private static final int FRAME = 2048;
    private static final int FILL = 32;
    private static final long PROD = 0;
    private static final long CONS = 64;
    private static final long FLAGS = 128;
    private static final long DESC = 192;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment umem = arena.allocate((long) FRAMES * FRAME, 4096);
    private final XdpRing fill = ring(FILL, 8, true);
    private final XdpRing comp = ring(32, 8, false);
    private final XdpRing rx = ring(32, 16, false);
    private final XdpRing tx = ring(32, 16, true);
    private final XdpQueue queue = new XdpQueue(new Syscalls(), -1, 0, null, umem, FRAME, FRAMES, fill, comp, rx, tx,
            true, false, false);
    private final FrameBurst burst = new FrameBurst(64);

    private XdpRing ring(int entries, int descSize, boolean weProduce) {
        MemorySegment m = arena.allocate(DESC + (long) entries * descSize, 64);
        return new XdpRing(m, PROD, CONS, FLAGS, DESC, entries, weProduce);
    }

    @AfterEach
    void close() {
        queue.close();
        arena.close();
    }

    private long fillAddress(int i) {
        return fill.memory.get(JAVA_LONG, DESC + 8L * i);
    }

    private void kernelReceives(int slot, long addr, int len) {
        rx.memory.set(JAVA_LONG, DESC + 16L * slot, addr);
        rx.memory.set(JAVA_INT, DESC + 16L * slot + 8, len);
    }

    private long counter(QueueCounter c) {
        return queue.counters().get(c);
    }

    private int held() {
        return FRAMES - queue.pool().available() - queue.framesInKernel();
    }

    @Test
    void garbageRxDescriptorsAreCountedAndSkipped() {
        assertThat(queue.receive(burst, 64)).isZero();
        assertThat(fill.memory.get(JAVA_INT, PROD)).isEqualTo(FILL); // the fill ring was filled
        assertThat(queue.framesInKernel()).isEqualTo(FILL);
        int mine = queue.pool().allocate(); // the caller's frame, never given to the kernel
        long notGiven = (long) mine * FRAME + 256;
        long first = fillAddress(0);
        int h = XdpQueue.XDP_PACKET_HEADROOM;
        kernelReceives(0, fillAddress(0) + h, 60);                // good
        kernelReceives(1, 1L << 40, 60);                          // outside the UMEM
        kernelReceives(2, -1L, 60);                               // negative
        kernelReceives(3, notGiven, 60);                          // a frame the kernel does not hold
        kernelReceives(4, fillAddress(1) + h, FRAME - h + 1);      // longer than a frame minus headroom
        kernelReceives(5, fillAddress(2) + h, 0);                 // empty
        kernelReceives(6, fillAddress(3) + 2000, 100);            // runs past the end of its frame
        kernelReceives(7, fillAddress(0) + h, 60);                // the good one again: no longer the kernel's
        kernelReceives(8, fillAddress(4) + h, 1500);              // good
        kernelReceives(9, (long) FRAMES * FRAME, 60);             // one past the UMEM
        rx.memory.set(JAVA_INT, PROD, 10);
        fill.memory.set(JAVA_INT, CONS, FILL); // the kernel took every fill entry

        assertThat(queue.receive(burst, 64)).isEqualTo(2);
        assertThat(burst.frame(0)).isEqualTo((int) (first / FRAME));
        assertThat(burst.offset(0)).isEqualTo(h);
        assertThat(burst.length(0)).isEqualTo(60);
        assertThat(burst.length(1)).isEqualTo(1500);
        assertThat(counter(QueueCounter.DROP_MALFORMED)).isEqualTo(8);
        assertThat(counter(QueueCounter.RX_FRAMES)).isEqualTo(2);
        assertThat(counter(QueueCounter.RX_BYTES)).isEqualTo(1560);
        assertThat(rx.memory.get(JAVA_INT, CONS)).isEqualTo(10); // all consumed
        assertThat(held()).isEqualTo(3);

        // Indices that make no sense (producer far ahead of the consumer) are refused, not followed.
        rx.memory.set(JAVA_INT, PROD, 10 + 100_000);
        assertThat(queue.receive(burst, 64)).isZero();
        assertThat(counter(QueueCounter.DROP_MALFORMED)).isEqualTo(9);
        rx.memory.set(JAVA_INT, PROD, 10);
        assertThat(queue.receive(burst, 64)).isZero();
        assertThat(held()).isEqualTo(3);
    }

    @Test
    void garbageCompletionsAreCountedAndOnlySentFramesReturn() {
        queue.receive(burst, 64);
        int a = queue.pool().allocate();
        int b = queue.pool().allocate();
        burst.add(a, 256, 60);
        burst.add(b, 0, 100);
        assertThat(queue.transmit(burst)).isEqualTo(2);
        assertThat(burst.count()).isZero();
        assertThat(tx.memory.get(JAVA_INT, PROD)).isEqualTo(2);
        assertThat(tx.memory.get(JAVA_LONG, DESC)).isEqualTo((long) a * FRAME + 256);
        assertThat(tx.memory.get(JAVA_INT, DESC + 8)).isEqualTo(60);
        int kernelBefore = queue.framesInKernel();

        long[] completions = {(long) a * FRAME + 256, 1L << 50, -5L, (long) a * FRAME + 256,
            fillAddress(0), (long) b * FRAME};
        for (int i = 0; i < completions.length; i++) {
            comp.memory.set(JAVA_LONG, DESC + 8L * i, completions[i]);
        }
        comp.memory.set(JAVA_INT, PROD, completions.length);
        assertThat(queue.reclaim()).isEqualTo(2);
        assertThat(counter(QueueCounter.DROP_MALFORMED)).isEqualTo(4);
        assertThat(queue.framesInKernel()).isEqualTo(kernelBefore - 2);
        assertThat(queue.pool().isAllocated(a)).isFalse();
        assertThat(queue.pool().isAllocated(b)).isFalse();
        assertThat(held()).isZero();
        assertThat(comp.memory.get(JAVA_INT, CONS)).isEqualTo(completions.length);
    }

    @Test
    void aFullTxRingLeavesFramesWithTheCaller() {
        FrameBurst big = new FrameBurst(40);
        for (int i = 0; i < 30; i++) {
            big.add(queue.pool().allocate(), 0, 64);
        }
        tx.memory.set(JAVA_INT, CONS, 0);
        assertThat(queue.transmit(big)).isEqualTo(30);
        for (int i = 0; i < 5; i++) {
            big.add(queue.pool().allocate(), 0, 64);
        }
        assertThat(queue.transmit(big)).isEqualTo(2); // 32-entry ring, 30 in it
        assertThat(big.count()).isEqualTo(3);
        assertThat(counter(QueueCounter.DROP_TX_RING_FULL)).isEqualTo(3);
    }

    @Test
    void transmittingAFrameTheCallerDoesNotHoldIsABug() {
        queue.receive(burst, 64);
        burst.add(FRAMES - 1, 0, 60); // never allocated
        assertThatThrownBy(() -> queue.transmit(burst)).isInstanceOf(IllegalArgumentException.class);
        int f = queue.pool().allocate();
        burst.clear();
        burst.add(f, 0, FRAME + 1);
        assertThatThrownBy(() -> queue.transmit(burst)).isInstanceOf(IllegalArgumentException.class);
        assertThat(tx.memory.get(JAVA_INT, PROD)).isZero();
    }
}
