package io.jix.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A reusable native array of {@code struct epoll_event}. On x86_64 the kernel declares it
 * packed: 12 bytes, {@code u32 events} at 0 and {@code u64 data} at 4, so data is unaligned.
 * Not thread-safe.
 */
public final class EpollEvents {
    /** sizeof(struct epoll_event) on x86_64. */
    public static final int SIZE = 12;

    private final MemorySegment segment;
    private final long address;
    private final int capacity;

    /** Allocates room for {@code capacity} events, once, from {@code arena}. */
    public EpollEvents(Arena arena, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.segment = arena.allocate((long) capacity * SIZE, 8);
        this.address = segment.address();
        this.capacity = capacity;
    }

    /** Native address of the first event. */
    public long address() {
        return address;
    }

    /** How many events fit. */
    public int capacity() {
        return capacity;
    }

    /** The event mask of entry {@code i} (EPOLLIN, EPOLLOUT, ...). */
    public int events(int i) {
        return segment.get(JAVA_INT_UNALIGNED, (long) i * SIZE);
    }

    /** The user data of entry {@code i}, as registered with epoll_ctl. */
    public long data(int i) {
        return segment.get(JAVA_LONG_UNALIGNED, (long) i * SIZE + 4);
    }

    /** Writes entry {@code i}; the kernel overwrites entries itself, this is for tests and tools. */
    public void set(int i, int events, long data) {
        segment.set(JAVA_INT_UNALIGNED, (long) i * SIZE, events);
        segment.set(JAVA_LONG_UNALIGNED, (long) i * SIZE + 4, data);
    }
}
