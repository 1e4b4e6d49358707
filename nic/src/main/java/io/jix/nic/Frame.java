package io.jix.nic;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A flyweight over one frame's bytes, for reading and writing headers in network byte order, as
 * Agrona's buffers over a {@code MemorySegment}. Positions are relative to the start of the
 * frame's data; every access is bounds-checked against the data length, so a truncated frame
 * fails as an {@link IndexOutOfBoundsException} instead of reading a neighbour.
 */
public final class Frame {

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private MemorySegment region;
    private long base;
    private int length;
    private int capacity;
    private int id = -1;

    /** A flyweight pointing nowhere until {@link #wrap}. */
    public Frame() {
    }

    /** Points this flyweight at frame {@code frame} of {@code pool}, data at {@code offset}, {@code length} bytes. */
    public Frame wrap(FramePool pool, int frame, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > pool.frameSize()) {
            throw new IndexOutOfBoundsException("data [" + offset + ", +" + length + ") outside a frame of "
                    + pool.frameSize());
        }
        this.region = pool.region();
        this.base = pool.offset(frame) + offset;
        this.length = length;
        this.capacity = pool.frameSize() - offset;
        this.id = frame;
        return this;
    }

    /** The frame id. */
    public int id() {
        return id;
    }

    /** Data length. */
    public int length() {
        return length;
    }

    /** Room from the data start to the end of the frame. */
    public int capacity() {
        return capacity;
    }

    /** Sets the data length (after writing a reply), up to {@link #capacity()}. */
    public void length(int newLength) {
        if (newLength < 0 || newLength > capacity) {
            throw new IndexOutOfBoundsException("length " + newLength + " beyond capacity " + capacity);
        }
        this.length = newLength;
    }

    public int u8(int pos) {
        check(pos, 1);
        return region.get(ValueLayout.JAVA_BYTE, base + pos) & 0xff;
    }

    public int u16(int pos) {
        check(pos, 2);
        return region.get(U16, base + pos) & 0xffff;
    }

    public int u32(int pos) {
        check(pos, 4);
        return region.get(U32, base + pos);
    }

    public void u8(int pos, int value) {
        check(pos, 1);
        region.set(ValueLayout.JAVA_BYTE, base + pos, (byte) value);
    }

    public void u16(int pos, int value) {
        check(pos, 2);
        region.set(U16, base + pos, (short) value);
    }

    public void u32(int pos, int value) {
        check(pos, 4);
        region.set(U32, base + pos, value);
    }

    /** Copies {@code n} bytes from {@code src} at {@code srcPos} to {@code dstPos} (both within the data). */
    public void copyWithin(int srcPos, int dstPos, int n) {
        check(srcPos, n);
        check(dstPos, n);
        MemorySegment.copy(region, base + srcPos, region, base + dstPos, n);
    }

    /** Copies {@code n} bytes from {@code other}'s data at {@code srcPos} to this frame's {@code dstPos}. */
    public void copyFrom(Frame other, int srcPos, int dstPos, int n) {
        other.check(srcPos, n);
        check(dstPos, n);
        MemorySegment.copy(other.region, other.base + srcPos, region, base + dstPos, n);
    }

    /** The region and offset of position {@code pos}, for bulk copies and checksums. */
    public MemorySegment region() {
        return region;
    }

    /** Region offset of the data start. */
    public long base() {
        return base;
    }

    private void check(int pos, int n) {
        if (pos < 0 || n < 0 || pos + n > length) {
            throw new IndexOutOfBoundsException("bytes [" + pos + ", +" + n + ") outside frame data of " + length);
        }
    }
}
