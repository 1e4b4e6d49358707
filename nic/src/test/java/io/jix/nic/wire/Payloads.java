package io.jix.nic.wire;

import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Seeded test payloads: frame number {@code i} of a stream has a length and contents that are a
 * function of (seed, i) alone; its first 8 bytes carry {@code i}. Writing and checking go a long
 * at a time, so a million frames take well under a second.
 */
final class Payloads {

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private final long seed;
    private final int minLength;
    private final int maxLength;

    Payloads(long seed, int minLength, int maxLength) {
        this.seed = seed;
        this.minLength = minLength;
        this.maxLength = maxLength;
    }

    int length(long i) {
        return minLength + (int) Long.remainderUnsigned(FaultPlan.mix(seed + i * 0x632BE59BD9B4E019L), maxLength - minLength + 1);
    }

    /** The byte at {@code pos} of frame {@code i} (pos >= 8), as {@link #write} lays it out. */
    byte byteAt(long i, int pos) {
        long w = word(i, pos >>> 3);
        return (byte) (w >>> ((pos & 7) * 8));
    }

    private long word(long i, int j) {
        return j == 0 ? i : FaultPlan.mix(seed ^ (i * 0x9E3779B97F4A7C15L) + j);
    }

    /** Allocates a frame from {@code pool}, writes frame {@code i} at {@code offset} and adds it to {@code burst}; false when the pool is empty. */
    boolean add(FramePool pool, FrameBurst burst, long i, int offset) {
        int f = pool.allocate();
        if (f < 0) {
            return false;
        }
        int len = length(i);
        write(pool.region(), pool.offset(f) + offset, i, len);
        burst.add(f, offset, len);
        return true;
    }

    void write(MemorySegment m, long at, long i, int len) {
        int j = 0;
        for (; (j + 1) * 8 <= len; j++) {
            m.set(LONG, at + j * 8L, word(i, j));
        }
        for (int pos = j * 8; pos < len; pos++) {
            m.set(ValueLayout.JAVA_BYTE, at + pos, byteAt(i, pos));
        }
    }

    /** The sequence number a received frame claims (its first 8 bytes, little-endian as written). */
    static long sequence(MemorySegment m, long at) {
        return m.get(LONG, at);
    }

    /** How many bytes of the frame at {@code at} differ from frame {@code i}; -1 if the length is wrong. */
    int differences(MemorySegment m, long at, int len, long i) {
        if (len != length(i)) {
            return -1;
        }
        int diff = 0;
        int j = 0;
        for (; (j + 1) * 8 <= len; j++) {
            long x = m.get(LONG, at + j * 8L) ^ word(i, j);
            if (x != 0) {
                for (int b = 0; b < 8; b++) {
                    if ((x >>> (b * 8) & 0xff) != 0) {
                        diff++;
                    }
                }
            }
        }
        for (int pos = j * 8; pos < len; pos++) {
            if (m.get(ValueLayout.JAVA_BYTE, at + pos) != byteAt(i, pos)) {
                diff++;
            }
        }
        return diff;
    }
}
