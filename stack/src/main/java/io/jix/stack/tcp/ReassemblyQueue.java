package io.jix.stack.tcp;

/**
 * The receiver's bounded out-of-order queue: segments that arrived above RCV.NXT, held by frame
 * id until the hole below them fills (RFC 9293 §3.10.7.4: segments beyond RCV.NXT "may be held
 * for later processing"). Entries are kept sorted and disjoint in preallocated arrays; each frame
 * is referenced by at most one entry, so it is released exactly once.
 *
 * <p>Overlaps: an arriving segment entirely covered by queued data (one entry or several abutting
 * ones) is a duplicate and released at once; queued entries it covers entirely while also
 * bringing new octets are released and replaced by it; partial overlaps
 * are trimmed off the arriving segment (its head by advancing its data offset, its tail by
 * shortening it), so the data first received is kept where segments disagree.
 *
 * <p>Bounds: at most {@code maxSegments} entries and {@code maxBytes} queued octets; a segment
 * that would exceed either is dropped (released, counted in {@link #dropped()}) — the peer will
 * retransmit it. The receive window the state machine advertises should include this space.
 *
 * <p>SACK blocks (RFC 2018 §4): {@link #sackBlocks} reports the queued contiguous runs, the one
 * holding the most recently received segment first, then the runs of the segments received
 * before it, most recent first.
 */
public final class ReassemblyQueue {

    /** Takes back frames the queue no longer holds. */
    @FunctionalInterface
    public interface Releaser {
        void release(int frameId);
    }

    /** Receives in-order data; the frame becomes the consumer's. */
    @FunctionalInterface
    public interface Consumer {
        /** {@code length} octets starting at sequence {@code seq}, at {@code dataOffset} of frame {@code frameId}. */
        void accept(int frameId, int dataOffset, int seq, int length);
    }

    private static final int RECENT = 4;

    private final int maxSegments;
    private final long maxBytes;
    private final Releaser releaser;
    private final int[] seq;
    private final int[] len;
    private final int[] frame;
    private final int[] offset;
    private int count;
    private long bytes;
    private final int[] recent = new int[RECENT]; // sequence numbers of recently received segments, newest first
    private int recentCount;
    private long dropped;
    private long duplicates;

    /**
     * A queue of at most {@code maxSegments} segments and {@code maxBytes} octets, handing frames
     * it lets go of to {@code releaser}.
     */
    public ReassemblyQueue(int maxSegments, long maxBytes, Releaser releaser) {
        if (maxSegments < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("bounds " + maxSegments + " segments, " + maxBytes + " bytes");
        }
        this.maxSegments = maxSegments;
        this.maxBytes = maxBytes;
        this.releaser = releaser;
        this.seq = new int[maxSegments];
        this.len = new int[maxSegments];
        this.frame = new int[maxSegments];
        this.offset = new int[maxSegments];
    }

    /** Number of queued segments. */
    public int segments() {
        return count;
    }

    /** Queued octets. */
    public long bytes() {
        return bytes;
    }

    public boolean isEmpty() {
        return count == 0;
    }

    /** Segments dropped because a bound was reached. */
    public long dropped() {
        return dropped;
    }

    /** Segments (or queued entries) released because other data covered them. */
    public long duplicates() {
        return duplicates;
    }

    /** Sequence number of queued entry {@code i} (ascending). */
    public int entrySeq(int i) {
        check(i);
        return seq[i];
    }

    public int entryLength(int i) {
        check(i);
        return len[i];
    }

    public int entryFrame(int i) {
        check(i);
        return frame[i];
    }

    public int entryOffset(int i) {
        check(i);
        return offset[i];
    }

    private void check(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("entry " + i + " of " + count);
        }
    }

    /**
     * Queues the {@code length} octets starting at sequence {@code segSeq}, stored at
     * {@code dataOffset} of frame {@code frameId}. The caller has checked that they lie in the
     * receive window above RCV.NXT. The frame is now the queue's either way.
     *
     * @return whether any of it was queued
     */
    public boolean add(int segSeq, int length, int frameId, int dataOffset) {
        if (length <= 0) {
            releaser.release(frameId);
            return false;
        }
        int s = segSeq;
        int e = segSeq + length;
        int off = dataOffset;
        int i = 0;
        while (i < count && Seq.leq(seq[i] + len[i], s)) {
            i++;
        }
        if (i < count && Seq.leq(seq[i], s)) {
            int end = seq[i] + len[i];
            if (Seq.geq(end, e)) {
                duplicates++;
                noteRecent(segSeq);
                releaser.release(frameId);
                return false;
            }
            off += end - s;
            s = end;
            i++;
        }
        int j = i;
        long covered = 0;
        while (j < count && Seq.leq(seq[j] + len[j], e)) {
            covered += len[j];
            j++;
        }
        if (j < count && Seq.lt(seq[j], e)) {
            e = seq[j];
        }
        int newLength = e - s;
        if (newLength <= 0 || tiles(i, j, s, e)) {
            // covered by queued entries that abut each other
            duplicates++;
            noteRecent(segSeq);
            releaser.release(frameId);
            return false;
        }
        int newCount = count - (j - i) + 1;
        if (newCount > maxSegments || bytes - covered + newLength > maxBytes) {
            dropped++;
            releaser.release(frameId);
            return false;
        }
        for (int k = i; k < j; k++) {
            duplicates++;
            releaser.release(frame[k]);
        }
        int shift = 1 - (j - i);
        if (shift != 0) {
            System.arraycopy(seq, j, seq, j + shift, count - j);
            System.arraycopy(len, j, len, j + shift, count - j);
            System.arraycopy(frame, j, frame, j + shift, count - j);
            System.arraycopy(offset, j, offset, j + shift, count - j);
        }
        seq[i] = s;
        len[i] = newLength;
        frame[i] = frameId;
        offset[i] = off;
        count = newCount;
        bytes += newLength - covered;
        noteRecent(s);
        return true;
    }

    /** Whether entries {@code i..j-1} exactly cover {@code [s, e)} without gaps. */
    private boolean tiles(int i, int j, int s, int e) {
        if (i == j || seq[i] != s || seq[j - 1] + len[j - 1] != e) {
            return false;
        }
        for (int k = i + 1; k < j; k++) {
            if (seq[k - 1] + len[k - 1] != seq[k]) {
                return false;
            }
        }
        return true;
    }

    private void noteRecent(int s) {
        int n = Math.min(recentCount, RECENT - 1);
        System.arraycopy(recent, 0, recent, 1, n);
        recent[0] = s;
        recentCount = n + 1;
    }

    /**
     * Hands the queued data that now continues RCV.NXT to {@code consumer}, in order, and
     * releases entries wholly below it.
     *
     * @return the new RCV.NXT
     */
    public int drainInOrder(int rcvNxt, Consumer consumer) {
        int nxt = rcvNxt;
        int taken = 0;
        while (taken < count && Seq.leq(seq[taken], nxt)) {
            int end = seq[taken] + len[taken];
            if (Seq.leq(end, nxt)) {
                duplicates++;
                releaser.release(frame[taken]);
            } else {
                int skip = nxt - seq[taken];
                consumer.accept(frame[taken], offset[taken] + skip, nxt, len[taken] - skip);
                nxt = end;
            }
            bytes -= len[taken];
            taken++;
        }
        if (taken > 0) {
            System.arraycopy(seq, taken, seq, 0, count - taken);
            System.arraycopy(len, taken, len, 0, count - taken);
            System.arraycopy(frame, taken, frame, 0, count - taken);
            System.arraycopy(offset, taken, offset, 0, count - taken);
            count -= taken;
        }
        return nxt;
    }

    /** Releases every queued frame (connection closed or reset). */
    public void clear() {
        for (int i = 0; i < count; i++) {
            releaser.release(frame[i]);
        }
        count = 0;
        bytes = 0;
        recentCount = 0;
    }

    /**
     * Writes up to {@code max} SACK blocks into {@code left}/{@code right} per RFC 2018 §4: the
     * contiguous queued run containing the most recently received segment first, then the runs
     * of earlier arrivals, most recent first, each run once, none at or below {@code rcvNxt}.
     *
     * @return the number of blocks written
     */
    public int sackBlocks(int rcvNxt, int[] left, int[] right, int max) {
        int n = 0;
        for (int r = 0; r < recentCount && n < max; r++) {
            int at = find(recent[r]);
            if (at < 0) {
                continue;
            }
            int a = at;
            while (a > 0 && seq[a - 1] + len[a - 1] == seq[a]) {
                a--;
            }
            int b = at;
            while (b + 1 < count && seq[b] + len[b] == seq[b + 1]) {
                b++;
            }
            int l = seq[a];
            int rr = seq[b] + len[b];
            if (Seq.leq(rr, rcvNxt)) {
                continue;
            }
            l = Seq.max(l, rcvNxt);
            boolean seen = false;
            for (int k = 0; k < n; k++) {
                if (left[k] == l) {
                    seen = true;
                    break;
                }
            }
            if (!seen) {
                left[n] = l;
                right[n] = rr;
                n++;
            }
        }
        // fill remaining room with other runs, lowest first (older data the peer may not know of)
        for (int a = 0; a < count && n < max; ) {
            int b = a;
            while (b + 1 < count && seq[b] + len[b] == seq[b + 1]) {
                b++;
            }
            int l = Seq.max(seq[a], rcvNxt);
            int rr = seq[b] + len[b];
            boolean seen = Seq.leq(rr, rcvNxt);
            for (int k = 0; k < n && !seen; k++) {
                seen = left[k] == l;
            }
            if (!seen) {
                left[n] = l;
                right[n] = rr;
                n++;
            }
            a = b + 1;
        }
        return n;
    }

    /** The entry holding octet {@code s}, or -1. */
    private int find(int s) {
        for (int i = 0; i < count; i++) {
            if (Seq.lt(s, seq[i])) {
                return -1;
            }
            if (Seq.lt(s, seq[i] + len[i])) {
                return i;
            }
        }
        return -1;
    }
}
