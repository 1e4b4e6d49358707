package io.jix.nic;

/**
 * A burst of frames moving between a queue and its user: for each, the frame id, where its data
 * starts within the frame and how long it is. Reused; holds ids, not memory.
 */
public final class FrameBurst {

    private final int[] frame;
    private final int[] offset;
    private final int[] length;
    private int count;

    public FrameBurst(int capacity) {
        frame = new int[capacity];
        offset = new int[capacity];
        length = new int[capacity];
    }

    /** Appends a frame; throws when full. */
    public void add(int f, int dataOffset, int dataLength) {
        if (count == frame.length) {
            throw new IllegalStateException("burst full (" + count + ")");
        }
        frame[count] = f;
        offset[count] = dataOffset;
        length[count] = dataLength;
        count++;
    }

    public int frame(int i) {
        return frame[i];
    }

    public int offset(int i) {
        return offset[i];
    }

    public int length(int i) {
        return length[i];
    }

    public int count() {
        return count;
    }

    public int capacity() {
        return frame.length;
    }

    public int remaining() {
        return frame.length - count;
    }

    /** Forgets the first {@code n} frames, moving the rest (say, those a queue did not take) to the front. */
    public void dropFirst(int n) {
        int left = count - n;
        System.arraycopy(frame, n, frame, 0, left);
        System.arraycopy(offset, n, offset, 0, left);
        System.arraycopy(length, n, length, 0, left);
        count = left;
    }

    public void clear() {
        count = 0;
    }
}
