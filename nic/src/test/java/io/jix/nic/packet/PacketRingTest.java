package io.jix.nic.packet;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.QueueCounter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The queue over ordinary memory standing in for the kernel's rings: slot headers of every kind of
 * nonsense are counted and skipped, good frames are copied out byte-exact, ring order and
 * ownership hold on both sides.
 */
class PacketRingTest {

    private static final int SLOT = PacketQueue.SLOT;
    private static final int RX_SLOTS = 32;
    private static final int TX_SLOTS = 32;
    private static final int POOL = 8;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment rx = arena.allocate((long) RX_SLOTS * SLOT, 4096);
    private final MemorySegment tx = arena.allocate((long) TX_SLOTS * SLOT, 4096);
    private final FramePool pool = new FramePool(arena.allocate((long) POOL * SLOT, 4096), SLOT, POOL);
    private final PacketQueue queue = new PacketQueue(null, -1, 0, 0, null, rx, RX_SLOTS, tx, TX_SLOTS, pool);
    private final FrameBurst burst = new FrameBurst(64);

    @AfterEach
    void close() {
        queue.close();
        arena.close();
    }

    /** Plays the kernel: fills RX slot {@code i} with a frame of {@code len} bytes (pattern {@code seed}). */
    private void kernelDelivers(int i, int status, int len, int snap, int mac, int seed) {
        long slot = (long) i * SLOT;
        rx.set(JAVA_INT, slot + 4, len);
        rx.set(JAVA_INT, slot + 8, snap);
        rx.set(JAVA_SHORT, slot + 12, (short) mac);
        for (int b = 0; b < snap && mac + b < SLOT; b++) {
            rx.set(JAVA_BYTE, slot + mac + b, (byte) (seed + b));
        }
        rx.set(JAVA_INT, slot, status);
    }

    private int rxStatus(int i) {
        return rx.get(JAVA_INT, (long) i * SLOT);
    }

    @Test
    void goodFramesAreCopiedIntoPoolFramesAtTheHeadroomAndSlotsGoBack() {
        kernelDelivers(0, PacketQueue.TP_STATUS_USER, 60, 60, 66, 1);
        kernelDelivers(1, PacketQueue.TP_STATUS_USER | PacketQueue.TP_STATUS_CSUMNOTREADY, 1514, 1514, 66, 7);

        assertThat(queue.receive(burst, 64)).isEqualTo(2);
        assertThat(burst.length(0)).isEqualTo(60);
        assertThat(burst.length(1)).isEqualTo(1514);
        assertThat(burst.offset(0)).isEqualTo(queue.headroom());
        for (int k = 0; k < 2; k++) {
            int seed = k == 0 ? 1 : 7;
            long base = pool.offset(burst.frame(k)) + burst.offset(k);
            for (int b = 0; b < burst.length(k); b++) {
                assertThat(pool.region().get(JAVA_BYTE, base + b)).isEqualTo((byte) (seed + b));
            }
        }
        assertThat(rxStatus(0)).isEqualTo(PacketQueue.TP_STATUS_KERNEL);
        assertThat(rxStatus(1)).isEqualTo(PacketQueue.TP_STATUS_KERNEL);
        assertThat(queue.counters().get(io.jix.nic.QueueCounter.RX_CHECKSUM_PARTIAL)).isEqualTo(1);
        assertThat(queue.counters().get(QueueCounter.RX_FRAMES)).isEqualTo(2);
        assertThat(queue.counters().get(QueueCounter.RX_BYTES)).isEqualTo(1574);
        assertThat(queue.receive(burst, 64)).isZero(); // slot 2 is still the kernel's
    }

    @Test
    void nonsenseSlotHeadersAreCountedAndSkippedNeverFollowed() {
        int user = PacketQueue.TP_STATUS_USER;
        kernelDelivers(0, user, 100, 60, 66, 0);            // truncated capture: snaplen < len
        kernelDelivers(1, user, 3000, 3000, 66, 0);         // snaplen runs past the slot
        kernelDelivers(2, user, 60, 60, 4000, 0);           // mac offset outside the slot
        kernelDelivers(3, user, 60, 60, 0, 0);              // mac inside the header
        kernelDelivers(4, user, 8, 8, 66, 0);               // shorter than an Ethernet header
        kernelDelivers(5, user, 60, -1, 66, 0);             // snaplen 0xffffffff
        kernelDelivers(6, user, 40, 60, 66, 0);             // snaplen > len
        kernelDelivers(7, user, 1900, 1900, 66, 0);         // fits the slot, not a pool frame after headroom
        kernelDelivers(8, user | PacketQueue.TP_STATUS_COPY, 60, 60, 66, 0); // the kernel says it truncated
        kernelDelivers(9, user, 60, 60, 0xFFFF, 0);         // mac at the very end
        kernelDelivers(10, user, 64, 64, 66, 3);            // and one good frame after all that

        assertThat(queue.receive(burst, 64)).isEqualTo(1);
        assertThat(burst.length(0)).isEqualTo(64);
        assertThat(queue.counters().get(QueueCounter.DROP_MALFORMED)).isEqualTo(10);
        for (int i = 0; i <= 10; i++) {
            assertThat(rxStatus(i)).as("slot %d returned", i).isEqualTo(PacketQueue.TP_STATUS_KERNEL);
        }
        assertThat(pool.available()).isEqualTo(POOL - 1);
    }

    @Test
    void ringWrapsAndAnEmptyPoolLeavesFramesInTheRing() {
        int received = 0;
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < RX_SLOTS; i++) {
                kernelDelivers(i, PacketQueue.TP_STATUS_USER, 60, 60, 66, i);
            }
            // Only POOL frames fit; the rest wait in the ring.
            while (true) {
                burst.clear();
                int n = queue.receive(burst, 64);
                if (n == 0) {
                    break;
                }
                received += n;
                for (int k = 0; k < n; k++) {
                    pool.release(burst.frame(k));
                }
            }
        }
        assertThat(received).isEqualTo(3 * RX_SLOTS);
        burst.clear();
        for (int k = 0; k < POOL; k++) {
            kernelDelivers(k, PacketQueue.TP_STATUS_USER, 60, 60, 66, k);
        }
        kernelDelivers(POOL, PacketQueue.TP_STATUS_USER, 60, 60, 66, 0);
        assertThat(queue.receive(burst, 64)).isEqualTo(POOL);
        assertThat(rxStatus(POOL)).isEqualTo(PacketQueue.TP_STATUS_USER); // kept for later, not dropped
        assertThat(queue.counters().get(QueueCounter.DROP_MALFORMED)).isZero();
    }

    @Test
    void transmitCopiesIntoTxSlotsInOrderAndReturnsPoolFramesAtOnce() {
        for (int k = 0; k < 3; k++) {
            int f = pool.allocate();
            for (int b = 0; b < 70; b++) {
                pool.region().set(JAVA_BYTE, pool.offset(f) + 256 + b, (byte) (k * 10 + b));
            }
            burst.add(f, 256, 70 + k);
        }
        assertThat(queue.transmit(burst)).isEqualTo(3);
        assertThat(burst.count()).isZero();
        assertThat(pool.available()).isEqualTo(POOL);
        for (int k = 0; k < 3; k++) {
            long slot = (long) k * SLOT;
            assertThat(tx.get(JAVA_INT, slot)).isEqualTo(PacketQueue.TP_STATUS_SEND_REQUEST);
            assertThat(tx.get(JAVA_INT, slot + 4)).isEqualTo(70 + k);
            assertThat(tx.get(JAVA_BYTE, slot + PacketQueue.HDR + 5)).isEqualTo((byte) (k * 10 + 5));
        }
        assertThat(queue.transmitPending()).isEqualTo(3);
        assertThat(queue.reclaim()).isZero();               // the kernel has not sent them yet
        tx.set(JAVA_INT, 0, PacketQueue.TP_STATUS_AVAILABLE);
        tx.set(JAVA_INT, (long) 2 * SLOT, PacketQueue.TP_STATUS_AVAILABLE);
        assertThat(queue.reclaim()).isEqualTo(1);           // oldest first: slot 1 still sending
        tx.set(JAVA_INT, SLOT, PacketQueue.TP_STATUS_WRONG_FORMAT);
        assertThat(queue.reclaim()).isEqualTo(2);
        assertThat(queue.counters().get(QueueCounter.KERNEL_TX_INVALID)).isEqualTo(1);
        assertThat(queue.counters().get(QueueCounter.TX_FRAMES)).isEqualTo(3);
    }

    @Test
    void badTransmitDescriptorsAreCountedAndAFullRingLeavesFramesWithTheCaller() {
        int f = pool.allocate();
        burst.add(f, 256, 10);                    // runt
        burst.add(99, 0, 60);                     // not a frame of this pool
        int g = pool.allocate();
        burst.add(g, 2000, 100);                  // runs past the frame
        assertThat(queue.transmit(burst)).isEqualTo(3);
        assertThat(queue.counters().get(QueueCounter.DROP_MALFORMED)).isEqualTo(3);
        assertThat(pool.available()).isEqualTo(POOL);
        assertThat(queue.transmitPending()).isZero();

        // Fill the ring; the kernel never completes anything.
        int sent = 0;
        for (int round = 0; round < 10 && sent < TX_SLOTS; round++) {
            burst.clear();
            for (int k = 0; k < POOL; k++) {
                burst.add(pool.allocate(), 256, 60);
            }
            sent += queue.transmit(burst);
        }
        assertThat(sent).isEqualTo(TX_SLOTS);
        burst.clear();
        int h = pool.allocate();
        burst.add(h, 256, 60);
        assertThat(queue.transmit(burst)).isZero();
        assertThat(burst.count()).isEqualTo(1);   // still the caller's
        assertThat(pool.isAllocated(h)).isTrue();
        assertThat(queue.counters().get(QueueCounter.DROP_TX_RING_FULL)).isEqualTo(1);
        tx.set(JAVA_INT, 0, PacketQueue.TP_STATUS_AVAILABLE); // the kernel sends the oldest
        assertThat(queue.transmit(burst)).isEqualTo(1);
    }
}
