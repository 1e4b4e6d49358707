package io.jix.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * CPU placement: which CPUs the process may use, and pinning the calling thread to one, so
 * each elastic thread keeps its core (and its caches and queues) to itself.
 */
public final class Affinity {
    private Affinity() {}

    /** sizeof(cpu_set_t) in glibc: 1024 CPUs. */
    public static final int CPU_SET_SIZE = 128;
    /** The highest CPU id + 1 that a cpu_set_t can name. */
    public static final int MAX_CPUS = CPU_SET_SIZE * 8;

    /** How many CPUs the process's affinity mask allows; Runtime.availableProcessors() if that fails. */
    public static int availableCpus() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = processMask(arena);
            if (mask == null) {
                return Runtime.getRuntime().availableProcessors();
            }
            int n = 0;
            for (int w = 0; w < CPU_SET_SIZE / 8; w++) {
                n += Long.bitCount(mask.getAtIndex(JAVA_LONG, w));
            }
            return n;
        }
    }

    /** The ids of the CPUs in the process's affinity mask, ascending. */
    public static int[] allowedCpus() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = processMask(arena);
            if (mask == null) {
                int[] all = new int[Runtime.getRuntime().availableProcessors()];
                for (int i = 0; i < all.length; i++) {
                    all[i] = i;
                }
                return all;
            }
            int[] cpus = new int[MAX_CPUS];
            int n = 0;
            for (int w = 0; w < CPU_SET_SIZE / 8; w++) {
                long bits = mask.getAtIndex(JAVA_LONG, w);
                while (bits != 0) {
                    cpus[n++] = w * 64 + Long.numberOfTrailingZeros(bits);
                    bits &= bits - 1;
                }
            }
            return Arrays.copyOf(cpus, n);
        }
    }

    /**
     * Restricts the calling thread to {@code cpu} (sched_setaffinity on thread id 0); the kernel
     * migrates it before returning. On a virtual thread this would pin the carrier, so call it
     * from platform threads only.
     */
    public static void pinCurrentThread(int cpu) {
        if (cpu < 0 || cpu >= MAX_CPUS) {
            throw new IllegalArgumentException("cpu out of range: " + cpu);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Libc.CAPTURE_LAYOUT);
            MemorySegment mask = arena.allocate(CPU_SET_SIZE, 8);
            mask.setAtIndex(JAVA_LONG, cpu / 64, 1L << (cpu % 64));
            int r;
            try {
                r = (int) Libc.SCHED_SETAFFINITY.invokeExact(capture, 0, (long) CPU_SET_SIZE, mask.address());
            } catch (Throwable t) {
                throw Libc.unexpected(t);
            }
            if (r < 0) {
                throw new SysException("sched_setaffinity", Libc.errnoOf(capture), "thread, cpu " + cpu);
            }
        }
    }

    /** The CPU the calling thread is running on right now (sched_getcpu), or -1 if unknown. */
    public static int currentCpu() {
        try {
            return (int) Libc.SCHED_GETCPU.invokeExact();
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /**
     * The mask of thread {@code getpid()}: the launcher's primordial thread, which runs no Java
     * code and so is never pinned, keeps the mask the process was started with (e.g. by taskset).
     * Returns null if the call fails.
     */
    private static MemorySegment processMask(Arena arena) {
        MemorySegment capture = arena.allocate(Libc.CAPTURE_LAYOUT);
        MemorySegment mask = arena.allocate(CPU_SET_SIZE, 8);
        int r;
        try {
            r = (int) Libc.SCHED_GETAFFINITY.invokeExact(capture, Ids.pid(), (long) CPU_SET_SIZE, mask.address());
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        return r < 0 ? null : mask;
    }
}
