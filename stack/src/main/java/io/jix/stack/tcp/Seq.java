package io.jix.stack.tcp;

/**
 * 32-bit TCP sequence number arithmetic (RFC 9293 §3.4, serial number arithmetic of RFC 1982
 * with SERIAL_BITS = 32). Sequence numbers are plain {@code int}s; {@code a} is before {@code b}
 * when the signed 32-bit difference {@code a - b} is negative, so comparisons are correct as
 * long as the two numbers are less than 2^31 apart, which TCP's windows (at most 2^30 with
 * window scaling, RFC 7323 §2.3) guarantee. RFC 1982 leaves a pair exactly 2^31 apart undefined;
 * here such a pair compares as {@code a < b} when {@code a - b == Integer.MIN_VALUE}, a
 * consistent but arbitrary choice callers must not rely on.
 */
public final class Seq {

    private Seq() {
    }

    /** {@code a < b} modulo 2^32. */
    public static boolean lt(int a, int b) {
        return a - b < 0;
    }

    /** {@code a <= b} modulo 2^32. */
    public static boolean leq(int a, int b) {
        return a - b <= 0;
    }

    /** {@code a > b} modulo 2^32. */
    public static boolean gt(int a, int b) {
        return a - b > 0;
    }

    /** {@code a >= b} modulo 2^32. */
    public static boolean geq(int a, int b) {
        return a - b >= 0;
    }

    /**
     * {@code lo <= x < hi} modulo 2^32: {@code x} lies in the half-open range starting at
     * {@code lo} of length {@code hi - lo} (unsigned). An empty range ({@code lo == hi}) holds
     * nothing. This is RFC 9293 §3.4's window test {@code RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND}.
     */
    public static boolean between(int lo, int x, int hi) {
        return Integer.compareUnsigned(x - lo, hi - lo) < 0;
    }

    /** {@code lo <= x <= hi} modulo 2^32, e.g. RFC 9293's {@code SND.UNA =< SEG.ACK =< SND.NXT}. */
    public static boolean inClosed(int lo, int x, int hi) {
        return Integer.compareUnsigned(x - lo, hi - lo) <= 0;
    }

    /** The later of two sequence numbers. */
    public static int max(int a, int b) {
        return a - b >= 0 ? a : b;
    }

    /** The earlier of two sequence numbers. */
    public static int min(int a, int b) {
        return a - b <= 0 ? a : b;
    }

    /** The distance {@code to - from} as an unsigned count held in a long (0 .. 2^32-1). */
    public static long distance(int from, int to) {
        return (to - from) & 0xffff_ffffL;
    }
}
