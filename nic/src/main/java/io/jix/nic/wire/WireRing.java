package io.jix.nic.wire;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One direction of a wire: a single-producer/single-consumer ring of fixed-size slots in native
 * memory. The producer (the sending endpoint's thread) writes slots and then publishes its
 * {@code tail} with a release store; the consumer (the receiving endpoint's thread) reads
 * {@code tail} with an acquire load, copies the slots out, and publishes {@code head} with a
 * release store, which the producer reads with an acquire load before reusing slots. Both
 * indices only grow (a long does not wrap in practice) and sit on their own cache lines, padded
 * by the class hierarchy (the JVM lays out superclass fields first).
 *
 * <p>Slot layout: {@code int length} at 0, {@code long releaseNanos} at 8, data from
 * {@link #DATA}. Each side keeps its own cached copy of the other's index in its endpoint.
 */
final class WireRing extends WireRingPad2 {

    /** Offset of the data within a slot. */
    static final int DATA = 16;

    private static final VarHandle TAIL;
    private static final VarHandle HEAD;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            TAIL = l.findVarHandle(WireRingTail.class, "tail", long.class);
            HEAD = l.findVarHandle(WireRingHead.class, "head", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final MemorySegment memory;
    final int slots;
    final long mask;
    final long stride;
    final int maxData;

    WireRing(MemorySegment memory, int slots, int maxData) {
        this.memory = memory;
        this.slots = slots;
        this.mask = slots - 1;
        this.maxData = maxData;
        this.stride = (DATA + maxData + 63) & ~63L;
    }

    /** Bytes of native memory a ring of {@code slots} slots for up to {@code maxData} bytes needs. */
    static long bytes(int slots, int maxData) {
        return slots * ((DATA + maxData + 63) & ~63L);
    }

    /** Region offset of the slot for index {@code index}. */
    long slot(long index) {
        return (index & mask) * stride;
    }

    long tailAcquire() {
        return (long) TAIL.getAcquire(this);
    }

    void tailRelease(long t) {
        TAIL.setRelease(this, t);
    }

    long headAcquire() {
        return (long) HEAD.getAcquire(this);
    }

    void headRelease(long h) {
        HEAD.setRelease(this, h);
    }
}

/** Cache-line padding before the producer's index. */
abstract class WireRingPad0 {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

/** The producer's index: slots below it are written. */
abstract class WireRingTail extends WireRingPad0 {
    long tail;
}

/** Padding between the two indices. */
abstract class WireRingPad1 extends WireRingTail {
    long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
}

/** The consumer's index: slots below it are free again. */
abstract class WireRingHead extends WireRingPad1 {
    long head;
}

/** Padding after the consumer's index (the final class's own fields are read-only after construction). */
abstract class WireRingPad2 extends WireRingHead {
    long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;
}
