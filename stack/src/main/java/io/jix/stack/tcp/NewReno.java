package io.jix.stack.tcp;

/**
 * NewReno congestion control: RFC 5681's slow start, congestion avoidance, fast retransmit and
 * fast recovery, with RFC 6582's response to partial acknowledgments, in bytes.
 *
 * <ul>
 *   <li>Initial window: RFC 6928's {@code min(10·MSS, max(2·MSS, 14600))} — 10 segments at a
 *       1460-byte MSS, as Linux — rather than RFC 5681's 2–4 segments: request/response traffic
 *       finishes in fewer round trips, and the peers here are Linux hosts that do the same.
 *   <li>Initial ssthresh: arbitrarily high (RFC 5681 §3.1).
 *   <li>Slow start (cwnd &lt; ssthresh): appropriate byte counting (RFC 3465) with L = 2:
 *       {@code cwnd += min(N, 2·MSS)} per ACK acknowledging N bytes.
 *   <li>Congestion avoidance: bytes acknowledged are counted; each time they reach cwnd, cwnd
 *       grows by one MSS (RFC 5681 §3.1's byte counting variant, RFC 3465).
 *   <li>Fast retransmit on the third duplicate ACK (RFC 5681 §3.2), only if the ACK covers more
 *       than {@code recover} (RFC 6582 §3.2 step 2): ssthresh = max(FlightSize/2, 2·MSS),
 *       recover = highest sequence sent (SND.NXT − 1), cwnd = ssthresh + 3·MSS; each further
 *       duplicate inflates cwnd by one MSS.
 *   <li>Partial ACK (RFC 6582 §3.2 step 3): retransmit the first unacknowledged segment, deflate
 *       cwnd by the bytes acknowledged and add back one MSS if at least one MSS was acknowledged;
 *       restart the timer on the first partial ACK only (the "Impatient" variant).
 *   <li>Full ACK (above recover): cwnd = min(ssthresh, max(FlightSize, MSS) + MSS) (option 1,
 *       avoiding a burst), recovery ends.
 *   <li>Timeout (RFC 5681 §3.1, eq. 4): ssthresh = max(FlightSize/2, 2·MSS) (held on repeated
 *       timeouts), cwnd = LW = 1 MSS, recover = SND.NXT − 1 (RFC 6582 §3.2 step 4), recovery
 *       abandoned.
 *   <li>SACK recovery (RFC 6675 §5): {@link #enterSackRecovery} sets ssthresh as above and
 *       cwnd = ssthresh; during it cwnd is left alone (pipe governs sending) until an ACK passes
 *       recover.
 * </ul>
 */
public final class NewReno implements CongestionControl {

    private static final int CWND_LIMIT = 1 << 30;

    private int mss = 536;
    private int cwnd;
    private int ssthresh;
    private int recover;
    private int dupAcks;
    private int acked; // congestion avoidance byte counter
    private boolean inRecovery;
    private boolean sackRecovery;
    private boolean firstPartialAck;

    /** Congestion control for a connection; call {@link #reset} when it starts. */
    public NewReno() {
        reset(536, 0);
    }

    /** RFC 6928's initial window for {@code mss}. */
    public static int initialWindow(int mss) {
        return Math.min(10 * mss, Math.max(2 * mss, 14_600));
    }

    @Override
    public void reset(int mss, int iss) {
        if (mss <= 0) {
            throw new IllegalArgumentException("MSS " + mss);
        }
        this.mss = mss;
        cwnd = initialWindow(mss);
        ssthresh = Integer.MAX_VALUE;
        recover = iss;
        dupAcks = 0;
        acked = 0;
        inRecovery = false;
        sackRecovery = false;
        firstPartialAck = false;
    }

    @Override
    public int cwnd() {
        return cwnd;
    }

    @Override
    public int ssthresh() {
        return ssthresh;
    }

    @Override
    public boolean inRecovery() {
        return inRecovery;
    }

    /** Whether the recovery in progress is SACK-based. */
    public boolean inSackRecovery() {
        return inRecovery && sackRecovery;
    }

    /** The recover variable: the highest sequence number sent when the last recovery or timeout began. */
    public int recover() {
        return recover;
    }

    /** Duplicate ACKs counted since the last ACK of new data. */
    public int dupAcks() {
        return dupAcks;
    }

    /** The sender MSS. */
    public int mss() {
        return mss;
    }

    @Override
    public int onAck(int ack, int bytesAcked, int flightSize, int sndNxt) {
        dupAcks = 0;
        if (bytesAcked <= 0) {
            return NONE;
        }
        if (inRecovery) {
            if (Seq.gt(ack, recover)) {
                // full acknowledgment: leave recovery
                if (sackRecovery) {
                    cwnd = ssthresh;
                } else {
                    cwnd = (int) Math.min(ssthresh, (long) Math.max(flightSize, mss) + mss);
                }
                inRecovery = false;
                sackRecovery = false;
                acked = 0;
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
            int actions = RETRANSMIT;
            if (firstPartialAck) {
                actions |= RESTART_TIMER;
                firstPartialAck = false;
            }
            return actions;
        }
        if (cwnd < ssthresh) {
            cwnd = Math.min(cwnd + Math.min(bytesAcked, 2 * mss), CWND_LIMIT);
        } else {
            acked += bytesAcked;
            if (acked >= cwnd) {
                acked -= cwnd;
                cwnd = Math.min(cwnd + mss, CWND_LIMIT);
            }
        }
        return NONE;
    }

    @Override
    public int onDupAck(int ack, int flightSize, int sndNxt) {
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
        enter(flightSize, sndNxt);
        cwnd = ssthresh + 3 * mss;
        return RETRANSMIT;
    }

    @Override
    public int enterSackRecovery(int ack, int flightSize, int sndNxt) {
        if (inRecovery || !Seq.gt(ack, recover)) {
            return NONE;
        }
        enter(flightSize, sndNxt);
        sackRecovery = true;
        cwnd = ssthresh;
        return RETRANSMIT;
    }

    private void enter(int flightSize, int sndNxt) {
        ssthresh = Math.max(flightSize / 2, 2 * mss);
        recover = sndNxt - 1;
        inRecovery = true;
        sackRecovery = false;
        firstPartialAck = true;
        acked = 0;
    }

    @Override
    public void onTimeout(int flightSize, int sndNxt, boolean repeated) {
        if (!repeated) {
            ssthresh = Math.max(flightSize / 2, 2 * mss);
        }
        cwnd = mss;
        recover = sndNxt - 1;
        inRecovery = false;
        sackRecovery = false;
        dupAcks = 0;
        acked = 0;
    }

    @Override
    public void restartAfterIdle() {
        cwnd = Math.min(cwnd, initialWindow(mss));
    }
}
