package io.jix.dataplane.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One elastic thread's transmit buffers for {@code txBuffer}: equally sized native buffers in one
 * region, each lent to one connection slot at a time, with its writable view made once. The
 * kernel copies on {@code send(2)}, so a buffer comes back as soon as the kernel has taken all of it.
 */
final class TxBuffers implements AutoCloseable {

    static final int SIZE = 2048;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment region;
    private final MemorySegment[] views;
    private final int[] owner; // slot, or -1 when free
    private final int[] free;
    private int freeCount;

    TxBuffers(int count) {
        region = arena.allocate((long) count * SIZE, 64);
        views = new MemorySegment[count];
        owner = new int[count];
        free = new int[count];
        for (int i = 0; i < count; i++) {
            views[i] = region.asSlice((long) i * SIZE, SIZE);
            owner[i] = -1;
            free[i] = count - 1 - i;
        }
        freeCount = count;
    }

    /** Lends a buffer to {@code slot}; -1 when none is free. */
    int take(int slot) {
        if (freeCount == 0) {
            return -1;
        }
        int b = free[--freeCount];
        owner[b] = slot;
        return b;
    }

    void give(int b) {
        owner[b] = -1;
        free[freeCount++] = b;
    }

    MemorySegment view(int b) {
        return views[b];
    }

    long address(int b) {
        return views[b].address();
    }

    /** The buffer {@code segment} is (exactly one of our views, lent to {@code slot}), or -1. */
    int lentTo(int slot, MemorySegment segment) {
        long at = segment.address() - region.address();
        if (at < 0 || at % SIZE != 0 || at / SIZE >= views.length || segment.byteSize() != SIZE) {
            return -1;
        }
        int b = (int) (at / SIZE);
        return owner[b] == slot ? b : -1;
    }

    /** Returns every buffer lent to {@code slot}. */
    void giveAll(int slot) {
        for (int b = 0; b < owner.length; b++) {
            if (owner[b] == slot) {
                give(b);
            }
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
