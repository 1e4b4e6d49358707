package io.jix.stack.ip;

import io.jix.nic.Frame;

/**
 * IPv4 fragment reassembly (RFC 791 section 3.2, RFC 815) with fixed limits: at most
 * {@code contexts} datagrams in progress, each reassembled directly into one pool frame (so a
 * datagram longer than a frame's room after the Ethernet and IP headers cannot be reassembled),
 * and a timeout the stack enforces with its timer wheel.
 *
 * <p>Instead of RFC 815's hole list, each context keeps a bitmap of the 8-byte blocks received
 * (fragment offsets count in 8-byte units, and every fragment but the last is a whole number of
 * blocks), which makes duplicates and overlaps exact and bounded: a block already received is
 * never written again (the first copy wins, so an overlapping fragment cannot rewrite a header
 * that was already checked), and the datagram is complete when the last fragment has fixed the
 * length and every block up to it is set.
 */
public final class Reassembly {

    public static final int MISSING = -1;
    /** {@link #add} results. */
    public static final int PARTIAL = 0;
    public static final int COMPLETE = 1;
    /** Every byte of the fragment had arrived already; nothing copied. */
    public static final int DUPLICATE = 2;
    /** The fragment contradicts the datagram (length past the known end, two different ends). */
    public static final int BAD = 3;
    /** The datagram does not fit in a frame. */
    public static final int TOO_BIG = 4;

    /** Where the payload starts in the reassembled frame: Ethernet and an option-less IPv4 header. */
    public static final int PAYLOAD = 14 + Ipv4.HEADER;

    private final int maxPayload;
    private final int words;
    private final boolean[] inUse;
    private final int[] src;
    private final int[] dst;
    private final int[] id;
    private final int[] proto;
    private final int[] frame;
    private final int[] total;
    private final int[] blocks;
    private final int[] timer;
    private final long[] bitmap;
    private int open;
    private boolean overlapped;

    /**
     * @param contexts   datagrams in progress at most
     * @param maxPayload the longest IP payload a context can reassemble (a frame's room minus 34 bytes)
     */
    public Reassembly(int contexts, int maxPayload) {
        if (contexts < 0 || maxPayload < 8) {
            throw new IllegalArgumentException("contexts >= 0, maxPayload >= 8");
        }
        this.maxPayload = maxPayload;
        words = ((maxPayload + 7) / 8 + 63) / 64;
        inUse = new boolean[contexts];
        src = new int[contexts];
        dst = new int[contexts];
        id = new int[contexts];
        proto = new int[contexts];
        frame = new int[contexts];
        total = new int[contexts];
        blocks = new int[contexts];
        timer = new int[contexts];
        bitmap = new long[contexts * words];
        java.util.Arrays.fill(timer, -1);
    }

    /** The context reassembling (source, destination, identification, protocol), or {@link #MISSING}. */
    public int find(int source, int destination, int ident, int protocol) {
        if (open == 0) {
            return MISSING;
        }
        for (int c = 0; c < inUse.length; c++) {
            if (inUse[c] && src[c] == source && dst[c] == destination && id[c] == ident && proto[c] == protocol) {
                return c;
            }
        }
        return MISSING;
    }

    /** A free context, or {@link #MISSING} when all are in use. */
    public int free() {
        if (open == inUse.length) {
            return MISSING;
        }
        for (int c = 0; c < inUse.length; c++) {
            if (!inUse[c]) {
                return c;
            }
        }
        return MISSING;
    }

    /** Starts context {@code c} (from {@link #free()}) reassembling into {@code intoFrame}. */
    public void open(int c, int source, int destination, int ident, int protocol, int intoFrame) {
        inUse[c] = true;
        src[c] = source;
        dst[c] = destination;
        id[c] = ident;
        proto[c] = protocol;
        frame[c] = intoFrame;
        total[c] = -1;
        blocks[c] = 0;
        java.util.Arrays.fill(bitmap, c * words, (c + 1) * words, 0L);
        open++;
    }

    /** Ends a context; the caller keeps or releases its frame and timer. */
    public void close(int c) {
        inUse[c] = false;
        open--;
    }

    /**
     * Copies a fragment's data into the context's frame.
     *
     * @param into    the context's frame, wrapped with the Ethernet header at 0 and its full room as length
     * @param from    the fragment's frame
     * @param dataPos where the fragment's data starts in {@code from}
     * @param offset  the fragment offset in bytes
     * @param length  the fragment's data length
     * @param more    the more-fragments flag
     * @return {@link #PARTIAL}, {@link #COMPLETE}, {@link #DUPLICATE}, {@link #BAD} or {@link #TOO_BIG}
     */
    public int add(int c, Frame into, Frame from, int dataPos, int offset, int length, boolean more) {
        overlapped = false;
        int end = offset + length;
        if (end > maxPayload) {
            return TOO_BIG;
        }
        if (more) {
            if (total[c] >= 0 && end > total[c]) {
                return BAD;
            }
        } else {
            if (total[c] >= 0 && total[c] != end) {
                return BAD;
            }
            // No block may already lie past this end.
            int lastBlock = (end + 7) / 8;
            for (int b = lastBlock; b < words * 64; b++) {
                if (isSet(c, b)) {
                    return BAD;
                }
            }
            total[c] = end;
        }
        int first = offset / 8;
        int last = (end + 7) / 8; // exclusive
        int copied = 0;
        int b = first;
        while (b < last) {
            if (isSet(c, b)) {
                overlapped = true;
                b++;
                continue;
            }
            int runStart = b;
            while (b < last && !isSet(c, b)) {
                bitmap[c * words + (b >>> 6)] |= 1L << (b & 63);
                b++;
            }
            int runBytes = Math.min(b * 8, end) - runStart * 8;
            into.copyFrom(from, dataPos + runStart * 8 - offset, PAYLOAD + runStart * 8, runBytes);
            blocks[c] += b - runStart;
            copied += runBytes;
        }
        if (copied == 0 && length > 0) {
            return DUPLICATE;
        }
        if (total[c] >= 0 && blocks[c] == (total[c] + 7) / 8) {
            return COMPLETE;
        }
        return PARTIAL;
    }

    /** Whether the last {@link #add} met data received before (it still copied what was new). */
    public boolean overlapped() {
        return overlapped;
    }

    private boolean isSet(int c, int b) {
        return (bitmap[c * words + (b >>> 6)] & 1L << (b & 63)) != 0;
    }

    /** The reassembled payload length, once {@link #COMPLETE}. */
    public int total(int c) {
        return total[c];
    }

    public int frame(int c) {
        return frame[c];
    }

    public int source(int c) {
        return src[c];
    }

    public int destination(int c) {
        return dst[c];
    }

    public int ident(int c) {
        return id[c];
    }

    public int protocol(int c) {
        return proto[c];
    }

    public int timer(int c) {
        return timer[c];
    }

    public void timer(int c, int t) {
        timer[c] = t;
    }

    public boolean inUse(int c) {
        return inUse[c];
    }

    /** Contexts in use. */
    public int open() {
        return open;
    }

    public int capacity() {
        return inUse.length;
    }

    /** The longest payload a context can hold. */
    public int maxPayload() {
        return maxPayload;
    }
}
