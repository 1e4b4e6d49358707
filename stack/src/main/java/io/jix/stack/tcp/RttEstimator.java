package io.jix.stack.tcp;

/**
 * The retransmission timeout of one connection (RFC 6298), in nanoseconds, like the
 * {@code TimerWheel}.
 *
 * <ul>
 *   <li>§2.1: before any sample, RTO = 1 s.
 *   <li>§2.2: first sample R: SRTT = R, RTTVAR = R/2.
 *   <li>§2.3: later samples R': RTTVAR = 3/4 RTTVAR + 1/4 |SRTT − R'| (with the old SRTT), then
 *       SRTT = 7/8 SRTT + 1/8 R' (α = 1/8, β = 1/4); RTO = SRTT + max(G, 4 RTTVAR), G the clock
 *       granularity (default 16 µs, the timer wheel's tick).
 *   <li>§2.4: RTO is clamped below by a minimum. The RFC asks for 1 s; like Linux
 *       ({@code TCP_RTO_MIN}) the default here is 200 ms, configurable — a latency-first
 *       dataplane inside a datacenter cannot wait a second for a lost tail segment. (Linux adds
 *       its 200 ms to SRTT rather than clamping; the RFC's clamp is used here.)
 *   <li>§2.5: RTO is clamped above; the RFC allows any maximum of at least 60 s, the default here
 *       is Linux's 120 s.
 *   <li>§5.5: each expiry doubles the RTO ({@link #onTimeout}), up to the maximum; the backed-off
 *       value stays until a new valid sample (Karn's algorithm, §3).
 *   <li>§3 Karn: no sample from a segment that was retransmitted ({@link #sampleSegment}) — except
 *       from timestamps, whose echo names the very transmission acknowledged (RFC 7323 §4.1,
 *       {@link #sampleTimestamp}).
 *   <li>§5.7: if a SYN timed out and no RTT was measured, the RTO is 3 s once data transfer
 *       begins ({@link #handshakeComplete}).
 * </ul>
 *
 * <p>RFC 7323 Appendix G's per-window scaling of α and β for timestamp samples (many samples per
 * RTT) is not applied: every sample counts as in RFC 6298, as Linux does.
 */
public final class RttEstimator {

    /** RFC 6298 §2.1's initial RTO: 1 s. */
    public static final long INITIAL_RTO_NANOS = 1_000_000_000L;
    /** RFC 6298 §5.7's RTO after a SYN timeout without an RTT sample: 3 s. */
    public static final long SYN_TIMEOUT_RTO_NANOS = 3_000_000_000L;
    /** Default lower bound: 200 ms, as Linux. */
    public static final long DEFAULT_MIN_RTO_NANOS = 200_000_000L;
    /** Default upper bound: 120 s, as Linux (RFC 6298 §2.5 requires at least 60 s). */
    public static final long DEFAULT_MAX_RTO_NANOS = 120_000_000_000L;
    /** Default clock granularity G: 16 µs, the timer wheel's tick. */
    public static final long DEFAULT_GRANULARITY_NANOS = 16_000L;
    /** Default timestamp clock: 1 ms per tick (RFC 7323 §5.4 allows 1 ms to 1 s). */
    public static final long DEFAULT_TS_TICK_NANOS = 1_000_000L;

    private final long minRto;
    private final long maxRto;
    private final long granularity;
    private final long tsTick;

    private boolean hasSample;
    private long srtt;
    private long rttvar;
    private long baseRto = INITIAL_RTO_NANOS;
    private int backoffs;

    /** Linux-like defaults: min 200 ms, max 120 s, G 16 µs, timestamps in ms. */
    public RttEstimator() {
        this(DEFAULT_MIN_RTO_NANOS, DEFAULT_MAX_RTO_NANOS, DEFAULT_GRANULARITY_NANOS, DEFAULT_TS_TICK_NANOS);
    }

    /**
     * @param minRtoNanos lower bound of the RTO (RFC 6298 §2.4)
     * @param maxRtoNanos upper bound, at least 60 s (RFC 6298 §2.5)
     * @param granularityNanos the clock granularity G
     * @param tsTickNanos the length of one tick of the timestamps clock
     */
    public RttEstimator(long minRtoNanos, long maxRtoNanos, long granularityNanos, long tsTickNanos) {
        if (minRtoNanos <= 0 || maxRtoNanos < 60_000_000_000L || minRtoNanos > maxRtoNanos || granularityNanos <= 0
                || tsTickNanos <= 0) {
            throw new IllegalArgumentException("RTO bounds [" + minRtoNanos + ", " + maxRtoNanos + "] granularity "
                    + granularityNanos + " ts tick " + tsTickNanos);
        }
        this.minRto = minRtoNanos;
        this.maxRto = maxRtoNanos;
        this.granularity = granularityNanos;
        this.tsTick = tsTickNanos;
    }

    /** Forgets all samples and backoff (a new connection on a recycled slot). */
    public void reset() {
        hasSample = false;
        srtt = 0;
        rttvar = 0;
        baseRto = INITIAL_RTO_NANOS;
        backoffs = 0;
    }

    /** Takes an RTT measurement {@code rttNanos} (RFC 6298 §2.2–2.3); clears the backoff. Negative values are ignored. */
    public void sample(long rttNanos) {
        if (rttNanos < 0) {
            return;
        }
        if (!hasSample) {
            srtt = rttNanos;
            rttvar = rttNanos / 2;
            hasSample = true;
        } else {
            rttvar = (3 * rttvar + Math.abs(srtt - rttNanos)) / 4;
            srtt = (7 * srtt + rttNanos) / 8;
        }
        baseRto = clamp(srtt + Math.max(granularity, 4 * rttvar));
        backoffs = 0;
    }

    /**
     * Karn's rule (RFC 6298 §3): the RTT of a segment timed from its transmission counts only if
     * it was never retransmitted.
     *
     * @return whether the sample was taken
     */
    public boolean sampleSegment(long rttNanos, boolean retransmitted) {
        if (retransmitted || rttNanos < 0) {
            return false;
        }
        sample(rttNanos);
        return true;
    }

    /**
     * An RTT from the timestamps option (RFC 7323 §4.1): {@code tsNow} minus the TSecr of an
     * acceptable ACK that acknowledges new data, in ticks of the timestamp clock. Valid even for
     * retransmitted segments. A TSecr in the future (a broken or hostile peer) or one more than
     * the maximum RTO in the past is ignored.
     *
     * @return whether the sample was taken
     */
    public boolean sampleTimestamp(int tsNow, int tsEcr) {
        int ticks = tsNow - tsEcr;
        if (ticks < 0 || ticks * (double) tsTick > maxRto) {
            return false;
        }
        sample(ticks * tsTick);
        return true;
    }

    /** The retransmission timer expired (RFC 6298 §5.5): doubles the RTO, up to the maximum. */
    public void onTimeout() {
        if (backoffs < 62 && (baseRto << backoffs) < maxRto) {
            backoffs++;
        }
    }

    /**
     * The three-way handshake completed. If the SYN (or SYN-ACK) had to be retransmitted and no
     * RTT was measured, the RTO becomes 3 s (RFC 6298 §5.7); the handshake's backoff is cleared.
     */
    public void handshakeComplete(boolean synRetransmitted) {
        if (synRetransmitted && !hasSample) {
            baseRto = Math.min(Math.max(SYN_TIMEOUT_RTO_NANOS, minRto), maxRto);
        }
        backoffs = 0;
    }

    /** The current RTO, backoff included, within [min, max]. */
    public long rto() {
        long r = baseRto << backoffs;
        return r <= 0 || r > maxRto ? maxRto : r;
    }

    /** Whether any RTT was measured. */
    public boolean hasSample() {
        return hasSample;
    }

    /** SRTT (0 before the first sample). */
    public long srtt() {
        return srtt;
    }

    /** RTTVAR (0 before the first sample). */
    public long rttvar() {
        return rttvar;
    }

    /** Timeouts since the last valid sample. */
    public int backoffs() {
        return backoffs;
    }

    private long clamp(long rto) {
        return Math.min(Math.max(rto, minRto), maxRto);
    }
}
