package io.jix.control;

import io.jix.dataplane.Counter;
import io.jix.dataplane.Dataplane;

/**
 * Turns a dataplane's counters into one {@link LoadSample} per call: the difference since the
 * last call, over the threads that own flow groups. Busy fraction is busy ÷ (busy + idle) loop
 * time; the queue length is the receive backlog summed per iteration over the iterations; the
 * queueing delay follows from Little's law as queue length ÷ arrival rate. The kernel backend
 * cannot see its queues, so there the delay is 0 and the busy fraction carries the decision.
 */
public final class LoadMeter {

    private final Dataplane dataplane;
    private final int threads;
    private final long[] busy;
    private final long[] idle;
    private final long[] loops;
    private final long[] backlog;
    private final long[] frames;
    private final long[] events;
    private long at;

    public LoadMeter(Dataplane dataplane) {
        this.dataplane = dataplane;
        this.threads = dataplane.threadCount();
        busy = new long[threads];
        idle = new long[threads];
        loops = new long[threads];
        backlog = new long[threads];
        frames = new long[threads];
        events = new long[threads];
        at = System.nanoTime();
        sample(); // the first interval starts now
    }

    /** What happened since the previous call. Control-plane thread only. */
    public LoadSample sample() {
        long now = System.nanoTime();
        long interval = Math.max(1, now - at);
        at = now;
        long dBusy = 0;
        long dIdle = 0;
        long dLoops = 0;
        long dBacklog = 0;
        long dFrames = 0;
        long dEvents = 0;
        int running = 0;
        for (int t = 0; t < threads; t++) {
            long b = dataplane.counter(t, Counter.BUSY_NANOS);
            long i = dataplane.counter(t, Counter.IDLE_NANOS);
            long l = dataplane.counter(t, Counter.LOOPS);
            long q = dataplane.counter(t, Counter.RX_BACKLOG);
            long f = dataplane.counter(t, Counter.NIC_RX_FRAMES);
            long e = dataplane.counter(t, Counter.EVENTS);
            if (dataplane.counter(t, Counter.GROUPS_OWNED) > 0) {
                running++;
                dBusy += b - busy[t];
                dIdle += i - idle[t];
                dLoops += l - loops[t];
                dBacklog += q - backlog[t];
            }
            // Arrivals count on every thread: a group that moved took its counting with it.
            dFrames += f - frames[t];
            dEvents += e - events[t];
            busy[t] = b;
            idle[t] = i;
            loops[t] = l;
            backlog[t] = q;
            frames[t] = f;
            events[t] = e;
        }
        long dArrivals = dFrames > 0 ? dFrames : dEvents;
        double busyFraction = dBusy + dIdle == 0 ? 0 : (double) dBusy / (dBusy + dIdle);
        double queueLength = dLoops == 0 ? 0 : (double) dBacklog / dLoops;
        double perSecond = dArrivals * 1e9 / interval;
        double delay = perSecond <= 0 ? 0 : queueLength / perSecond * 1e9;
        return new LoadSample(interval, Math.max(1, running), dataplane.minThreads(), threads, busyFraction,
                queueLength, delay, perSecond);
    }
}
