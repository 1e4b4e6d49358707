package io.jix.api;

import java.lang.foreign.MemorySegment;

/**
 * A reusable gather list for {@link Calls#sendv}: up to {@link #capacity()} pieces, each a
 * segment, an offset and a length. Fill it, send it, {@link #clear()} it; it allocates nothing
 * after construction.
 */
public final class IoVector {

    private final MemorySegment[] segments;
    private final long[] offsets;
    private final long[] lengths;
    private int count;

    /** A vector with room for {@code capacity} pieces. */
    public IoVector(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        segments = new MemorySegment[capacity];
        offsets = new long[capacity];
        lengths = new long[capacity];
    }

    /** Appends a piece; throws {@link IllegalStateException} when full. */
    public IoVector add(MemorySegment segment, long offset, long length) {
        if (count == segments.length) {
            throw new IllegalStateException("IoVector full (" + count + " pieces)");
        }
        if (offset < 0 || length < 0 || offset + length > segment.byteSize()) {
            throw new IndexOutOfBoundsException("piece [" + offset + ", +" + length + ") outside a segment of "
                    + segment.byteSize() + " bytes");
        }
        segments[count] = segment;
        offsets[count] = offset;
        lengths[count] = length;
        count++;
        return this;
    }

    /** Forgets all pieces (and the references to their segments). */
    public void clear() {
        java.util.Arrays.fill(segments, 0, count, null);
        count = 0;
    }

    /** Number of pieces. */
    public int count() {
        return count;
    }

    /** Maximum number of pieces. */
    public int capacity() {
        return segments.length;
    }

    /** Piece {@code i}'s segment. */
    public MemorySegment segment(int i) {
        return segments[i];
    }

    /** Piece {@code i}'s offset into its segment. */
    public long offset(int i) {
        return offsets[i];
    }

    /** Piece {@code i}'s length. */
    public long length(int i) {
        return lengths[i];
    }

    /** Sum of all lengths. */
    public long totalLength() {
        long total = 0;
        for (int i = 0; i < count; i++) {
            total += lengths[i];
        }
        return total;
    }
}
