package io.jix.nic.packet;

import io.jix.testkit.Allocations;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * The per-frame path (receive, transmit, reclaim) allocates nothing once compiled: rings in
 * ordinary memory, this test playing the kernel's part on both of them.
 */
class PacketAllocationTest {

    private static final int SLOT = PacketQueue.SLOT;
    private static final int SLOTS = 256;

    private static long allocated() {
        return Allocations.ofCurrentThread();
    }

    @Test
    void receiveTransmitReclaimAllocateNothing() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rx = arena.allocate((long) SLOTS * SLOT, 4096);
            MemorySegment tx = arena.allocate((long) SLOTS * SLOT, 4096);
            FramePool pool = new FramePool(arena.allocate(512L * SLOT, 4096), SLOT, 512);
            PacketQueue queue = new PacketQueue(null, -1, 0, 0, null, rx, SLOTS, tx, SLOTS, pool);
            FrameBurst burst = new FrameBurst(64);
            int[] cursor = new int[2];
            rounds(queue, rx, tx, burst, cursor, 30_000); // compile
            long reading = -(allocated() - allocated()); // what a reading costs itself
            long before = allocated();
            long frames = rounds(queue, rx, tx, burst, cursor, 100_000);
            long bytes = allocated() - before - reading;
            assertThat(frames).isEqualTo(100_000L * 48);
            assertThat(bytes).as("bytes allocated over %d frames", frames).isLessThanOrEqualTo(0);
        }
    }

    /** Each round: the kernel delivers 48 frames, the queue receives and reflects them, the kernel sends them. */
    private static long rounds(PacketQueue queue, MemorySegment rx, MemorySegment tx, FrameBurst burst, int[] cursor,
            int rounds) {
        long frames = 0;
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < 48; k++) {
                long slot = (long) cursor[0] * SLOT;
                rx.set(JAVA_INT, slot + 4, 60);
                rx.set(JAVA_INT, slot + 8, 60);
                rx.set(JAVA_SHORT, slot + 12, (short) 66);
                rx.set(JAVA_INT, slot, PacketQueue.TP_STATUS_USER);
                cursor[0] = (cursor[0] + 1) % SLOTS;
            }
            burst.clear();
            int n = queue.receive(burst, 64);
            frames += n;
            queue.transmit(burst);
            for (int k = 0; k < n; k++) {
                tx.set(JAVA_INT, (long) cursor[1] * SLOT, PacketQueue.TP_STATUS_AVAILABLE);
                cursor[1] = (cursor[1] + 1) % SLOTS;
            }
            queue.reclaim();
            queue.awaitTraffic(0);
        }
        return frames;
    }
}
