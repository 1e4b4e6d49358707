package io.jix.api.ev;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A per-thread pool of equally sized native buffers for staging input and output. It only grows:
 * buffers come back on {@link #release} and are reused, so a steady state allocates nothing.
 */
final class EvBuffers {

    private final Arena arena = Arena.ofAuto();
    private final int bufferSize;
    private MemorySegment[] free = new MemorySegment[64];
    private int freeCount;
    private long created;

    EvBuffers(int bufferSize) {
        if (bufferSize < 64) {
            throw new IllegalArgumentException("buffer size too small: " + bufferSize);
        }
        this.bufferSize = bufferSize;
    }

    int bufferSize() {
        return bufferSize;
    }

    MemorySegment acquire() {
        if (freeCount > 0) {
            MemorySegment s = free[--freeCount];
            free[freeCount] = null;
            return s;
        }
        created++;
        return arena.allocate(bufferSize, 64);
    }

    void release(MemorySegment buffer) {
        if (freeCount == free.length) {
            free = java.util.Arrays.copyOf(free, free.length * 2);
        }
        free[freeCount++] = buffer;
    }

    /** Buffers made so far: the pool's high-water mark. */
    long created() {
        return created;
    }

    /** Buffers currently lent out. */
    long inUse() {
        return created - freeCount;
    }
}
