package io.jix.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Process resource limits. A server with many connections needs many descriptors. */
public final class Limits {
    private Limits() {}

    private static final int RLIMIT_NOFILE = 7;
    /** sizeof(struct rlimit {rlim_t cur; rlim_t max;}). */
    private static final long RLIMIT_SIZE = 16;

    /** Raises the soft limit on open files to the hard limit. Returns the new soft limit. */
    public static long raiseOpenFileLimit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Libc.CAPTURE_LAYOUT);
            MemorySegment rlim = arena.allocate(RLIMIT_SIZE, 8);
            get(capture, rlim);
            long hard = rlim.get(JAVA_LONG, 8);
            if (rlim.get(JAVA_LONG, 0) == hard) {
                return hard;
            }
            rlim.set(JAVA_LONG, 0, hard);
            int r;
            try {
                r = (int) Libc.SETRLIMIT.invokeExact(capture, RLIMIT_NOFILE, rlim.address());
            } catch (Throwable t) {
                throw Libc.unexpected(t);
            }
            if (r < 0) {
                throw new SysException("setrlimit", Libc.errnoOf(capture), "RLIMIT_NOFILE, soft " + hard);
            }
            return hard;
        }
    }

    /** The current soft limit on open files. */
    public static long openFileLimit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Libc.CAPTURE_LAYOUT);
            MemorySegment rlim = arena.allocate(RLIMIT_SIZE, 8);
            get(capture, rlim);
            return rlim.get(JAVA_LONG, 0);
        }
    }

    /** The hard limit on open files: how far {@link #raiseOpenFileLimit()} can go without privileges. */
    public static long openFileHardLimit() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Libc.CAPTURE_LAYOUT);
            MemorySegment rlim = arena.allocate(RLIMIT_SIZE, 8);
            get(capture, rlim);
            return rlim.get(JAVA_LONG, 8);
        }
    }

    private static void get(MemorySegment capture, MemorySegment rlim) {
        int r;
        try {
            r = (int) Libc.GETRLIMIT.invokeExact(capture, RLIMIT_NOFILE, rlim.address());
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (r < 0) {
            throw new SysException("getrlimit", Libc.errnoOf(capture), "RLIMIT_NOFILE");
        }
    }
}
