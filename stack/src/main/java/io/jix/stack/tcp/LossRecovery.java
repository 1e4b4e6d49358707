package io.jix.stack.tcp;

/**
 * What {@link NewReno} and {@link Cubic} share: RFC 5681's slow start, fast retransmit and fast
 * recovery, RFC 6582's partial acknowledgments and {@code recover}, RFC 6675's SACK-based
 * recovery entry, the timeout and idle restart bookkeeping, all in bytes. A subclass only says
 * how the window grows in congestion avoidance and how far it shrinks at a loss.
 *
 * <ul>
 *   <li>Initial window: RFC 6928's {@code min(10·MSS, max(2·MSS, 14600))}; initial ssthresh
 *       arbitrarily high (RFC 5681 §3.1).
 *   <li>Slow start (cwnd &lt; ssthresh): appropriate byte counting (RFC 3465) with L = 2:
 *       {@code cwnd += min(N, 2·MSS)} per ACK acknowledging N bytes. Congestion avoidance
 *       (cwnd ≥ ssthresh) is {@link #congestionAvoidance}.
 *   <li>Fast retransmit on the third duplicate ACK (RFC 5681 §3.2), only if the ACK covers more
 *       than {@code recover} (RFC 6582 §3.2 step 2): ssthresh = {@link #reducedSsthresh},
 *       recover = SND.NXT − 1, cwnd = ssthresh + 3·MSS; each further duplicate inflates cwnd by
 *       one MSS.
 *   <li>Partial ACK (RFC 6582 §3.2 step 3): retransmit the first unacknowledged segment, deflate
 *       cwnd by the bytes acknowledged and add back one MSS if at least one MSS was acknowledged;
 *       restart the timer on the first partial ACK only (the "Impatient" variant).
 *   <li>Full ACK (above recover): cwnd = min(ssthresh, max(FlightSize, MSS) + MSS) (RFC 6582
 *       option 1, avoiding a burst), recovery ends.
 *   <li>SACK recovery (RFC 6675 §5): same entry rule and ssthresh, cwnd = ssthresh; cwnd is left
 *       alone (pipe governs sending) until an ACK passes recover, which sets cwnd = ssthresh.
 *   <li>Timeout (RFC 5681 §3.1): ssthresh = {@link #reducedSsthresh} (held on repeated
 *       timeouts), cwnd = LW = 1 MSS, recover = SND.NXT − 1 (RFC 6582 §3.2 step 4), recovery
 *       abandoned.
 *   <li>Idle restart (RFC 5681 §4.1): cwnd = min(cwnd, IW).
 * </ul>
 *
 * <p>Allocation-free; one instance per connection, one thread.
 */
public abstract sealed class LossRecovery implements CongestionControl permits NewReno, Cubic {

    /** The largest congestion window, in bytes. */
    static final int CWND_LIMIT = 1 << 30;

    private int mss = 536;
    private int cwnd;
    private int ssthresh;
    private int recover;
    private int dupAcks;
    private boolean inRecovery;
    private boolean sackRecovery;
    private boolean firstPartialAck;

    /** Subclasses call {@link #reset} from their constructors. */
    LossRecovery() {
    }

    /** RFC 6928's initial window for {@code mss}. */
    public static int initialWindow(int mss) {
        return Math.min(10 * mss, Math.max(2 * mss, 14_600));
    }

    // ------------------------------------------------------------------ what a subclass says

    /** The ssthresh after a loss or a first timeout with {@code flightSize} bytes outstanding. */
    abstract int reducedSsthresh(int flightSize);

    /** Congestion avoidance: an ACK of {@code bytesAcked} new bytes, outside recovery, cwnd ≥ ssthresh. */
    abstract void congestionAvoidance(int bytesAcked);

    /** A fast or SACK recovery is starting; called while {@link #cwnd()} still has its value before the loss. */
    abstract void onCongestionEvent();

    /**
     * A retransmission timeout; called before anything changes ({@link #cwnd()} and
     * {@link #inRecovery()} still as they were).
     */
    abstract void onRetransmissionTimeout(boolean repeated);

    /** The connection restarts after idle; called after cwnd has been lowered. */
    abstract void onIdleRestart();

    /** The connection (re)starts; called after the shared state has been reset. */
    abstract void onReset();

    // ------------------------------------------------------------------ state

    @Override
    public final void reset(int mss, int iss) {
        if (mss <= 0) {
            throw new IllegalArgumentException("MSS " + mss);
        }
        this.mss = mss;
        cwnd = initialWindow(mss);
        ssthresh = Integer.MAX_VALUE;
        recover = iss;
        dupAcks = 0;
        inRecovery = false;
        sackRecovery = false;
        firstPartialAck = false;
        onReset();
    }

    @Override
    public final int cwnd() {
        return cwnd;
    }

    /** Sets cwnd, at most {@link #CWND_LIMIT}: a subclass's growth in congestion avoidance. */
    final void cwnd(long bytes) {
        cwnd = (int) Math.min(bytes, CWND_LIMIT);
    }

    @Override
    public final int ssthresh() {
        return ssthresh;
    }

    @Override
    public final boolean inRecovery() {
        return inRecovery;
    }

    /** Whether the recovery in progress is SACK-based. */
    public final boolean inSackRecovery() {
        return inRecovery && sackRecovery;
    }

    /** The recover variable: the highest sequence number sent when the last recovery or timeout began. */
    public final int recover() {
        return recover;
    }

    /** Duplicate ACKs counted since the last ACK of new data. */
    public final int dupAcks() {
        return dupAcks;
    }

    /** The sender MSS. */
    public final int mss() {
        return mss;
    }

    // ------------------------------------------------------------------ events

    @Override
    public final int onAck(int ack, int bytesAcked, int flightSize, int sndNxt) {
        dupAcks = 0;
        if (bytesAcked <= 0) {
            return NONE;
        }
        if (inRecovery) {
            if (Seq.gt(ack, recover)) {
                // full acknowledgment: recovery ends
                cwnd = sackRecovery ? ssthresh : (int) Math.min(ssthresh, (long) Math.max(flightSize, mss) + mss);
                inRecovery = false;
                sackRecovery = false;
                return NONE;
            }
            if (sackRecovery) {
                return NONE;
            }
            // partial acknowledgment (RFC 6582 §3.2 step 3)
            cwnd = Math.max(cwnd - bytesAcked, mss);
            if (bytesAcked >= mss) {
                cwnd += mss;
            }
            if (firstPartialAck) {
                firstPartialAck = false;
                return RETRANSMIT | RESTART_TIMER;
            }
            return RETRANSMIT;
        }
        if (cwnd < ssthresh) {
            cwnd = Math.min(cwnd + Math.min(bytesAcked, 2 * mss), CWND_LIMIT);
        } else {
            congestionAvoidance(bytesAcked);
        }
        return NONE;
    }

    @Override
    public final int onDupAck(int ack, int flightSize, int sndNxt) {
        dupAcks++;
        if (inRecovery) {
            if (!sackRecovery) {
                cwnd = Math.min(cwnd + mss, CWND_LIMIT);
            }
            return NONE;
        }
        if (dupAcks != 3 || !Seq.gt(ack, recover)) {
            return NONE;
        }
        enterRecovery(flightSize, sndNxt);
        cwnd = ssthresh + 3 * mss;
        return RETRANSMIT;
    }

    @Override
    public final int enterSackRecovery(int ack, int flightSize, int sndNxt) {
        if (inRecovery || !Seq.gt(ack, recover)) {
            return NONE;
        }
        enterRecovery(flightSize, sndNxt);
        sackRecovery = true;
        cwnd = ssthresh;
        return RETRANSMIT;
    }

    private void enterRecovery(int flightSize, int sndNxt) {
        onCongestionEvent();
        ssthresh = reducedSsthresh(flightSize);
        recover = sndNxt - 1;
        inRecovery = true;
        sackRecovery = false;
        firstPartialAck = true;
    }

    @Override
    public final void onTimeout(int flightSize, int sndNxt, boolean repeated) {
        onRetransmissionTimeout(repeated);
        if (!repeated) {
            ssthresh = reducedSsthresh(flightSize);
        }
        cwnd = mss;
        recover = sndNxt - 1;
        inRecovery = false;
        sackRecovery = false;
        dupAcks = 0;
    }

    @Override
    public final void restartAfterIdle() {
        cwnd = Math.min(cwnd, initialWindow(mss));
        onIdleRestart();
    }
}
