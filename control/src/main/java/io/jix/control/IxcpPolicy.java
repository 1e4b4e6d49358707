package io.jix.control;

/**
 * IXCP's core-allocation rule (Prekas et al., SoCC 2015), on jix's signals. Two exponentially
 * weighted averages follow the load: a fast one that reacts within a few intervals and a slow one
 * that sees through bursts. One more thread when the fast averages say the SLA is at risk — the
 * queueing delay passes a fraction of the SLA, or the running threads are nearly always busy.
 * One thread fewer when the slow averages say the rest could carry the load comfortably — the
 * busy time, spread over one thread fewer, stays under a target and queues are short. After each
 * change it holds still for a while (hysteresis), so the averages see the new configuration before
 * it acts again.
 */
public final class IxcpPolicy implements CorePolicy {

    /** Busy fraction under which a thread parks as soon as it is idle. */
    public static final double LIGHT_LOAD = 0.3;

    private final double slaNanos;
    private final double fastWeight;
    private final double slowWeight;
    private final double upDelayFraction;
    private final double upBusy;
    private final double downBusy;
    private final int holdIntervals;
    private double fastDelay;
    private double slowDelay;
    private double fastBusy;
    private double slowBusy;
    private int hold;
    private boolean primed;

    /**
     * The defaults: step up at 1/4 of the SLA or 85 % busy, step down when n-1 threads would be
     * under 50 % busy; hold 20 intervals (1 s at the control loop's 50 ms) after a change.
     */
    public IxcpPolicy(long slaNanos) {
        this(slaNanos, 0.5, 0.05, 0.25, 0.85, 0.5, 20);
    }

    /**
     * @param fastWeight      weight of a new sample in the fast averages (0..1]
     * @param slowWeight      weight of a new sample in the slow averages (0..1]
     * @param upDelayFraction step up when the fast queueing delay passes this fraction of the SLA
     * @param upBusy          step up when the fast busy fraction passes this
     * @param downBusy        step down when the slow busy time, spread over one thread fewer, stays under this
     * @param holdIntervals   intervals to wait after a change
     */
    public IxcpPolicy(long slaNanos, double fastWeight, double slowWeight, double upDelayFraction, double upBusy,
                      double downBusy, int holdIntervals) {
        if (slaNanos <= 0 || fastWeight <= 0 || fastWeight > 1 || slowWeight <= 0 || slowWeight > 1) {
            throw new IllegalArgumentException("need a positive SLA and weights in (0, 1]");
        }
        this.slaNanos = slaNanos;
        this.fastWeight = fastWeight;
        this.slowWeight = slowWeight;
        this.upDelayFraction = upDelayFraction;
        this.upBusy = upBusy;
        this.downBusy = downBusy;
        this.holdIntervals = holdIntervals;
    }

    @Override
    public int decide(LoadSample s) {
        average(s);
        int n = s.threads();
        if (hold > 0) {
            hold--;
            return n;
        }
        boolean atRisk = fastDelay > upDelayFraction * slaNanos || fastBusy > upBusy;
        if (atRisk && n < s.maxThreads()) {
            return changed(n, n + 1);
        }
        boolean spare = n > s.minThreads() && slowBusy * n / (n - 1) < downBusy
                && slowDelay < upDelayFraction * slaNanos / 4;
        if (spare) {
            return changed(n, n - 1);
        }
        return n;
    }

    /**
     * Polling between requests pays off only when the next one comes soon: below {@link #LIGHT_LOAD}
     * busy (slow average) the threads park as soon as they are idle, above it they poll 20 µs.
     */
    @Override
    public long spinNanos(LoadSample sample) {
        return slowBusy < LIGHT_LOAD ? 0 : 20_000;
    }

    private int changed(int from, int to) {
        hold = holdIntervals;
        // The same load over another thread count: each thread's busy fraction scales by from/to.
        fastBusy = Math.min(1, fastBusy * from / to);
        slowBusy = Math.min(1, slowBusy * from / to);
        return to;
    }

    private void average(LoadSample s) {
        if (!primed) {
            fastDelay = slowDelay = s.queueingDelayNanos();
            fastBusy = slowBusy = s.busyFraction();
            primed = true;
            return;
        }
        fastDelay += fastWeight * (s.queueingDelayNanos() - fastDelay);
        slowDelay += slowWeight * (s.queueingDelayNanos() - slowDelay);
        fastBusy += fastWeight * (s.busyFraction() - fastBusy);
        slowBusy += slowWeight * (s.busyFraction() - slowBusy);
    }
}
