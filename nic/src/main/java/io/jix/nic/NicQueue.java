package io.jix.nic;

/**
 * One RX/TX queue pair, polled by the elastic thread that owns it. Nothing here blocks except
 * {@link #awaitTraffic}, locks, or allocates. See the package documentation for who owns a frame
 * when.
 */
public interface NicQueue extends AutoCloseable {

    /**
     * Appends up to {@code max} received frames (never more than {@code into.remaining()}) to
     * {@code into}; they are the caller's from now on. Refills the receive side from the pool
     * first. Never waits.
     *
     * @return how many frames were appended
     */
    int receive(FrameBurst into, int max);

    /**
     * Queues the frames of {@code frames} for sending, in order, and removes those taken from the
     * burst (they belong to the queue until sent); frames left in the burst are still the
     * caller's (the ring was full). Kicks the kernel when it needs a kick.
     *
     * @return how many frames were taken
     */
    int transmit(FrameBurst frames);

    /**
     * Returns frames whose transmission has completed to the pool.
     *
     * @return how many
     */
    int reclaim();

    /**
     * Sleeps until a frame may be waiting or {@code timeoutNanos} passed: for an idle elastic
     * thread that has decided to park.
     */
    void awaitTraffic(long timeoutNanos);

    /**
     * Frames known to be waiting in the receive ring after the last {@link #receive} (a lower
     * bound, read without a syscall or a fence): the queue length the control plane steers by.
     */
    default int backlog() {
        return 0;
    }

    /**
     * A descriptor that polls readable when frames may be waiting, so that a parking thread can
     * sleep in poll(2) on it and on its own wake-up descriptor at once; -1 when there is none
     * (then {@link #awaitTraffic} is the only way to wait).
     */
    default int descriptor() {
        return -1;
    }

    /** The pool frames of this queue come from and go back to. */
    FramePool pool();

    /** Where received data starts within a frame (the driver's headroom). */
    int headroom();

    /** This queue's counters (kernel statistics refreshed by {@link #refreshCounters()}). */
    QueueCounters counters();

    /** Copies the kernel's statistics for this queue into {@link #counters()}; a syscall, not for every poll. */
    default void refreshCounters() {
    }

    /** The queue index on its interface. */
    int queueId();

    /** Releases the queue: sockets, rings, memory, and any program it attached. Idempotent. */
    @Override
    void close();
}
