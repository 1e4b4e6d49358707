package io.jix.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** A reusable native array of {@code struct iovec {void *base; size_t len;}} for writev. Not thread-safe. */
public final class IoVecArray {
    /** sizeof(struct iovec) on x86_64. */
    public static final int SIZE = 16;

    private final MemorySegment segment;
    private final long address;
    private final int capacity;

    /** Allocates room for {@code capacity} entries, once, from {@code arena}. */
    public IoVecArray(Arena arena, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.segment = arena.allocate((long) capacity * SIZE, 8);
        this.address = segment.address();
        this.capacity = capacity;
    }

    /** Native address of the first entry. */
    public long address() {
        return address;
    }

    /** How many entries fit. */
    public int capacity() {
        return capacity;
    }

    /** Points entry {@code i} at {@code len} bytes from native address {@code base}. */
    public void set(int i, long base, long len) {
        segment.setAtIndex(JAVA_LONG, 2L * i, base);
        segment.setAtIndex(JAVA_LONG, 2L * i + 1, len);
    }

    /** The base address of entry {@code i}. */
    public long base(int i) {
        return segment.getAtIndex(JAVA_LONG, 2L * i);
    }

    /** The length of entry {@code i}. */
    public long length(int i) {
        return segment.getAtIndex(JAVA_LONG, 2L * i + 1);
    }
}
