package io.jix.dataplane;

import java.util.function.IntPredicate;

/**
 * What a dataplane did between two {@link StatsSnapshot}s: counter differences and the values
 * derived from them, per elastic thread ({@link #thread(int)}), over all threads ({@link #total()})
 * or over the threads running at the end ({@link #running()}). {@code ./jix stats}, the metrics
 * endpoint and the control plane's load sampling all compute load here.
 *
 * <p><b>Queueing delay</b>: each poll of a native backend sees how many frames were waiting (those
 * it took and those it left) and how long since the previous poll; frames the previous poll left
 * waited that whole gap, frames that arrived during it half of it on average, and after a park
 * none waited for the poll (the first arrival woke the thread). {@link Counter#RX_QUEUE_NANOS} sums
 * these waits; divided by the frames received it is the mean wait W, divided by the interval the
 * time-averaged queue length L (so L = λW holds by construction). An earlier estimate averaged the
 * backlog over loop iterations and divided by λ; at light load, where every request wakes a parked
 * thread, that made W about 1/λ — hundreds of microseconds for frames that waited none — and the
 * control plane added threads to an idle dataplane. Over several threads waits and frames are
 * each summed, so W is the frame-weighted mean. The kernel backend sees no receive rings: its L
 * and W are 0, and λ falls back to events.
 */
public final class StatsInterval {

    private final StatsSnapshot from;
    private final StatsSnapshot to;

    /** The interval from {@code from} to {@code to}: snapshots of the same dataplane, in that order. */
    public StatsInterval(StatsSnapshot from, StatsSnapshot to) {
        if (from.threads() != to.threads()) {
            throw new IllegalArgumentException("snapshots of different dataplanes (" + from.threads() + " vs "
                    + to.threads() + " threads)");
        }
        this.from = from;
        this.to = to;
    }

    /**
     * Load over some threads. Rates are per second of the interval; {@code idleFraction} and
     * {@code meanBatch} are NaN when nothing was recorded, {@code queueingDelayNanos} is infinite
     * when frames waited but none arrived.
     *
     * @param seconds            length of the interval
     * @param threads            threads included
     * @param rxFramesPerSecond  frames received from the NIC queues (native backends)
     * @param txFramesPerSecond  frames handed to the NIC queues (native backends)
     * @param eventsPerSecond    event conditions delivered to the application
     * @param batches            non-empty batches run
     * @param meanBatch          events per non-empty batch
     * @param loopNanos          busy nanoseconds per non-empty batch: one iteration's work
     * @param idleFraction       idle time ÷ (idle + busy time)
     * @param queueLength        frames waiting in the receive queues, time-averaged (summed over threads)
     * @param arrivalsPerSecond  received frames per second, or events where no frames were counted
     * @param queueingDelayNanos mean time a received frame waited in a receive queue
     * @param drops              work dropped or refused, summed over every {@link Counter#dropReason()}
     * @param openConnections    connections open at the end of the interval
     */
    public record Load(double seconds, int threads, double rxFramesPerSecond, double txFramesPerSecond,
                       double eventsPerSecond, long batches, double meanBatch, double loopNanos, double idleFraction,
                       double queueLength, double arrivalsPerSecond, double queueingDelayNanos, long drops,
                       long openConnections) {

        /** Busy time ÷ (busy + idle time): {@code 1 - idleFraction}. */
        public double busyFraction() {
            return 1 - idleFraction;
        }
    }

    /** The earlier snapshot. */
    public StatsSnapshot from() {
        return from;
    }

    /** The later snapshot. */
    public StatsSnapshot to() {
        return to;
    }

    /** Length of the interval in seconds. */
    public double seconds() {
        return Math.max(1, to.nanoTime() - from.nanoTime()) / 1e9;
    }

    /** How much counter {@code c} of thread {@code thread} changed (a gauge: its value at the end). */
    public long delta(int thread, Counter c) {
        return c.gauge() ? to.get(thread, c) : to.get(thread, c) - from.get(thread, c);
    }

    /** {@link #delta(int, Counter)} summed over all threads. */
    public long delta(Counter c) {
        long total = 0;
        for (int t = 0; t < to.threads(); t++) {
            total += delta(t, c);
        }
        return total;
    }

    /** Batches of {@code size} events thread {@code thread} ran in the interval (64: 64 or more). */
    public long histogram(int thread, int size) {
        return to.histogram(thread, size) - from.histogram(thread, size);
    }

    /** Load of thread {@code thread}. */
    public Load thread(int thread) {
        return load(t -> t == thread);
    }

    /** Load of all threads together. */
    public Load total() {
        return load(t -> true);
    }

    /** Load of the threads running at the end of the interval (the control plane's view). */
    public Load running() {
        return load(to::running);
    }

    private Load load(IntPredicate include) {
        double seconds = seconds();
        int threads = 0;
        long rx = 0;
        long tx = 0;
        long events = 0;
        long batches = 0;
        long busy = 0;
        long idle = 0;
        long drops = 0;
        long open = 0;
        long queueNanos = 0;
        for (int t = 0; t < to.threads(); t++) {
            if (!include.test(t)) {
                continue;
            }
            threads++;
            rx += delta(t, Counter.NIC_RX_FRAMES);
            tx += delta(t, Counter.NIC_TX_FRAMES);
            events += delta(t, Counter.EVENTS);
            batches += delta(t, Counter.BATCHES);
            busy += delta(t, Counter.BUSY_NANOS);
            idle += delta(t, Counter.IDLE_NANOS);
            open += delta(t, Counter.OPEN_CONNECTIONS);
            for (Counter c : Counter.values()) {
                if (c.dropReason()) {
                    drops += delta(t, c);
                }
            }
            queueNanos += delta(t, Counter.RX_QUEUE_NANOS);
        }
        double arrivals = (rx > 0 ? rx : events) / seconds;
        double queue = queueNanos / (seconds * 1e9);
        double delay = queueNanos == 0 ? 0 : rx == 0 ? Double.POSITIVE_INFINITY : (double) queueNanos / rx;
        return new Load(seconds, threads, rx / seconds, tx / seconds, events / seconds, batches,
                batches == 0 ? Double.NaN : (double) events / batches,
                batches == 0 ? Double.NaN : (double) busy / batches,
                idle + busy == 0 ? Double.NaN : (double) idle / (idle + busy),
                queue, arrivals, delay, drops, open);
    }
}
