package io.jix.apps.memcached;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Decimal numbers read from and written to memory segments, with no objects made. */
final class Numbers {

    private static final long MAX_DIV_10 = Long.divideUnsigned(-1L, 10);
    private static final long MAX_MOD_10 = Long.remainderUnsigned(-1L, 10);

    private Numbers() {
    }

    /** Whether the bytes are a decimal from 0 to 2^64-1: digits only, at least one. */
    static boolean ok(MemorySegment s, long offset, int length) {
        if (length < 1 || length > 20) {
            return false;
        }
        long v = 0;
        for (int i = 0; i < length; i++) {
            int d = s.get(ValueLayout.JAVA_BYTE, offset + i) - '0';
            if (d < 0 || d > 9) {
                return false;
            }
            if (Long.compareUnsigned(v, MAX_DIV_10) > 0 || (v == MAX_DIV_10 && d > MAX_MOD_10)) {
                return false;
            }
            v = v * 10 + d;
        }
        return true;
    }

    /** The unsigned value of bytes {@link #ok} accepts (garbage for others). */
    static long parseUnsigned(MemorySegment s, long offset, int length) {
        long v = 0;
        for (int i = 0; i < length; i++) {
            v = v * 10 + (s.get(ValueLayout.JAVA_BYTE, offset + i) - '0');
        }
        return v;
    }

    /** Whether the bytes are an optionally negative decimal that fits a long. */
    static boolean okSigned(MemorySegment s, long offset, int length) {
        if (length > 0 && s.get(ValueLayout.JAVA_BYTE, offset) == '-') {
            return length <= 19 && ok(s, offset + 1, length - 1);
        }
        return length <= 18 && ok(s, offset, length);
    }

    /** The value of bytes {@link #okSigned} accepts. */
    static long parseSigned(MemorySegment s, long offset, int length) {
        if (s.get(ValueLayout.JAVA_BYTE, offset) == '-') {
            return -parseUnsigned(s, offset + 1, length - 1);
        }
        return parseUnsigned(s, offset, length);
    }

    /** Writes {@code v} as an unsigned decimal at {@code offset}; returns the digit count. */
    static int format(long v, MemorySegment dest, long offset) {
        int digits = 1;
        for (long t = Long.divideUnsigned(v, 10); t != 0; t /= 10) {
            digits++;
        }
        long at = offset + digits - 1;
        long rest = v;
        // The first division is unsigned, the rest fit in a signed long.
        dest.set(ValueLayout.JAVA_BYTE, at--, (byte) ('0' + Long.remainderUnsigned(rest, 10)));
        rest = Long.divideUnsigned(rest, 10);
        while (rest != 0) {
            dest.set(ValueLayout.JAVA_BYTE, at--, (byte) ('0' + rest % 10));
            rest /= 10;
        }
        return digits;
    }
}
