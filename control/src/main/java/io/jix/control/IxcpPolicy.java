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
 *
 * <p>Busy time does not add up across threads: a polling thread is "busy" in every iteration that
 * found work, so one thread at a high packet rate reads nearly 100 % busy while two threads at the
 * same rate read 25 % each (each finds work less often and parks in between). Spread over one
 * thread fewer, 2 × 25 % looks like room, the policy steps down, the lone thread reads 100 % again,
 * and the dataplane flaps. So the policy also remembers the arrival rate at which each thread was
 * added and gives that thread back only once the arrival rate (the larger of its two averages, so
 * a rise still under way does not read as a fall) is well below it — or once the threads are
 * nearly idle at about that rate (a thread added while the JIT was still compiling, at a rate one
 * thread carries easily).
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
    private final double downRateFraction;
    private long pollNanos = 20_000;
    private double[] upRate = new double[0]; // by thread count n: the fast arrival rate when the n-th thread came
    private double fastRate;
    private double slowRate;
    private double fastDelay;
    private double slowDelay;
    private double fastBusy;
    private double slowBusy;
    private int hold;
    private boolean primed;

    /**
     * The defaults: step up at 1/4 of the SLA or 85 % busy, step down when n-1 threads would be
     * under 50 % busy and the rate is under 60 % of the one that added the thread; hold 20 intervals
     * (1 s at the control loop's 50 ms) after a change.
     */
    public IxcpPolicy(long slaNanos) {
        this(slaNanos, 0.5, 0.05, 0.25, 0.85, 0.5, 20, 0.6);
    }

    /** As the full constructor, stepping down at 60 % of the rate that added a thread. */
    public IxcpPolicy(long slaNanos, double fastWeight, double slowWeight, double upDelayFraction, double upBusy,
                      double downBusy, int holdIntervals) {
        this(slaNanos, fastWeight, slowWeight, upDelayFraction, upBusy, downBusy, holdIntervals, 0.6);
    }

    /**
     * @param fastWeight      weight of a new sample in the fast averages (0..1]
     * @param slowWeight      weight of a new sample in the slow averages (0..1]
     * @param upDelayFraction step up when the fast queueing delay passes this fraction of the SLA
     * @param upBusy          step up when the fast busy fraction passes this
     * @param downBusy        step down when the slow busy time, spread over one thread fewer, stays under this
     * @param holdIntervals   intervals to wait after a change
     * @param downRateFraction step down only when the slow arrival rate is under this fraction of the
     *                        rate at which the thread was added (or the threads are nearly idle)
     */
    public IxcpPolicy(long slaNanos, double fastWeight, double slowWeight, double upDelayFraction, double upBusy,
                      double downBusy, int holdIntervals, double downRateFraction) {
        if (slaNanos <= 0 || fastWeight <= 0 || fastWeight > 1 || slowWeight <= 0 || slowWeight > 1
                || !(downRateFraction > 0 && downRateFraction <= 1)) {
            throw new IllegalArgumentException("need a positive SLA and weights and a rate fraction in (0, 1]");
        }
        this.downRateFraction = downRateFraction;
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
        if (upRate.length <= s.maxThreads()) {
            upRate = java.util.Arrays.copyOf(upRate, s.maxThreads() + 1);
        }
        if (hold > 0) {
            hold--;
            return n;
        }
        boolean atRisk = fastDelay > upDelayFraction * slaNanos || fastBusy > upBusy;
        if (atRisk && n < s.maxThreads()) {
            return changed(n, n + 1);
        }
        double spreadBusy = n > 1 ? slowBusy * n / (n - 1) : 1;
        // Both averages: the slow one lags behind a rise, and must not read as a fall right after it.
        double rate = Math.max(fastRate, slowRate);
        boolean rateFell = upRate[n] == 0 || rate < downRateFraction * upRate[n];
        // "The same rate" within measurement noise; a rate well above it is the load still rising.
        boolean idleAtThatRate = spreadBusy < downBusy / 2 && rate <= 1.1 * upRate[n];
        boolean spare = n > s.minThreads() && spreadBusy < downBusy && (rateFell || idleAtThatRate)
                && slowDelay < upDelayFraction * slaNanos / 4;
        if (spare) {
            return changed(n, n - 1);
        }
        return n;
    }

    /**
     * The polling budget under load (default 20 µs). 0 suits cores the dataplane shares with other
     * busy threads (a load generator on the same small VM): there a polling thread takes CPU time a
     * runnable neighbour needs, and the scheduler's time slices turn that into milliseconds of delay.
     *
     * @return this policy
     */
    public IxcpPolicy withPollNanos(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("poll budget must be >= 0, got " + nanos);
        }
        this.pollNanos = nanos;
        return this;
    }

    /**
     * Polling between requests pays off only when the next one comes soon: below {@link #LIGHT_LOAD}
     * busy (slow average) the threads park as soon as they are idle, above it they poll for the
     * budget ({@link #withPollNanos}).
     */
    @Override
    public long spinNanos(LoadSample sample) {
        return slowBusy < LIGHT_LOAD ? 0 : pollNanos;
    }

    private int changed(int from, int to) {
        hold = holdIntervals;
        if (to > from) {
            upRate[to] = fastRate;
        }
        // The same load over another thread count: each thread's busy fraction scales by from/to.
        fastBusy = Math.min(1, fastBusy * from / to);
        slowBusy = Math.min(1, slowBusy * from / to);
        return to;
    }

    private void average(LoadSample s) {
        if (!primed) {
            fastDelay = slowDelay = s.queueingDelayNanos();
            fastBusy = slowBusy = s.busyFraction();
            fastRate = slowRate = s.arrivalsPerSecond();
            primed = true;
            return;
        }
        fastDelay += fastWeight * (s.queueingDelayNanos() - fastDelay);
        slowDelay += slowWeight * (s.queueingDelayNanos() - slowDelay);
        fastBusy += fastWeight * (s.busyFraction() - fastBusy);
        slowBusy += slowWeight * (s.busyFraction() - slowBusy);
        fastRate += fastWeight * (s.arrivalsPerSecond() - fastRate);
        slowRate += slowWeight * (s.arrivalsPerSecond() - slowRate);
    }
}
