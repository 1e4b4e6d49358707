package io.jix.stack.tcp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed
 * pseudo-random function with a 128-bit key and a 64-bit output, two compression rounds per
 * 8-byte word and four finalization rounds. Used as RFC 6528's F() for initial sequence numbers
 * and as the MAC of SYN cookies. The key is two little-endian 64-bit words (key bytes 0–7 and
 * 8–15). The working state lives in fields, so an instance hashes without allocating and must
 * stay with one thread.
 */
public final class SipHash {

    private static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final long k0;
    private final long k1;
    private long v0;
    private long v1;
    private long v2;
    private long v3;

    /** A PRF keyed with the 16 bytes whose little-endian halves are {@code k0} and {@code k1}. */
    public SipHash(long k0, long k1) {
        this.k0 = k0;
        this.k1 = k1;
    }

    private void init() {
        v0 = k0 ^ 0x736f6d6570736575L;
        v1 = k1 ^ 0x646f72616e646f6dL;
        v2 = k0 ^ 0x6c7967656e657261L;
        v3 = k1 ^ 0x7465646279746573L;
    }

    private void round() {
        v0 += v1;
        v1 = Long.rotateLeft(v1, 13);
        v1 ^= v0;
        v0 = Long.rotateLeft(v0, 32);
        v2 += v3;
        v3 = Long.rotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = Long.rotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = Long.rotateLeft(v1, 17);
        v1 ^= v2;
        v2 = Long.rotateLeft(v2, 32);
    }

    private void compress(long m) {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }

    private long finish(long lastWord) {
        compress(lastWord);
        v2 ^= 0xff;
        round();
        round();
        round();
        round();
        return v0 ^ v1 ^ v2 ^ v3;
    }

    /** SipHash-2-4 of {@code length} bytes at {@code offset} of {@code data}. */
    public long hash(MemorySegment data, long offset, long length) {
        init();
        long at = offset;
        long end = offset + (length & ~7L);
        while (at < end) {
            compress(data.get(LE64, at));
            at += 8;
        }
        long last = (length & 0xff) << 56;
        int left = (int) (length & 7);
        for (int i = 0; i < left; i++) {
            last |= (data.get(ValueLayout.JAVA_BYTE, at + i) & 0xffL) << (8 * i);
        }
        return finish(last);
    }

    /** SipHash-2-4 of the 8-byte message whose little-endian word is {@code m0}. */
    public long hash(long m0) {
        init();
        compress(m0);
        return finish(8L << 56);
    }

    /** SipHash-2-4 of the 16-byte message whose little-endian words are {@code m0}, {@code m1}. */
    public long hash(long m0, long m1) {
        init();
        compress(m0);
        compress(m1);
        return finish(16L << 56);
    }

    /** SipHash-2-4 of the 24-byte message whose little-endian words are {@code m0}, {@code m1}, {@code m2}. */
    public long hash(long m0, long m1, long m2) {
        init();
        compress(m0);
        compress(m1);
        compress(m2);
        return finish(24L << 56);
    }
}
