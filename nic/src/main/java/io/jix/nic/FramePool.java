package io.jix.nic;

import java.lang.foreign.MemorySegment;

/**
 * Fixed-size frames carved from one native region, named by int ids (frame {@code i} starts at
 * {@code i * frameSize}). Single owner: the elastic thread of its queue. Allocation and release
 * are a push and a pop on an int stack. A frame may have more than one holder at a time (a TCP
 * segment sent straight from the application's buffer is held by the TCP layer until acknowledged
 * and by the NIC until transmitted): {@link #retain} adds one, and the frame is free again when
 * every holder has released it.
 */
public final class FramePool {

    private final MemorySegment region;
    private final int frameSize;
    private final int count;
    private final int[] free;
    private final int[] holders; // 0: free
    private int freeCount;

    /**
     * A pool over {@code region}, which must hold {@code count} frames of {@code frameSize} bytes
     * (a power of two, at least 2048 so that a full Ethernet frame and headroom fit).
     */
    public FramePool(MemorySegment region, int frameSize, int count) {
        if (Integer.bitCount(frameSize) != 1 || frameSize < 2048) {
            throw new IllegalArgumentException("frame size must be a power of two >= 2048: " + frameSize);
        }
        if (count <= 0 || region.byteSize() < (long) frameSize * count) {
            throw new IllegalArgumentException(count + " frames of " + frameSize + " bytes do not fit in "
                    + region.byteSize() + " bytes");
        }
        this.region = region;
        this.frameSize = frameSize;
        this.count = count;
        this.free = new int[count];
        this.holders = new int[count];
        for (int i = 0; i < count; i++) {
            free[i] = count - 1 - i;
        }
        freeCount = count;
    }

    /** A free frame, now the caller's, or -1 when none is left. */
    public int allocate() {
        if (freeCount == 0) {
            return -1;
        }
        int f = free[--freeCount];
        holders[f] = 1;
        return f;
    }

    /**
     * Gives up one hold on a frame; the last one returns it to the pool. Releasing a free frame, or
     * one that does not exist, is a bug and throws.
     */
    public void release(int frame) {
        if (frame < 0 || frame >= count || holders[frame] == 0) {
            throw new IllegalStateException("frame " + frame + " is not allocated (double free?)");
        }
        if (--holders[frame] == 0) {
            free[freeCount++] = frame;
        }
    }

    /** Adds a holder to an allocated frame: it goes back to the pool only after one more {@link #release}. */
    public void retain(int frame) {
        if (!isAllocated(frame)) {
            throw new IllegalStateException("frame " + frame + " is not allocated");
        }
        holders[frame]++;
    }

    /** How many holders {@code frame} has (0: free). */
    public int holders(int frame) {
        return holders[frame];
    }

    /** Whether {@code frame} is a frame of this pool that is currently allocated. */
    public boolean isAllocated(int frame) {
        return frame >= 0 && frame < count && holders[frame] > 0;
    }

    /** The frame containing region offset {@code offset}, or -1 if it is outside the region. */
    public int frameAt(long offset) {
        return offset < 0 || offset >= (long) frameSize * count ? -1 : (int) (offset / frameSize);
    }

    /** Offset of a frame within the region (the UMEM address, for AF_XDP). */
    public long offset(int frame) {
        return (long) frame * frameSize;
    }

    /** The whole region. */
    public MemorySegment region() {
        return region;
    }

    public int frameSize() {
        return frameSize;
    }

    public int capacity() {
        return count;
    }

    public int available() {
        return freeCount;
    }
}
