package io.jix.stack.tcp;

import io.jix.nic.Frame;

/**
 * TCP options, parsed into the fields of this reusable object and written in the layouts Linux
 * uses. Kinds: EOL 0 and NOP 1 (RFC 9293 §3.2), MSS 2 (RFC 9293 §3.7.1), window scale 3
 * (RFC 7323 §2), SACK-permitted 4 and SACK 5 (RFC 2018 §2–3), timestamps 8 (RFC 7323 §3).
 *
 * <p>Parsing (RFC 9293 §3.2 and §3.10.7: "a TCP implementation MUST be able to receive a TCP
 * Option in any segment" and must ignore options it does not implement, assuming they have a
 * length field) never throws on garbage: an unknown kind is skipped by its length; a length
 * below 2 or one that overruns the options ends the parse and marks the options
 * {@link #malformed()}; a known kind with the wrong length is ignored and also marks them
 * malformed. What was parsed before a malformed option is kept; the caller decides whether to
 * drop the segment. A window scale above 14 is clamped to 14 (RFC 7323 §2.3). At most four SACK
 * blocks are stored; a SACK option with a length that is not 2 + 8n (n ≥ 1) is malformed.
 */
public final class TcpOptions {

    /** End of option list. */
    public static final int KIND_EOL = 0;
    /** No-operation, used for padding. */
    public static final int KIND_NOP = 1;
    /** Maximum segment size. */
    public static final int KIND_MSS = 2;
    /** Window scale. */
    public static final int KIND_WSCALE = 3;
    /** SACK permitted. */
    public static final int KIND_SACK_PERMITTED = 4;
    /** SACK blocks. */
    public static final int KIND_SACK = 5;
    /** Timestamps. */
    public static final int KIND_TIMESTAMPS = 8;

    /** Largest window shift (RFC 7323 §2.3). */
    public static final int MAX_WSCALE = 14;
    /** Most SACK blocks an option holds (40 option bytes: 2 + 4 × 8 = 34). */
    public static final int MAX_SACK_BLOCKS = 4;
    /** Longest option space. */
    public static final int MAX_OPTIONS_LENGTH = 40;

    private int mss;
    private int windowScale;
    private boolean sackPermitted;
    private boolean timestamps;
    private int tsVal;
    private int tsEcr;
    private int sackCount;
    private final int[] sackLeft = new int[MAX_SACK_BLOCKS];
    private final int[] sackRight = new int[MAX_SACK_BLOCKS];
    private boolean malformed;

    /** Empty options. */
    public TcpOptions() {
        clear();
    }

    /** Forgets everything parsed. */
    public void clear() {
        mss = -1;
        windowScale = -1;
        sackPermitted = false;
        timestamps = false;
        tsVal = 0;
        tsEcr = 0;
        sackCount = 0;
        malformed = false;
    }

    /** Parses the options of {@code header}, which must have passed {@link TcpHeader#validate}. */
    public boolean parse(TcpHeader header) {
        return parse(header.frame(), header.optionsOffset(), header.optionsLength());
    }

    /**
     * Parses {@code length} option bytes at {@code offset} of {@code frame}'s data into this
     * object, replacing what it held.
     *
     * @return {@code true} unless the options were {@link #malformed()}
     */
    public boolean parse(Frame frame, int offset, int length) {
        clear();
        int at = offset;
        int end = offset + length;
        while (at < end) {
            int kind = frame.u8(at);
            if (kind == KIND_EOL) {
                break;
            }
            if (kind == KIND_NOP) {
                at++;
                continue;
            }
            if (at + 1 >= end) {
                malformed = true;
                break;
            }
            int len = frame.u8(at + 1);
            if (len < 2 || at + len > end) {
                malformed = true;
                break;
            }
            switch (kind) {
                case KIND_MSS -> {
                    if (len == 4) {
                        mss = frame.u16(at + 2);
                    } else {
                        malformed = true;
                    }
                }
                case KIND_WSCALE -> {
                    if (len == 3) {
                        windowScale = Math.min(frame.u8(at + 2), MAX_WSCALE);
                    } else {
                        malformed = true;
                    }
                }
                case KIND_SACK_PERMITTED -> {
                    if (len == 2) {
                        sackPermitted = true;
                    } else {
                        malformed = true;
                    }
                }
                case KIND_TIMESTAMPS -> {
                    if (len == 10) {
                        timestamps = true;
                        tsVal = frame.u32(at + 2);
                        tsEcr = frame.u32(at + 6);
                    } else {
                        malformed = true;
                    }
                }
                case KIND_SACK -> {
                    if (len < 10 || ((len - 2) & 7) != 0) {
                        malformed = true;
                    } else {
                        int blocks = (len - 2) >>> 3;
                        sackCount = 0;
                        for (int i = 0; i < blocks && i < MAX_SACK_BLOCKS; i++) {
                            sackLeft[i] = frame.u32(at + 2 + 8 * i);
                            sackRight[i] = frame.u32(at + 6 + 8 * i);
                            sackCount++;
                        }
                    }
                }
                default -> {
                    // unknown kind: skipped by its length
                }
            }
            at += len;
        }
        return !malformed;
    }

    /** Whether the last parse met a bad length; see the class comment. */
    public boolean malformed() {
        return malformed;
    }

    /** The MSS option's value, or -1 when absent. */
    public int mss() {
        return mss;
    }

    /** The window shift (0–14), or -1 when absent. */
    public int windowScale() {
        return windowScale;
    }

    public boolean sackPermitted() {
        return sackPermitted;
    }

    /** Whether a timestamps option was present. */
    public boolean hasTimestamps() {
        return timestamps;
    }

    public int tsVal() {
        return tsVal;
    }

    public int tsEcr() {
        return tsEcr;
    }

    /** Number of SACK blocks held (0–4). */
    public int sackCount() {
        return sackCount;
    }

    /** Left edge of SACK block {@code i} (the first sequence number it covers). */
    public int sackLeft(int i) {
        checkBlock(i);
        return sackLeft[i];
    }

    /** Right edge of SACK block {@code i} (one past the last sequence number it covers). */
    public int sackRight(int i) {
        checkBlock(i);
        return sackRight[i];
    }

    private void checkBlock(int i) {
        if (i < 0 || i >= sackCount) {
            throw new IndexOutOfBoundsException("SACK block " + i + " of " + sackCount);
        }
    }

    // ---------------------------------------------------------------- writing

    /**
     * Length of the options {@link #writeSyn} writes for these choices: MSS 4, then SACK-permitted
     * and timestamps 12 together (else timestamps 12 or SACK-permitted 4 with NOP padding), then
     * window scale 4 (NOP + 3).
     */
    public static int synLength(boolean sackPermitted, boolean timestamps, int windowScale) {
        int n = 4;
        if (timestamps) {
            n += 12;
        } else if (sackPermitted) {
            n += 4;
        }
        if (windowScale >= 0) {
            n += 4;
        }
        return n;
    }

    /**
     * Writes SYN or SYN-ACK options at {@code pos} of {@code frame}'s data the way Linux lays them
     * out ({@code tcp_options_write}), every option word-aligned:
     * {@code MSS(2,4,mss)}; then {@code SACKOK(4,2) TS(8,10,val,ecr)} when both are offered,
     * {@code NOP NOP TS} with timestamps only, {@code NOP NOP SACKOK} with SACK-permitted only;
     * then {@code NOP WS(3,3,shift)} when {@code windowScale >= 0}.
     *
     * @return the bytes written, a multiple of 4 ({@link #synLength})
     */
    public static int writeSyn(Frame frame, int pos, int mss, boolean sackPermitted, boolean timestamps, int tsVal,
            int tsEcr, int windowScale) {
        if (windowScale > MAX_WSCALE) {
            throw new IllegalArgumentException("window scale " + windowScale);
        }
        int at = pos;
        frame.u32(at, (KIND_MSS << 24) | (4 << 16) | (mss & 0xffff));
        at += 4;
        if (timestamps) {
            if (sackPermitted) {
                frame.u32(at, (KIND_SACK_PERMITTED << 24) | (2 << 16) | (KIND_TIMESTAMPS << 8) | 10);
            } else {
                frame.u32(at, (KIND_NOP << 24) | (KIND_NOP << 16) | (KIND_TIMESTAMPS << 8) | 10);
            }
            frame.u32(at + 4, tsVal);
            frame.u32(at + 8, tsEcr);
            at += 12;
        } else if (sackPermitted) {
            frame.u32(at, (KIND_NOP << 24) | (KIND_NOP << 16) | (KIND_SACK_PERMITTED << 8) | 2);
            at += 4;
        }
        if (windowScale >= 0) {
            frame.u32(at, (KIND_NOP << 24) | (KIND_WSCALE << 16) | (3 << 8) | windowScale);
            at += 4;
        }
        return at - pos;
    }

    /**
     * The number of SACK blocks that fit next to the timestamps option (if any): 3 with
     * timestamps (12 + 4 + 24 = 40 bytes), 4 without (4 + 32 = 36), RFC 2018 §3.
     */
    public static int maxSackBlocks(boolean timestamps) {
        return timestamps ? 3 : 4;
    }

    /** Length of the options {@link #writeData} writes. */
    public static int dataLength(boolean timestamps, int sackBlocks) {
        int blocks = Math.min(Math.max(sackBlocks, 0), maxSackBlocks(timestamps));
        return (timestamps ? 12 : 0) + (blocks > 0 ? 4 + 8 * blocks : 0);
    }

    /**
     * Writes the options of an established connection's segment, as Linux does:
     * {@code NOP NOP TS(8,10,val,ecr)} when {@code timestamps}, then
     * {@code NOP NOP SACK(5,2+8n)} with the first {@code n} blocks of {@code left}/{@code right}
     * (most recent first, RFC 2018 §4), {@code n} limited by {@link #maxSackBlocks}.
     *
     * @return the bytes written, a multiple of 4 ({@link #dataLength})
     */
    public static int writeData(Frame frame, int pos, boolean timestamps, int tsVal, int tsEcr, int[] left,
            int[] right, int sackBlocks) {
        int at = pos;
        if (timestamps) {
            frame.u32(at, (KIND_NOP << 24) | (KIND_NOP << 16) | (KIND_TIMESTAMPS << 8) | 10);
            frame.u32(at + 4, tsVal);
            frame.u32(at + 8, tsEcr);
            at += 12;
        }
        int blocks = Math.min(Math.max(sackBlocks, 0), maxSackBlocks(timestamps));
        if (blocks > 0) {
            frame.u32(at, (KIND_NOP << 24) | (KIND_NOP << 16) | (KIND_SACK << 8) | (2 + 8 * blocks));
            at += 4;
            for (int i = 0; i < blocks; i++) {
                frame.u32(at, left[i]);
                frame.u32(at + 4, right[i]);
                at += 8;
            }
        }
        return at - pos;
    }
}
