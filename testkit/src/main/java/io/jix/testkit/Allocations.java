package io.jix.testkit;

import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * Measures what a hot path allocates, with the JVM's per-thread allocation counter.
 *
 * <p>Warm-up is the subtle part: tiered compilation makes a few one-off allocations on the
 * measured thread (56 or 96 bytes) during roughly the first 400,000 iterations of a loop, and
 * sometimes after windows that were already quiet. So {@link #steadyState} runs at least
 * {@code minWarmUp} windows and then continues until two windows in a row allocate nothing, and
 * only then measures.
 */
public final class Allocations {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private Allocations() {
    }

    /** Bytes the calling thread has allocated so far. */
    public static long ofCurrentThread() {
        return THREADS.getCurrentThreadAllocatedBytes();
    }

    /** Bytes thread {@code id} has allocated so far. */
    public static long ofThread(long id) {
        return THREADS.getThreadAllocatedBytes(id);
    }

    /**
     * Runs {@code window} (one window of work each call) for warm-up, then {@code measured} more
     * times, and returns the bytes {@code counter} saw allocated over the measured windows.
     *
     * @param counter   the allocation counter to read: {@link #ofCurrentThread} or a lambda over {@link #ofThread}
     * @param minWarmUp windows to run before quiet windows count
     * @param maxWarmUp windows after which warm-up gives up with an {@link AssertionError}
     */
    public static long steadyState(Runnable window, LongSupplier counter, int minWarmUp, int maxWarmUp, int measured) {
        int quiet = 0;
        int w = 0;
        for (; w < maxWarmUp && (w < minWarmUp || quiet < 2); w++) {
            long before = counter.getAsLong();
            window.run();
            quiet = counter.getAsLong() == before ? quiet + 1 : 0;
        }
        if (quiet < 2) {
            throw new AssertionError("still allocating after " + w + " warm-up windows");
        }
        long before = counter.getAsLong();
        for (int i = 0; i < measured; i++) {
            window.run();
        }
        return counter.getAsLong() - before;
    }
}
