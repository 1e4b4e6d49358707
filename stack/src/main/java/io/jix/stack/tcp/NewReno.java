package io.jix.stack.tcp;

/**
 * NewReno congestion control: RFC 5681's slow start, congestion avoidance, fast retransmit and
 * fast recovery, with RFC 6582's response to partial acknowledgments, in bytes. The recovery
 * rules, initial window and slow start are {@link LossRecovery}'s; NewReno adds:
 *
 * <ul>
 *   <li>Initial window: RFC 6928's {@code min(10·MSS, max(2·MSS, 14600))} — 10 segments at a
 *       1460-byte MSS, as Linux — rather than RFC 5681's 2–4 segments: request/response traffic
 *       finishes in fewer round trips, and the peers here are Linux hosts that do the same.
 *   <li>Congestion avoidance: bytes acknowledged are counted; each time they reach cwnd, cwnd
 *       grows by one MSS (RFC 5681 §3.1's byte counting variant, RFC 3465). The count starts
 *       over at each loss, timeout and recovery.
 *   <li>Loss and first timeout (RFC 5681 eq. 4): ssthresh = max(FlightSize/2, 2·MSS).
 * </ul>
 */
public final class NewReno extends LossRecovery {

    private int acked; // congestion avoidance byte counter

    /** Congestion control for a connection; call {@link #reset} when it starts. */
    public NewReno() {
        reset(536, 0);
    }

    @Override
    int reducedSsthresh(int flightSize) {
        return Math.max(flightSize / 2, 2 * mss());
    }

    @Override
    void congestionAvoidance(int bytesAcked) {
        acked += bytesAcked;
        int w = cwnd();
        if (acked >= w) {
            acked -= w;
            cwnd((long) w + mss());
        }
    }

    @Override
    void onCongestionEvent() {
        acked = 0;
    }

    @Override
    void onRetransmissionTimeout(boolean repeated) {
        acked = 0;
    }

    @Override
    void onIdleRestart() {
    }

    @Override
    void onReset() {
        acked = 0;
    }
}
