package io.jix.stack;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071), computed eight bytes at a time: each big-endian long is split
 * into two 32-bit halves added into a 64-bit accumulator, which cannot overflow before 2^31
 * words, and folded to 16 bits at the end. Partial sums compose, so a pseudo-header and a payload
 * can be summed separately.
 */
public final class Checksum {

    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private Checksum() {
    }

    /**
     * Adds {@code length} bytes at {@code offset} to the partial sum {@code sum}. An odd final
     * byte counts as the high byte of a 16-bit word, as if padded with zero, so only the last
     * piece of a checksummed run may have an odd length.
     */
    public static long add(long sum, MemorySegment data, long offset, int length) {
        // An int-counted loop with two accumulators: C2 unrolls it and hoists the bounds checks,
        // which it did not for the long-indexed loop this replaced (about 3x slower per byte).
        int words = length >>> 3;
        long a = 0;
        long b = 0;
        int i = 0;
        for (; i + 1 < words; i += 2) {
            long w0 = data.get(U64, offset + ((long) i << 3));
            long w1 = data.get(U64, offset + ((long) i << 3) + 8);
            a += (w0 >>> 32) + (w0 & 0xffff_ffffL);
            b += (w1 >>> 32) + (w1 & 0xffff_ffffL);
        }
        if (i < words) {
            long w = data.get(U64, offset + ((long) i << 3));
            a += (w >>> 32) + (w & 0xffff_ffffL);
        }
        sum += a + b;
        long at = offset + ((long) words << 3);
        long end = offset + length;
        if (end - at >= 4) {
            sum += data.get(U32, at) & 0xffff_ffffL;
            at += 4;
        }
        if (end - at >= 2) {
            sum += data.get(U16, at) & 0xffff;
            at += 2;
        }
        if (at < end) {
            sum += (data.get(ValueLayout.JAVA_BYTE, at) & 0xff) << 8;
        }
        return sum;
    }

    /** Adds a 16-bit value. */
    public static long add16(long sum, int value) {
        return sum + (value & 0xffff);
    }

    /** Adds a 32-bit value (say, an IPv4 address). */
    public static long add32(long sum, int value) {
        return sum + (value & 0xffff_ffffL);
    }

    /** The IPv4 pseudo-header of TCP and UDP (RFC 793, RFC 768) as a partial sum. */
    public static long pseudoHeader(int source, int destination, int protocol, int length) {
        return add32(add32(0, source), destination) + protocol + length;
    }

    /** Folds a partial sum to the 16-bit one's-complement sum. */
    public static int fold(long sum) {
        sum = (sum & 0xffff_ffffL) + (sum >>> 32);
        sum = (sum & 0xffff_ffffL) + (sum >>> 32);
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        return (int) sum;
    }

    /** The checksum field value for a partial sum: the complement of its fold. */
    public static int finish(long sum) {
        return ~fold(sum) & 0xffff;
    }

    /** The checksum of a whole region, e.g. an IPv4 header whose checksum field is zero. */
    public static int of(MemorySegment data, long offset, int length) {
        return finish(add(0, data, offset, length));
    }

    /** Whether a region that includes its own checksum field verifies (sums to 0xffff). */
    public static boolean verifies(long sum) {
        return fold(sum) == 0xffff;
    }
}
