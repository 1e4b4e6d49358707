package io.jix.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * mmap(2)/munmap(2): memory shared with the kernel (AF_XDP rings and UMEM, AF_PACKET rings) and
 * huge pages. Set-up calls: they throw {@link SysException}.
 */
public final class Memory {

    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_POPULATE = 0x8000;
    public static final int MAP_HUGETLB = 0x40000;
    private static final long MAP_FAILED = -1;

    private Memory() {
    }

    /**
     * Maps {@code length} bytes and returns them as a segment of that size, unmapped when
     * {@code arena} closes (or by {@link #unmap}).
     */
    public static MemorySegment map(long length, int prot, int flags, int fd, long offset, Arena arena) {
        MemorySegment capture = Arena.ofAuto().allocate(Libc.CAPTURE_LAYOUT);
        long address;
        try {
            address = (long) Libc.MMAP.invokeExact(capture, 0L, length, prot, flags, fd, offset);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (address == MAP_FAILED) {
            throw new SysException("mmap", Libc.errnoOf(capture),
                    "length " + length + ", prot " + prot + ", flags 0x" + Integer.toHexString(flags) + ", fd " + fd
                            + ", offset 0x" + Long.toHexString(offset));
        }
        return MemorySegment.ofAddress(address).reinterpret(length, arena, Memory::unmapQuietly);
    }

    /** Unmaps a segment made by {@link #map} whose arena stays open. */
    public static void unmap(MemorySegment segment) {
        MemorySegment capture = Arena.ofAuto().allocate(Libc.CAPTURE_LAYOUT);
        int r;
        try {
            r = (int) Libc.MUNMAP.invokeExact(capture, segment.address(), segment.byteSize());
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (r < 0) {
            throw new SysException("munmap", Libc.errnoOf(capture), "0x" + Long.toHexString(segment.address()));
        }
    }

    /** A segment over raw memory at {@code address} (say, a ring a kernel mapped), {@code length} long. */
    public static MemorySegment at(long address, long length) {
        return MemorySegment.ofAddress(address).reinterpret(length);
    }

    private static void unmapQuietly(MemorySegment segment) {
        MemorySegment capture = Arena.ofAuto().allocate(Libc.CAPTURE_LAYOUT);
        try {
            int ignored = (int) Libc.MUNMAP.invokeExact(capture, segment.address(), segment.byteSize());
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }
}
