package io.jix.control;

import io.jix.dataplane.Dataplane;
import io.jix.dataplane.StatsInterval;
import io.jix.dataplane.StatsSnapshot;

/**
 * Turns a dataplane's published counters into one {@link LoadSample} per call: the load of the
 * threads running at the end of the interval since the last call ({@link StatsInterval#running()}:
 * busy fraction, queue length, and the queueing delay by Little's law). The kernel backend cannot
 * see its queues, so there the delay is 0 and the busy fraction carries the decision.
 */
public final class LoadMeter {

    private final Dataplane dataplane;
    private StatsSnapshot last;

    public LoadMeter(Dataplane dataplane) {
        this.dataplane = dataplane;
        this.last = dataplane.snapshot();
    }

    /** What happened since the previous call. Control-plane thread only. */
    public LoadSample sample() {
        StatsSnapshot now = dataplane.snapshot();
        StatsInterval interval = new StatsInterval(last, now);
        StatsInterval.Load load = interval.running();
        last = now;
        return new LoadSample(now.nanoTime() - interval.from().nanoTime(), Math.max(1, load.threads()),
                dataplane.minThreads(), dataplane.threadCount(), finite(load.busyFraction(), 0),
                finite(load.queueLength(), 0), finite(load.queueingDelayNanos(), Double.MAX_VALUE),
                finite(load.arrivalsPerSecond(), 0));
    }

    /** NaN (nothing measured) reads as 0; infinity (frames waiting, none arriving) as {@code infinity}. */
    private static double finite(double v, double infinity) {
        if (Double.isNaN(v)) {
            return 0;
        }
        return Double.isInfinite(v) ? infinity : v;
    }
}
