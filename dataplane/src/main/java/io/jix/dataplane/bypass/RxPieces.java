package io.jix.dataplane.bypass;

import java.lang.foreign.Arena;

/**
 * What each connection has received and not yet returned with {@code recvDone}: a FIFO of pieces
 * per connection slot, each one received frame (its lane, its id, the bytes still held) and, when
 * views are checked, the arena whose closing revokes the view the application was given. The
 * arena is made only when the piece is delivered ({@link #arm}): it is confined to the thread that
 * delivers it, and a piece still waiting in the pending queue can move to another thread with its
 * flow group. Linked lists over preallocated arrays; nothing allocates.
 */
final class RxPieces {

    private final int[] next;
    private final int[] lane;
    private final int[] frame;
    private final int[] left;
    private final Arena[] arena;
    private final int[] head;
    private final int[] tail;
    private int free;
    private int used;
    private int armed;

    /** Room for {@code capacity} pieces over {@code slots} connection slots. */
    RxPieces(int capacity, int slots) {
        next = new int[capacity];
        lane = new int[capacity];
        frame = new int[capacity];
        left = new int[capacity];
        arena = new Arena[capacity];
        for (int i = 0; i < capacity; i++) {
            next[i] = i + 1 < capacity ? i + 1 : -1;
        }
        head = new int[slots];
        tail = new int[slots];
        java.util.Arrays.fill(head, -1);
        java.util.Arrays.fill(tail, -1);
    }

    /** Pieces held over all connections. */
    int used() {
        return used;
    }

    /** Pieces whose views have been delivered under an arena that is still open. */
    int armed() {
        return armed;
    }

    /** Appends a piece to {@code slot}'s FIFO; returns it, or -1 when every piece is in use. */
    int add(int slot, int laneIndex, int frameId, int bytes) {
        int p = free;
        if (p < 0) {
            return -1;
        }
        free = next[p];
        next[p] = -1;
        lane[p] = laneIndex;
        frame[p] = frameId;
        left[p] = bytes;
        arena[p] = null;
        if (tail[slot] < 0) {
            head[slot] = p;
        } else {
            next[tail[slot]] = p;
        }
        tail[slot] = p;
        used++;
        return p;
    }

    /** Ties piece {@code p}'s delivered view to {@code revocable}, which closes when the piece is returned. */
    void arm(int p, Arena revocable) {
        arena[p] = revocable;
        armed++;
    }

    /** The oldest piece of {@code slot}, or -1. */
    int first(int slot) {
        return head[slot];
    }

    int lane(int piece) {
        return lane[piece];
    }

    int frame(int piece) {
        return frame[piece];
    }

    int left(int piece) {
        return left[piece];
    }

    /**
     * Returns up to {@code bytes} of the oldest piece; when that empties it, revokes its view and
     * unlinks it.
     *
     * @return the bytes taken from it
     */
    int take(int slot, long bytes) {
        int p = head[slot];
        int n = (int) Math.min(bytes, left[p]);
        left[p] -= n;
        if (left[p] == 0) {
            removeFirst(slot);
        }
        return n;
    }

    /** Unlinks the oldest piece of {@code slot}, revoking its view. */
    void removeFirst(int slot) {
        int p = head[slot];
        head[slot] = next[p];
        if (head[slot] < 0) {
            tail[slot] = -1;
        }
        Arena a = arena[p];
        if (a != null) {
            arena[p] = null;
            armed--;
            a.close();
        }
        next[p] = free;
        free = p;
        used--;
    }
}
