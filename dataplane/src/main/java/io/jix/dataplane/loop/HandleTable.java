package io.jix.dataplane.loop;

import io.jix.api.BadHandleException;

/**
 * Connection slots of one elastic thread and the handles that name them. A handle packs a
 * 31-bit generation, the 8-bit thread index and a 24-bit slot:
 * {@code generation << 32 | thread << 24 | slot}. Freeing a slot bumps its generation, so every
 * handle issued for it before is stale from then on; a handle from another thread, or one that
 * was never issued, fails the same check. Handles are always positive and never 0.
 */
public final class HandleTable {

    /** Most threads a handle can name. */
    public static final int MAX_THREADS = 256;
    /** Most slots per thread. */
    public static final int MAX_SLOTS = 1 << 24;

    private final int thread;
    private final int[] generation;
    private final boolean[] live;
    private final int[] free;
    private int freeCount;

    /** A table of {@code capacity} slots for elastic thread {@code thread}. */
    public HandleTable(int thread, int capacity) {
        if (thread < 0 || thread >= MAX_THREADS) {
            throw new IllegalArgumentException("thread index out of range: " + thread);
        }
        if (capacity <= 0 || capacity > MAX_SLOTS) {
            throw new IllegalArgumentException("capacity out of range: " + capacity);
        }
        this.thread = thread;
        this.generation = new int[capacity];
        this.live = new boolean[capacity];
        this.free = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            generation[i] = 1;
            free[i] = capacity - 1 - i; // hand out low slots first
        }
        freeCount = capacity;
    }

    /** Slots in the table. */
    public int capacity() {
        return generation.length;
    }

    /** Slots in use. */
    public int used() {
        return generation.length - freeCount;
    }

    /** Takes a free slot and returns its handle, or -1 when the table is full. */
    public long allocate() {
        if (freeCount == 0) {
            return -1;
        }
        int slot = free[--freeCount];
        live[slot] = true;
        return handle(slot);
    }

    /** The handle currently naming {@code slot}. */
    public long handle(int slot) {
        return (long) generation[slot] << 32 | (long) thread << 24 | slot;
    }

    /** Frees a slot: its handle goes stale. */
    public void release(int slot) {
        if (!live[slot]) {
            throw new IllegalStateException("slot " + slot + " is not in use");
        }
        live[slot] = false;
        int g = generation[slot] + 1;
        generation[slot] = g > 0 ? g : 1;
        free[freeCount++] = slot;
    }

    /** Whether {@code handle} names a live slot of this table. */
    public boolean isLive(long handle) {
        int slot = (int) (handle & (MAX_SLOTS - 1));
        return handle > 0
                && (int) (handle >>> 24 & 0xff) == thread
                && slot < generation.length
                && live[slot]
                && generation[slot] == (int) (handle >>> 32);
    }

    /** The slot {@code handle} names, or a {@link BadHandleException} saying why it does not. */
    public int slot(long handle) {
        if (isLive(handle)) {
            return (int) (handle & (MAX_SLOTS - 1));
        }
        throw new BadHandleException(explain(handle));
    }

    private String explain(long handle) {
        String h = "handle 0x" + Long.toHexString(handle);
        int slot = (int) (handle & (MAX_SLOTS - 1));
        int owner = (int) (handle >>> 24 & 0xff);
        int gen = (int) (handle >>> 32);
        if (handle <= 0 || gen == 0) {
            return h + " was never issued (no generation)";
        }
        if (owner != thread) {
            return h + " belongs to elastic thread " + owner + ", not to thread " + thread;
        }
        if (slot >= generation.length) {
            return h + " was never issued (slot " + slot + " beyond " + generation.length + ")";
        }
        if (gen - generation[slot] > 0 || generation[slot] == gen && !live[slot]) {
            return h + " was never issued (slot " + slot + " is at generation " + generation[slot]
                    + (live[slot] ? ")" : ", free)");
        }
        return h + " is stale: slot " + slot + " is at generation " + generation[slot]
                + ", the handle names generation " + gen + " (closed already?)";
    }
}
