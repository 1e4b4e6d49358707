package io.jix.dataplane.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One elastic thread's receive buffers: {@code count} equal chunks carved from one native
 * allocation, each with a read-only view made once up front, so that handing a chunk to the
 * application allocates nothing. A chunk belongs to one connection's receive queue (linked
 * through {@link #next}) until the application has returned all of its bytes.
 */
final class RxBuffers implements AutoCloseable {

    private final Arena arena = Arena.ofShared();
    private final long base;
    private final int size;
    private final MemorySegment[] views;
    private final int[] free;
    private int freeCount;
    final int[] next;
    final int[] length;
    final int[] consumed;

    RxBuffers(int count, int size) {
        this.size = size;
        MemorySegment all = arena.allocate((long) count * size, 4096);
        base = all.address();
        views = new MemorySegment[count];
        free = new int[count];
        next = new int[count];
        length = new int[count];
        consumed = new int[count];
        for (int i = 0; i < count; i++) {
            views[i] = all.asSlice((long) i * size, size).asReadOnly();
            free[i] = count - 1 - i;
        }
        freeCount = count;
    }

    /** A free chunk, or -1 when all are held. */
    int take() {
        if (freeCount == 0) {
            return -1;
        }
        int c = free[--freeCount];
        next[c] = -1;
        length[c] = 0;
        consumed[c] = 0;
        return c;
    }

    void give(int chunk) {
        free[freeCount++] = chunk;
    }

    int available() {
        return freeCount;
    }

    int size() {
        return size;
    }

    long address(int chunk) {
        return base + (long) chunk * size;
    }

    MemorySegment view(int chunk) {
        return views[chunk];
    }

    @Override
    public void close() {
        arena.close();
    }
}
