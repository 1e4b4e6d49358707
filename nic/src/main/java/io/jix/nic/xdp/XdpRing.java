package io.jix.nic.xdp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * One AF_XDP ring as mapped from the socket: a producer index, a consumer index, a flags word and
 * a power-of-two array of descriptors, at the offsets {@code XDP_MMAP_OFFSETS} reported. The
 * indices are free-running u32 counters; the side that owns an index publishes it with a release
 * store, and reads the other side's with an acquire load. Each ring has one user-space side, so
 * the local index is kept in a field and the shared one is only written, never re-read.
 *
 * <p>Used by one thread (the queue's); package-private so that tests can build one over an
 * ordinary segment and play the kernel.
 */
final class XdpRing {

    private static final VarHandle U32 = ValueLayout.JAVA_INT.varHandle();

    final MemorySegment memory;
    private final long producerOffset;
    private final long consumerOffset;
    private final long flagsOffset;
    final long descOffset;
    final int size;
    final int mask;

    /** Our side's index (producer of FILL/TX, consumer of RX/COMPLETION). */
    int local;
    /** Last seen value of the kernel's index. */
    int cached;

    XdpRing(MemorySegment memory, long producerOffset, long consumerOffset, long flagsOffset, long descOffset,
            int size, boolean weProduce) {
        if (Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("ring size must be a power of two: " + size);
        }
        this.memory = memory;
        this.producerOffset = producerOffset;
        this.consumerOffset = consumerOffset;
        this.flagsOffset = flagsOffset;
        this.descOffset = descOffset;
        this.size = size;
        this.mask = size - 1;
        if (weProduce) {
            local = producer();
            cached = consumer();
        } else {
            local = consumer();
            cached = producer();
        }
    }

    int producer() {
        return (int) U32.getAcquire(memory, producerOffset);
    }

    int consumer() {
        return (int) U32.getAcquire(memory, consumerOffset);
    }

    void publishProducer(int value) {
        U32.setRelease(memory, producerOffset, value);
    }

    void publishConsumer(int value) {
        U32.setRelease(memory, consumerOffset, value);
    }

    int flags() {
        return (int) U32.getAcquire(memory, flagsOffset);
    }

    /** For a ring we produce into: free slots, re-reading the kernel's consumer only when fewer than {@code wanted}. */
    int freeSlots(int wanted) {
        int free = size - (local - cached);
        if (free < wanted) {
            cached = consumer();
            free = size - (local - cached);
        }
        return free;
    }

    /** For a ring we consume from: entries ready, re-reading the kernel's producer only when fewer than {@code wanted}. */
    int ready(int wanted) {
        int n = cached - local;
        if (n < wanted) {
            cached = producer();
            n = cached - local;
        }
        // A kernel (or a test) that moved the producer backwards or past the ring is garbage: take nothing.
        return n < 0 || n > size ? -1 : n;
    }
}
