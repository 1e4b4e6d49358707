package io.jix.stack.tcp;

/**
 * A sender's congestion control (RFC 5681), in bytes, driven by the state machine's ACK and
 * timer events. {@link NewReno} and {@link Cubic} (RFC 9438) implement it through
 * {@link LossRecovery}, which holds their shared recovery rules. One instance per connection, used
 * from its elastic thread only.
 *
 * <p>Event methods return a bit set of actions for the state machine: {@link #RETRANSMIT} the
 * segment starting at SND.UNA now, and/or {@link #RESTART_TIMER} the retransmission timer. The
 * state machine then sends new data while {@code flightSize < cwnd()} (or, during SACK recovery,
 * per RFC 6675's pipe rules) and the peer's window allows it.
 */
public interface CongestionControl {

    /** No action. */
    int NONE = 0;
    /** Retransmit the first unacknowledged segment now. */
    int RETRANSMIT = 1;
    /** Restart the retransmission timer. */
    int RESTART_TIMER = 2;

    /** Starts a connection: sender MSS {@code mss}, initial send sequence number {@code iss}. */
    void reset(int mss, int iss);

    /** The congestion window in bytes. */
    int cwnd();

    /** The slow start threshold in bytes. */
    int ssthresh();

    /** Whether a fast recovery (NewReno or SACK-based) is in progress. */
    boolean inRecovery();

    /**
     * An acceptable ACK advanced SND.UNA to {@code ack}, acknowledging {@code bytesAcked} new
     * bytes; {@code flightSize} is what stays outstanding after it; {@code sndNxt} is SND.NXT.
     */
    int onAck(int ack, int bytesAcked, int flightSize, int sndNxt);

    /**
     * A duplicate ACK (RFC 5681 §2's definition: outstanding data, no data, no SYN/FIN, ACK equal
     * to SND.UNA, same window — and, with SACK, the state machine may count SACK-carrying ACKs
     * too).
     */
    int onDupAck(int ack, int flightSize, int sndNxt);

    /**
     * Loss detected by the SACK scoreboard (RFC 6675 §5): enters SACK-based recovery, where the
     * state machine sends per pipe() and NextSeg() instead of NewReno's window inflation.
     *
     * @return the actions; {@link #NONE} if a recovery is already in progress or the ACK does
     *     not pass {@code recover} (RFC 6582 §3.2 step 2 / RFC 6675 §5)
     */
    int enterSackRecovery(int ack, int flightSize, int sndNxt);

    /**
     * The retransmission timer expired (RFC 5681 §3.1). {@code repeated} when the segment being
     * retransmitted had already been retransmitted by a timeout, in which case ssthresh is held.
     */
    void onTimeout(int flightSize, int sndNxt, boolean repeated);

    /** The connection was idle longer than an RTO (RFC 5681 §4.1): cwnd restarts from min(IW, cwnd). */
    void restartAfterIdle();
}
