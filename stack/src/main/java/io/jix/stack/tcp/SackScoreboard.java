package io.jix.stack.tcp;

/**
 * The sender's record of which sequence ranges the peer has selectively acknowledged (RFC 2018)
 * and the RFC 6675 §4 routines built on it: {@link #isLost}, {@link #pipe} and
 * {@link #nextSeg}. Ranges are held sorted and disjoint in preallocated arrays, at most
 * {@code capacity}; when a new range would exceed that, the highest range is forgotten (counted
 * in {@link #overflows()}), which is safe: forgotten data merely counts as not SACKed and may be
 * retransmitted needlessly.
 *
 * <p>SACK information is advisory (RFC 2018 §8, reneging): the scoreboard never lets it replace
 * the cumulative ACK — {@link #update} first prunes everything below SND.UNA, SACK blocks
 * outside {@code [SND.UNA, SND.NXT]} (including D-SACK blocks, RFC 2883) are ignored, and a
 * retransmission timeout should {@link #clear} it (RFC 6675 §5.1).
 *
 * <p>Sequence conventions: a range is {@code [left, right)}; {@code rxtNxt} is one past the
 * highest octet retransmitted during the current recovery (RFC 6675's HighRxt + 1), equal to
 * SND.UNA when nothing was retransmitted. DupThresh is 3 (RFC 6675 §2).
 */
public final class SackScoreboard {

    /** RFC 6675's DupThresh. */
    public static final int DUP_THRESH = 3;

    /** {@link #nextSeg} found nothing to send. */
    public static final int NOTHING = 0;
    /** {@link #nextSeg}: retransmit {@link #nextSeq()}, {@link #nextLength()} bytes (rule 1 or 3). */
    public static final int RETRANSMIT = 1;
    /** {@link #nextSeg}: send new data from SND.NXT (rule 2). */
    public static final int NEW_DATA = 2;

    private final int capacity;
    private final int[] left;
    private final int[] right;
    private int count;
    private int mss;
    private long overflows;
    private int nextSeq;
    private int nextLength;

    /** A scoreboard holding at most {@code capacity} disjoint ranges, for a sender of MSS {@code mss}. */
    public SackScoreboard(int capacity, int mss) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity);
        }
        this.capacity = capacity;
        this.left = new int[capacity + 1];
        this.right = new int[capacity + 1];
        mss(mss);
    }

    /** Sets the sender MSS (SMSS). */
    public void mss(int mss) {
        if (mss <= 0) {
            throw new IllegalArgumentException("MSS " + mss);
        }
        this.mss = mss;
    }

    /** Forgets every range (new connection, or a retransmission timeout, RFC 6675 §5.1). */
    public void clear() {
        count = 0;
    }

    /** Number of disjoint SACKed ranges held. */
    public int ranges() {
        return count;
    }

    public int rangeLeft(int i) {
        check(i);
        return left[i];
    }

    public int rangeRight(int i) {
        check(i);
        return right[i];
    }

    /** Ranges forgotten because the scoreboard was full. */
    public long overflows() {
        return overflows;
    }

    private void check(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("range " + i + " of " + count);
        }
    }

    /** Drops what the cumulative ACK {@code sndUna} covers. */
    public void prune(int sndUna) {
        int drop = 0;
        while (drop < count && Seq.leq(right[drop], sndUna)) {
            drop++;
        }
        if (drop > 0) {
            System.arraycopy(left, drop, left, 0, count - drop);
            System.arraycopy(right, drop, right, 0, count - drop);
            count -= drop;
        }
        if (count > 0 && Seq.lt(left[0], sndUna)) {
            left[0] = sndUna;
        }
    }

    /**
     * Takes the SACK blocks of an ACK (as parsed into {@code options}) with cumulative point
     * {@code sndUna}, for a sender whose SND.NXT is {@code sndNxt}.
     *
     * @return the number of octets newly SACKed by this ACK
     */
    public long update(TcpOptions options, int sndUna, int sndNxt) {
        prune(sndUna);
        long added = 0;
        for (int i = 0; i < options.sackCount(); i++) {
            added += add(options.sackLeft(i), options.sackRight(i), sndUna, sndNxt);
        }
        return added;
    }

    /** As {@link #update(TcpOptions, int, int)}, with the blocks in arrays. */
    public long update(int[] blockLeft, int[] blockRight, int blocks, int sndUna, int sndNxt) {
        prune(sndUna);
        long added = 0;
        for (int i = 0; i < blocks; i++) {
            added += add(blockLeft[i], blockRight[i], sndUna, sndNxt);
        }
        return added;
    }

    private long add(int l, int r, int sndUna, int sndNxt) {
        // ignore blocks that are empty, inverted, or not within [SND.UNA, SND.NXT]
        if (!Seq.lt(l, r) || !Seq.inClosed(sndUna, l, sndNxt) || !Seq.inClosed(sndUna, r, sndNxt)) {
            return 0;
        }
        int i = 0;
        while (i < count && Seq.lt(right[i], l)) {
            i++;
        }
        int j = i;
        int nl = l;
        int nr = r;
        long covered = 0;
        while (j < count && Seq.leq(left[j], r)) {
            nl = Seq.min(nl, left[j]);
            nr = Seq.max(nr, right[j]);
            covered += right[j] - left[j];
            j++;
        }
        int merged = j - i;
        if (merged == 0) {
            System.arraycopy(left, i, left, i + 1, count - i);
            System.arraycopy(right, i, right, i + 1, count - i);
            count++;
        } else if (merged > 1) {
            System.arraycopy(left, j, left, i + 1, count - j);
            System.arraycopy(right, j, right, i + 1, count - j);
            count -= merged - 1;
        }
        left[i] = nl;
        right[i] = nr;
        long added = (long) (nr - nl) - covered;
        if (count > capacity) {
            count = capacity;
            overflows++;
            if (i == capacity) {
                return 0; // the new range itself was the one forgotten
            }
        }
        return added;
    }

    /** Whether octet {@code seq} was SACKed. */
    public boolean isSacked(int seq) {
        for (int i = 0; i < count; i++) {
            if (Seq.lt(seq, left[i])) {
                return false;
            }
            if (Seq.lt(seq, right[i])) {
                return true;
            }
        }
        return false;
    }

    /** One past the highest SACKed octet, or {@code sndUna} when nothing is SACKed. */
    public int highestSacked(int sndUna) {
        return count == 0 ? sndUna : right[count - 1];
    }

    /**
     * RFC 6675 IsLost(SeqNum): true when at least DupThresh discontiguous SACKed ranges lie above
     * {@code seq}, or more than (DupThresh − 1) · SMSS octets above it were SACKed.
     */
    public boolean isLost(int seq) {
        int ranges = 0;
        long bytes = 0;
        for (int i = count - 1; i >= 0; i--) {
            if (Seq.leq(right[i], seq + 1)) {
                break;
            }
            if (Seq.gt(left[i], seq)) {
                ranges++;
                bytes += right[i] - left[i];
            } else {
                bytes += right[i] - (seq + 1);
            }
            if (ranges >= DUP_THRESH || bytes > (long) (DUP_THRESH - 1) * mss) {
                return true;
            }
        }
        return false;
    }

    /** IsLost for an octet of the hole just below range {@code above} (or above all ranges when {@code above == count}). */
    private boolean holeLost(int above) {
        int ranges = count - above;
        if (ranges >= DUP_THRESH) {
            return true;
        }
        long bytes = 0;
        for (int i = above; i < count; i++) {
            bytes += right[i] - left[i];
        }
        return bytes > (long) (DUP_THRESH - 1) * mss;
    }

    /**
     * RFC 6675 SetPipe(): the octets estimated in flight between {@code sndUna} and
     * {@code sndNxt} — every octet not SACKed counts once unless IsLost, and once more if it was
     * retransmitted (below {@code rxtNxt}).
     */
    public long pipe(int sndUna, int sndNxt, int rxtNxt) {
        long pipe = 0;
        int holeStart = sndUna;
        for (int i = 0; i <= count; i++) {
            int holeEnd = i < count ? Seq.min(left[i], sndNxt) : sndNxt;
            if (Seq.lt(holeStart, holeEnd)) {
                long len = holeEnd - holeStart;
                if (!holeLost(i)) {
                    pipe += len;
                }
                if (Seq.lt(holeStart, rxtNxt)) {
                    pipe += Seq.min(holeEnd, rxtNxt) - holeStart;
                }
            }
            if (i < count) {
                holeStart = Seq.max(holeStart, right[i]);
            }
        }
        return pipe;
    }

    /**
     * RFC 6675 §4 NextSeg(): (1) the first lost octet not yet retransmitted ({@code >= rxtNxt})
     * below the highest SACKed octet; else (2) new data if {@code newDataAvailable} (the caller
     * knows the send buffer and the peer's window); else (3) the first unSACKed octet not yet
     * retransmitted below the highest SACKed octet, even if not deemed lost. Rule (4), the
     * rescue retransmission, is {@link #rescue}: its once-per-recovery condition is the caller's.
     * The segment is at most one MSS and stops at the end of its hole; read it from
     * {@link #nextSeq()} and {@link #nextLength()}.
     *
     * @return {@link #RETRANSMIT}, {@link #NEW_DATA} or {@link #NOTHING}
     */
    public int nextSeg(int sndUna, int sndNxt, int rxtNxt, boolean newDataAvailable) {
        int from = Seq.max(sndUna, rxtNxt);
        int kind = firstHole(sndUna, from, true);
        if (kind == RETRANSMIT) {
            return RETRANSMIT;
        }
        if (newDataAvailable) {
            nextSeq = sndNxt;
            nextLength = mss;
            return NEW_DATA;
        }
        return firstHole(sndUna, from, false);
    }

    /**
     * RFC 6675 §4 NextSeg() rule (4), the rescue retransmission: the segment of up to one MSS
     * that ends with the highest outstanding unSACKed octet (below {@code sndNxt}), starting no
     * lower than its hole. For when rules (1)–(3) found nothing: typically a loss at the end of
     * the window with no new data to send, which no later SACK could reveal. Read the segment
     * from {@link #nextSeq()} and {@link #nextLength()}.
     *
     * @return false when every outstanding octet was SACKed (or nothing is outstanding)
     */
    public boolean rescue(int sndUna, int sndNxt) {
        int end = sndNxt;
        int below = count - 1; // the highest range below the hole
        if (count > 0 && Seq.geq(right[count - 1], sndNxt)) {
            end = left[count - 1];
            below = count - 2;
        }
        if (!Seq.lt(sndUna, end)) {
            return false;
        }
        int holeStart = below >= 0 ? Seq.max(right[below], sndUna) : sndUna;
        nextSeq = Seq.max(end - mss, holeStart);
        nextLength = end - nextSeq;
        return true;
    }

    private int firstHole(int sndUna, int from, boolean lostOnly) {
        int holeStart = sndUna;
        for (int i = 0; i < count; i++) {
            int holeEnd = left[i];
            int s = Seq.max(holeStart, from);
            if (Seq.lt(s, holeEnd) && (!lostOnly || holeLost(i))) {
                nextSeq = s;
                nextLength = Math.min(mss, holeEnd - s);
                return RETRANSMIT;
            }
            holeStart = Seq.max(holeStart, right[i]);
        }
        return NOTHING;
    }

    /** The first sequence number of the segment {@link #nextSeg} chose. */
    public int nextSeq() {
        return nextSeq;
    }

    /** Its length: at most one MSS (for new data, the caller also limits it by what it has). */
    public int nextLength() {
        return nextLength;
    }
}
