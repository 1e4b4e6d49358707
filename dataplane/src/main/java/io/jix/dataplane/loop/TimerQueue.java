package io.jix.dataplane.loop;

/**
 * One elastic thread's application timers: a binary min-heap over preallocated slots, named by
 * generation-tagged handles like connections are. Arming, cancelling and expiring allocate
 * nothing. (The TCP stack's own timers use a timer wheel; these are the application's, fewer and
 * coarser.)
 */
final class TimerQueue {

    private final HandleTable handles;
    private final long[] deadline;
    private final Object[] cookie;
    private final int[] heapIndex;
    private final int[] heap;
    private int size;

    TimerQueue(int thread, int capacity) {
        handles = new HandleTable(thread, capacity);
        deadline = new long[capacity];
        cookie = new Object[capacity];
        heapIndex = new int[capacity];
        heap = new int[capacity];
    }

    /** Arms a timer; returns its handle, or -1 when all timer slots are in use. */
    long arm(Object c, long at) {
        long h = handles.allocate();
        if (h < 0) {
            return -1;
        }
        int slot = (int) (h & (HandleTable.MAX_SLOTS - 1));
        deadline[slot] = at;
        cookie[slot] = c;
        heap[size] = slot;
        heapIndex[slot] = size;
        up(size++);
        return h;
    }

    /** Cancels a pending timer; false when it is not pending (fired, cancelled or unknown). */
    boolean cancel(long h) {
        if (!handles.isLive(h)) {
            return false;
        }
        int slot = handles.slot(h);
        removeAt(heapIndex[slot]);
        free(slot);
        return true;
    }

    /** The earliest deadline, or {@link Long#MAX_VALUE} when none is armed. */
    long nextDeadline() {
        return size == 0 ? Long.MAX_VALUE : deadline[heap[0]];
    }

    /** Moves expired timers into {@code batch}, as many as fit; returns how many. */
    int expire(long now, EventBatch batch) {
        int n = 0;
        while (size > 0 && deadline[heap[0]] - now <= 0 && !batch.isFull()) {
            int slot = heap[0];
            batch.addTimer(cookie[slot], handles.handle(slot));
            removeAt(0);
            free(slot);
            n++;
        }
        return n;
    }

    int size() {
        return size;
    }

    private void free(int slot) {
        cookie[slot] = null;
        handles.release(slot);
    }

    private void removeAt(int i) {
        int last = heap[--size];
        if (i == size) {
            return;
        }
        heap[i] = last;
        heapIndex[last] = i;
        up(i);
        down(heapIndex[last]);
    }

    private void up(int i) {
        int slot = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            int p = heap[parent];
            if (deadline[p] - deadline[slot] <= 0) {
                break;
            }
            heap[i] = p;
            heapIndex[p] = i;
            i = parent;
        }
        heap[i] = slot;
        heapIndex[slot] = i;
    }

    private void down(int i) {
        int slot = heap[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && deadline[heap[child + 1]] - deadline[heap[child]] < 0) {
                child++;
            }
            int c = heap[child];
            if (deadline[slot] - deadline[c] <= 0) {
                break;
            }
            heap[i] = c;
            heapIndex[c] = i;
            i = child;
        }
        heap[i] = slot;
        heapIndex[slot] = i;
    }
}
