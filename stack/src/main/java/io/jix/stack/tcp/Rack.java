package io.jix.stack.tcp;

/**
 * RACK-TLP loss detection (RFC 8985) for one SACK connection: a record per transmitted segment
 * (sequence range, last transmission time, SACKed / lost / retransmitted marks), the RACK state
 * ({@code xmit_ts}, {@code end_seq}, {@code rtt}, {@code reo_wnd} with its DSACK adaptation) and
 * the tail loss probe's state.
 *
 * <p>A segment is lost when a segment sent after it was delivered (cumulatively or selectively
 * acknowledged) and more than {@code RACK.rtt + reo_wnd} has passed since it was sent (§6.2). A
 * retransmission refreshes the record's time, so a lost retransmission is detected the same way,
 * without waiting for a retransmission timeout. The caller ({@link TcpLayer}) retransmits what is
 * marked lost, arms the reorder timer {@link #detectLoss} asks for and the probe timeout.
 *
 * <p>Records are held sorted by sequence in a preallocated ring covering [SND.UNA, SND.MAX);
 * when it is full a new segment is merged into the last record (coarser, never wrong: a merged
 * record is retransmitted whole). Allocation-free; one instance per connection, one thread.
 */
final class Rack {

    static final byte SACKED = 1;
    static final byte LOST = 2;
    static final byte RETRANSMITTED = 4;
    static final byte FIN = 8;

    /** RFC 8985's WCDelAckT: the worst-case delayed-ACK time added to the PTO of a single segment in flight. */
    static final long WORST_CASE_DELAYED_ACK = 200_000_000L;
    private static final int DUP_THRESH = 3;
    private static final int REO_WND_PERSIST = 16;

    private final int[] start;
    private final int[] end;
    private final long[] xmit;
    private final byte[] flags;
    private int head;
    private int count;

    private long sackedBytes;
    private long lostBytes;
    private int sackedSegments;
    private int newlyLost;

    // RACK (RFC 8985 §6.1)
    private boolean delivered; // RACK.xmit_ts and RACK.end_seq are set
    private long xmitTs;
    private int endSeq;
    private long rtt;
    private long minRtt = Long.MAX_VALUE;
    private int fack;          // one past the highest delivered octet
    private boolean reorderingSeen;
    private int reoWndMult = 1;
    private int reoWndPersist;
    private boolean dsackRoundOpen;
    private int dsackRound;

    // TLP (RFC 8985 §7.1)
    private boolean probeOut;  // TLP.end_seq is set
    private int probeEnd;
    private boolean probeRetransmitted;

    /** At most {@code capacity} segment records. */
    Rack(int capacity) {
        start = new int[capacity];
        end = new int[capacity];
        xmit = new long[capacity];
        flags = new byte[capacity];
    }

    /** New connection. */
    void reset(int sndUna) {
        head = 0;
        count = 0;
        sackedBytes = 0;
        lostBytes = 0;
        sackedSegments = 0;
        delivered = false;
        xmitTs = 0;
        endSeq = sndUna;
        rtt = 0;
        minRtt = Long.MAX_VALUE;
        fack = sndUna;
        reorderingSeen = false;
        reoWndMult = 1;
        reoWndPersist = 0;
        dsackRoundOpen = false;
        probeOut = false;
    }

    private int at(int k) {
        int i = head + k;
        return i >= start.length ? i - start.length : i;
    }

    // ------------------------------------------------------------------ transmissions

    /**
     * Segment {@code [seq, seq + length)} (a FIN included in {@code length} when {@code fin}) was
     * sent at {@code now}: new data is appended; a range already recorded is a retransmission.
     */
    void sent(int seq, int length, boolean fin, long now) {
        if (length <= 0) {
            return;
        }
        int last = count == 0 ? seq : end[at(count - 1)];
        if (count == 0 || Seq.geq(seq, last)) {
            if (count == start.length) {
                int i = at(count - 1); // full: the new segment joins the last record
                end[i] = seq + length;
                xmit[i] = now;
                flags[i] = (byte) ((flags[i] & ~(FIN | RETRANSMITTED)) | (fin ? FIN : 0));
                return;
            }
            int i = at(count++);
            start[i] = seq;
            end[i] = seq + length;
            xmit[i] = now;
            flags[i] = fin ? FIN : 0;
            return;
        }
        int k = find(seq);
        if (k < 0) {
            return;
        }
        split(k, seq);
        k = find(seq);
        int stop = seq + length;
        while (k < count && Seq.lt(start[at(k)], stop)) {
            split(k, stop);
            int i = at(k);
            if ((flags[i] & LOST) != 0) {
                lostBytes -= end[i] - start[i];
            }
            if ((flags[i] & SACKED) != 0) { // only after an RTO suspected reneging; sent again, so in flight
                sackedBytes -= end[i] - start[i];
                sackedSegments--;
            }
            flags[i] = (byte) ((flags[i] & FIN) | RETRANSMITTED);
            xmit[i] = now;
            k++;
        }
    }

    /** Index (from the head) of the record holding octet {@code seq}, or -1. */
    private int find(int seq) {
        int lo = 0;
        int hi = count - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int i = at(mid);
            if (Seq.lt(seq, start[i])) {
                hi = mid - 1;
            } else if (Seq.geq(seq, end[i])) {
                lo = mid + 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /** Splits the record at index {@code k} in two at {@code seq} when {@code seq} falls strictly inside it. */
    private void split(int k, int seq) {
        int i = at(k);
        if (!Seq.gt(seq, start[i]) || !Seq.lt(seq, end[i]) || count == start.length) {
            return;
        }
        for (int m = count; m > k + 1; m--) {
            int to = at(m);
            int from = at(m - 1);
            start[to] = start[from];
            end[to] = end[from];
            xmit[to] = xmit[from];
            flags[to] = flags[from];
        }
        count++;
        int j = at(k + 1);
        start[j] = seq;
        end[j] = end[i];
        xmit[j] = xmit[i];
        flags[j] = flags[i];
        end[i] = seq;
        flags[i] &= (byte) ~FIN;
        if ((flags[i] & SACKED) != 0) {
            sackedSegments++;
        }
    }

    // ------------------------------------------------------------------ acknowledgments

    /** The cumulative ACK reached {@code sndUna}: records below it are delivered and dropped. */
    void acked(int sndUna, long now) {
        while (count > 0) {
            int i = head;
            if (Seq.leq(end[i], sndUna)) {
                int len = end[i] - start[i];
                if ((flags[i] & SACKED) != 0) {
                    sackedBytes -= len;
                    sackedSegments--;
                } else {
                    if ((flags[i] & LOST) != 0) {
                        lostBytes -= len;
                    }
                    deliver(i, now);
                }
                head = head + 1 == start.length ? 0 : head + 1;
                count--;
            } else {
                if (Seq.gt(sndUna, start[i])) {
                    int cut = sndUna - start[i];
                    if ((flags[i] & SACKED) != 0) {
                        sackedBytes -= cut;
                    } else if ((flags[i] & LOST) != 0) {
                        lostBytes -= cut;
                    }
                    start[i] = sndUna;
                }
                break;
            }
        }
        if (Seq.lt(fack, sndUna)) {
            fack = sndUna;
        }
    }

    /** A SACK block {@code [left, right)}: the records wholly inside it are delivered. */
    void sacked(int left, int right, long now) {
        if (count == 0 || !Seq.lt(left, right)) {
            return;
        }
        int k = find(left);
        if (k < 0) {
            if (!Seq.lt(left, start[head])) {
                return; // beyond everything outstanding
            }
            k = 0;
        }
        for (; k < count; k++) {
            int i = at(k);
            if (Seq.gt(end[i], right)) {
                break;
            }
            if (Seq.lt(start[i], left) || (flags[i] & SACKED) != 0) {
                continue;
            }
            int len = end[i] - start[i];
            if ((flags[i] & LOST) != 0) {
                lostBytes -= len;
            }
            flags[i] = (byte) ((flags[i] & ~LOST) | SACKED);
            sackedBytes += len;
            sackedSegments++;
            deliver(i, now);
        }
    }

    /** RFC 8985 §6.2 steps 2 and 3: the segment of record {@code i} was delivered. */
    private void deliver(int i, long now) {
        boolean retransmitted = (flags[i] & RETRANSMITTED) != 0;
        long sample = now - xmit[i];
        if (!retransmitted && Seq.lt(end[i], fack)) {
            reorderingSeen = true; // delivered below what was delivered before it, never sent again
        }
        if (Seq.gt(end[i], fack)) {
            fack = end[i];
        }
        if (retransmitted && sample < minRtt) {
            return; // may be the original's delivery: no RTT from it (the Karn problem)
        }
        if (!retransmitted) {
            minRtt = Math.min(minRtt, sample);
        }
        if (!delivered || sentAfter(xmit[i], end[i], xmitTs, endSeq)) {
            delivered = true;
            xmitTs = xmit[i];
            endSeq = end[i];
            rtt = sample;
        }
    }

    private static boolean sentAfter(long t1, int seq1, long t2, int seq2) {
        return t1 > t2 || (t1 == t2 && Seq.gt(seq1, seq2));
    }

    /** An RTT measured elsewhere (the handshake) also bounds min_RTT. */
    void rttSample(long nanos) {
        if (nanos >= 0) {
            minRtt = Math.min(minRtt, nanos);
        }
    }

    /**
     * RFC 8985 §6.2 step 4 for an ACK that carried a D-SACK block ({@code dsack}): the reorder
     * window grows by min_RTT/4 once per round trip with D-SACKs, and is kept for 16 recoveries.
     */
    void updateReoWnd(boolean dsack, int sndUna, int sndNxt) {
        if (dsackRoundOpen && Seq.geq(sndUna, dsackRound)) {
            dsackRoundOpen = false;
        }
        if (!dsackRoundOpen && dsack) {
            dsackRoundOpen = true;
            dsackRound = sndNxt;
            reoWndMult++;
            reoWndPersist = REO_WND_PERSIST;
        }
    }

    /** A fast or RTO recovery ended (§6.2 step 4). */
    void recoveryEnded() {
        if (--reoWndPersist <= 0) {
            reoWndMult = 1;
        }
    }

    /** RACK.reo_wnd: 0 in recovery or with DupThresh segments SACKed unless reordering was seen, else min_RTT/4 · mult. */
    long reoWnd(boolean inRecovery, long srtt) {
        if (!reorderingSeen && (inRecovery || sackedSegments >= DUP_THRESH)) {
            return 0;
        }
        if (minRtt == Long.MAX_VALUE) {
            return 0;
        }
        long w = minRtt / 4 * reoWndMult;
        return srtt > 0 ? Math.min(w, srtt) : w;
    }

    /**
     * RFC 8985 §6.2 step 5: marks lost every outstanding segment sent before the most recently
     * delivered one and longer than RACK.rtt + {@code reoWnd} ago.
     *
     * @return the nanoseconds until the next segment would be lost (the reorder timer), 0 when none
     */
    long detectLoss(long now, long reoWnd) {
        if (!delivered) {
            return 0;
        }
        long timeout = 0;
        for (int k = 0; k < count; k++) {
            int i = at(k);
            if ((flags[i] & (SACKED | LOST)) != 0 || !sentAfter(xmitTs, endSeq, xmit[i], end[i])) {
                continue;
            }
            long remaining = xmit[i] + rtt + reoWnd - now;
            if (remaining <= 0) {
                markLost(i);
            } else {
                timeout = Math.max(timeout, remaining);
            }
        }
        return timeout;
    }

    private boolean markLost(int i) {
        if ((flags[i] & LOST) != 0) {
            return false;
        }
        if ((flags[i] & SACKED) != 0) {
            sackedBytes -= end[i] - start[i];
            sackedSegments--;
        }
        flags[i] = (byte) ((flags[i] & ~SACKED) | LOST);
        lostBytes += end[i] - start[i];
        newlyLost++;
        return true;
    }

    /** Segments marked lost since the last call, and resets the count. */
    int takeNewlyLost() {
        int n = newlyLost;
        newlyLost = 0;
        return n;
    }

    /**
     * RFC 8985 §6.3, a retransmission timeout: the first outstanding segment is lost (even if
     * SACKed: the receiver may have reneged), and every other one sent at least RACK.rtt +
     * reo_wnd ago; after a repeated timeout, everything outstanding.
     */
    void timeout(long now, long reoWnd, boolean repeated) {
        probeOut = false;
        for (int k = 0; k < count; k++) {
            int i = at(k);
            if (k == 0 || repeated || ((flags[i] & SACKED) == 0 && now - xmit[i] >= rtt + reoWnd)) {
                markLost(i);
            }
        }
        newlyLost = 0;
    }

    // ------------------------------------------------------------------ what to send

    /** Outstanding octets not SACKed and not lost: what RFC 6675 calls pipe. */
    long pipe(int sndUna, int sndMax) {
        return (long) (sndMax - sndUna) - sackedBytes - lostBytes;
    }

    /** Whether some segment is marked lost and not yet sent again. */
    boolean hasLost() {
        return lostBytes > 0;
    }

    /** Whether any outstanding segment is SACKed. */
    boolean hasSacked() {
        return sackedSegments > 0;
    }

    /** Index (from the head) of the first segment marked lost, or -1. */
    int firstLost() {
        if (lostBytes <= 0) {
            return -1;
        }
        for (int k = 0; k < count; k++) {
            if ((flags[at(k)] & LOST) != 0) {
                return k;
            }
        }
        return -1;
    }

    int start(int k) {
        return start[at(k)];
    }

    int end(int k) {
        return end[at(k)];
    }

    boolean fin(int k) {
        return (flags[at(k)] & FIN) != 0;
    }

    /** Records held (tests). */
    int records() {
        return count;
    }

    /** Index (from the head) of the last record, or -1. */
    int last() {
        return count - 1;
    }

    // ------------------------------------------------------------------ tail loss probe

    /** Whether a probe was sent whose outcome is not known yet (TLP.end_seq is set). */
    boolean probeOut() {
        return probeOut;
    }

    /** A probe went out; SND.MAX is now {@code sndMax}. */
    void probeSent(int sndMax, boolean retransmission) {
        probeOut = true;
        probeEnd = sndMax;
        probeRetransmitted = retransmission;
    }

    /**
     * RFC 8985 §7.4.2 for an ACK of {@code ack}: whether the probe repaired a tail loss, so that
     * congestion control must respond (a retransmitted probe acknowledged without a D-SACK, the
     * ACK beyond it); a new-data probe's losses are RACK's to find.
     */
    boolean probeRepairedLoss(int ack, boolean dsack) {
        if (!probeOut || Seq.lt(ack, probeEnd)) {
            return false;
        }
        probeOut = false;
        return probeRetransmitted && !dsack && Seq.gt(ack, probeEnd);
    }
}
