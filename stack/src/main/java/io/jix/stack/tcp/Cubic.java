package io.jix.stack.tcp;

import java.util.function.LongSupplier;

/**
 * CUBIC congestion control (RFC 9438), in bytes, behind the same events, action bits and recovery
 * semantics as {@link NewReno} (both are a {@link LossRecovery}): a state machine can hold either.
 *
 * <p>Time: CUBIC's window is a function of the time since the current congestion avoidance stage
 * began and of the RTT, which the interface does not carry. Both come from suppliers given to the
 * constructor, read only on ACKs in congestion avoidance: a clock in nanoseconds (the timer
 * wheel's {@code now}, any monotonic origin) and the smoothed RTT in nanoseconds (an
 * {@link RttEstimator}'s {@link RttEstimator#srtt()}; 0 or less means "no sample yet" and is taken
 * as 0).
 *
 * <ul>
 *   <li>Constants (§5): C = 0.4 (segments/s³), β<sub>cubic</sub> = 0.7 (applied as exactly 7/10
 *       in integer bytes), α<sub>cubic</sub> = 3(1 − β)/(1 + β) ≈ 0.529.
 *   <li>Initial window, initial ssthresh and slow start exactly as {@link NewReno}: RFC 6928's
 *       initial window, ssthresh arbitrarily high, RFC 5681 slow start with RFC 3465 byte
 *       counting and L = 2 (§4.10 allows Reno's slow start; HyStart++ is not implemented).
 *   <li>Congestion avoidance (cwnd ≥ ssthresh, §4.2–4.5). The stage's epoch begins at the first
 *       ACK in congestion avoidance after a congestion event, timeout or idle restart:
 *       t<sub>epoch</sub> = now, cwnd<sub>epoch</sub> = cwnd,
 *       K = ∛((W<sub>max</sub> − cwnd<sub>epoch</sub>)/C) in seconds with windows in segments
 *       (K = 0 and W<sub>max</sub> = cwnd<sub>epoch</sub> when cwnd<sub>epoch</sub> is already at or
 *       above W<sub>max</sub>), and W<sub>est</sub> = cwnd<sub>epoch</sub>. On each ACK of N bytes,
 *       with t = now − t<sub>epoch</sub>:
 *       <ul>
 *         <li>W<sub>cubic</sub>(t) = C(t − K)³ + W<sub>max</sub>;
 *         <li>W<sub>est</sub> += α · MSS · N / cwnd, with α = α<sub>cubic</sub> until
 *             W<sub>est</sub> reaches cwnd<sub>prior</sub>, then 1 (§4.3);
 *         <li>if W<sub>cubic</sub>(t) &lt; W<sub>est</sub> (the Reno-friendly region), cwnd =
 *             W<sub>est</sub> (never lowered);
 *         <li>otherwise (concave region below W<sub>max</sub>, convex above) target =
 *             W<sub>cubic</sub>(t + RTT) bounded to [cwnd, 1.5 · cwnd], and cwnd grows by
 *             (target − cwnd) · N / cwnd bytes, fractions carried to the next ACK, never past
 *             target.
 *       </ul>
 *   <li>Multiplicative decrease (§4.6) on the third duplicate ACK or SACK-detected loss (entry
 *       rules, recover, partial and full ACKs exactly as {@link NewReno}): cwnd<sub>prior</sub> =
 *       cwnd; ssthresh = max(FlightSize · β, 2·MSS); for NewReno's fast recovery cwnd = ssthresh +
 *       3·MSS and inflation by duplicate ACKs, for SACK recovery cwnd = ssthresh.
 *   <li>Fast convergence (§4.7, on by default): at a congestion event with cwnd &lt;
 *       W<sub>max</sub>, W<sub>max</sub> = cwnd · (1 + β)/2; otherwise W<sub>max</sub> = cwnd.
 *   <li>Timeout (§4.8): as Reno (cwnd = 1 MSS, recovery abandoned, recover = SND.NXT − 1, ssthresh
 *       held on repeated timeouts) but ssthresh = max(FlightSize · β, 2·MSS); in the first
 *       congestion avoidance stage afterwards K = 0 and W<sub>max</sub> = cwnd<sub>epoch</sub>.
 *       cwnd<sub>prior</sub> becomes the cwnd at the timeout unless a recovery was in progress (its
 *       value from the loss stays).
 *   <li>Idle restart (RFC 5681 §4.1): cwnd = min(cwnd, IW), and the epoch ends, so that the next
 *       congestion avoidance ACK starts a new curve from the restarted cwnd towards W<sub>max</sub>
 *       instead of jumping by the idle time.
 * </ul>
 *
 * <p>Not implemented: undo of spurious congestion events (§4.9 — no event in the interface
 * announces one), HyStart++, ECN's reduction (no ECE event), and §5.8's freeze of growth while the
 * application limits the flow (like {@link NewReno}, cwnd grows on every ACK; limiting it is the
 * state machine's job, RFC 7661). Allocation-free; one instance per connection, one thread.
 */
public final class Cubic extends LossRecovery {

    /** C: the cubic function's scaling constant, in segments per second cubed. */
    public static final double C = 0.4;
    /** β<sub>cubic</sub>: the multiplicative decrease factor (applied as 7/10). */
    public static final double BETA = 0.7;
    /** α<sub>cubic</sub> = 3(1 − β)/(1 + β): W<sub>est</sub>'s growth per RTT below cwnd<sub>prior</sub>, in segments. */
    public static final double ALPHA = 3 * (1 - BETA) / (1 + BETA);

    private static final double NANOS_PER_SECOND = 1e9;

    private final LongSupplier clock;
    private final LongSupplier srtt;
    private final boolean fastConvergence;

    private double wMax; // bytes
    private int cwndPrior; // bytes
    private boolean afterTimeout;
    private boolean epochStarted;
    private long epochStart; // nanoseconds
    private int cwndEpoch; // bytes
    private double k; // seconds
    private double wEst; // bytes
    private double pending; // cubic growth in bytes not yet added to cwnd

    /**
     * CUBIC with fast convergence.
     *
     * @param clockNanos the current time in nanoseconds (monotonic)
     * @param srttNanos the connection's smoothed RTT in nanoseconds, 0 before any sample
     */
    public Cubic(LongSupplier clockNanos, LongSupplier srttNanos) {
        this(clockNanos, srttNanos, true);
    }

    /** CUBIC with fast convergence, its RTT from {@code rtt}. */
    public Cubic(LongSupplier clockNanos, RttEstimator rtt) {
        this(clockNanos, rtt::srtt, true);
    }

    /**
     * @param clockNanos the current time in nanoseconds (monotonic)
     * @param srttNanos the connection's smoothed RTT in nanoseconds, 0 before any sample
     * @param fastConvergence whether to apply §4.7's fast convergence (RFC 9438: SHOULD)
     */
    public Cubic(LongSupplier clockNanos, LongSupplier srttNanos, boolean fastConvergence) {
        if (clockNanos == null || srttNanos == null) {
            throw new NullPointerException("clock and SRTT suppliers are required");
        }
        this.clock = clockNanos;
        this.srtt = srttNanos;
        this.fastConvergence = fastConvergence;
        reset(536, 0);
    }

    /** Whether fast convergence is on. */
    public boolean fastConvergence() {
        return fastConvergence;
    }

    /** W<sub>max</sub> in bytes: the plateau of the current (or next) cubic curve; 0 before any congestion event. */
    public double wMax() {
        return wMax;
    }

    /** cwnd<sub>prior</sub> in bytes: cwnd just before the last congestion event. */
    public int cwndPrior() {
        return cwndPrior;
    }

    /** Whether a congestion avoidance epoch is running (it starts on the first ACK in congestion avoidance). */
    public boolean epochStarted() {
        return epochStarted;
    }

    /** cwnd<sub>epoch</sub> in bytes: cwnd when the current epoch began. */
    public int cwndEpoch() {
        return cwndEpoch;
    }

    /** K in seconds: the time from the epoch's start until W<sub>cubic</sub> reaches W<sub>max</sub>. */
    public double k() {
        return k;
    }

    /** W<sub>est</sub> in bytes: the Reno-friendly estimate. */
    public double wEst() {
        return wEst;
    }

    /** W<sub>cubic</sub>(t) in bytes, {@code t} seconds after the current epoch's start. */
    public double wCubic(double t) {
        double d = t - k;
        return wMax + C * d * d * d * mss();
    }

    @Override
    void onReset() {
        wMax = 0;
        cwndPrior = 0;
        afterTimeout = false;
        epochStarted = false;
        epochStart = 0;
        cwndEpoch = 0;
        k = 0;
        wEst = 0;
        pending = 0;
    }

    @Override
    void congestionAvoidance(int bytesAcked) {
        long now = clock.getAsLong();
        if (!epochStarted) {
            startEpoch(now);
        }
        double t = (now - epochStart) / NANOS_PER_SECOND;
        double rtt = Math.max(srtt.getAsLong(), 0L) / NANOS_PER_SECOND;
        double w = cwnd();
        double alpha = wEst >= cwndPrior ? 1.0 : ALPHA;
        wEst += alpha * mss() * bytesAcked / w;
        if (wCubic(t) < wEst) {
            // Reno-friendly region (§4.3)
            if (wEst > w) {
                cwnd((long) wEst);
            }
            pending = 0;
            return;
        }
        // concave (§4.4) or convex (§4.5) region
        double target = Math.min(Math.max(wCubic(t + rtt), w), 1.5 * w);
        pending = Math.min(pending + (target - w) * bytesAcked / w, target - w);
        if (pending >= 1) {
            int whole = (int) pending;
            pending -= whole;
            cwnd((long) cwnd() + whole);
        }
    }

    private void startEpoch(long now) {
        int w = cwnd();
        epochStarted = true;
        epochStart = now;
        cwndEpoch = w;
        wEst = w;
        pending = 0;
        if (afterTimeout || wMax <= w) {
            // §4.8 after a timeout; or a window already past the last maximum: the curve starts
            // at its inflection point, convex from here
            wMax = w;
            k = 0;
        } else {
            k = Math.cbrt((wMax - w) / mss() / C);
        }
        afterTimeout = false;
    }

    /** §4.6 and §4.7: W_max and cwnd_prior at a loss; the epoch ends. */
    @Override
    void onCongestionEvent() {
        int w = cwnd();
        cwndPrior = w;
        wMax = fastConvergence && w < wMax ? w * (1 + BETA) / 2 : w;
        epochStarted = false;
        afterTimeout = false;
        pending = 0;
    }

    /** §4.6: ssthresh = max(FlightSize · β, 2·MSS), β as exactly 7/10. */
    @Override
    int reducedSsthresh(int flightSize) {
        return (int) Math.max((long) Math.max(flightSize, 0) * 7 / 10, 2L * mss());
    }

    /** §4.8: the next epoch starts with K = 0; cwnd_prior is the cwnd now unless a recovery already set it. */
    @Override
    void onRetransmissionTimeout(boolean repeated) {
        if (!repeated && !inRecovery()) {
            cwndPrior = cwnd();
        }
        epochStarted = false;
        afterTimeout = true;
        pending = 0;
    }

    @Override
    void onIdleRestart() {
        epochStarted = false;
        pending = 0;
    }
}
