package io.jix.control;

/**
 * What the control loop measured over one interval, summed or averaged over the running threads.
 *
 * @param intervalNanos     length of the interval
 * @param threads           elastic threads running during it
 * @param minThreads        the fewest the policy may ask for
 * @param maxThreads        the most the policy may ask for
 * @param busyFraction      busy time ÷ (busy + idle time), over the running threads
 * @param queueLength       frames waiting in the receive queues, averaged over loop iterations
 * @param queueingDelayNanos mean time a frame waited in a receive queue (Little's law: length ÷ arrival rate)
 * @param arrivalsPerSecond frames (or, on the kernel backend, events) arriving per second
 */
public record LoadSample(long intervalNanos, int threads, int minThreads, int maxThreads, double busyFraction,
                         double queueLength, double queueingDelayNanos, double arrivalsPerSecond) {
}
