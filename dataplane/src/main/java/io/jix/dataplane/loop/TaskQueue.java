package io.jix.dataplane.loop;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded lock-free queue of tasks with many producers (any thread) and one consumer (the
 * elastic thread). Producers claim a sequence with a CAS and publish their slot with a release
 * store; the consumer reads slots in order with acquire loads. A slot claimed but not yet
 * published looks empty, so the consumer simply tries again on its next iteration.
 */
final class TaskQueue {

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(Runnable[].class);

    private final Runnable[] slots;
    private final int mask;
    private final AtomicLong tail = new AtomicLong();
    private volatile long head;

    TaskQueue(int capacity) {
        if (Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two: " + capacity);
        }
        slots = new Runnable[capacity];
        mask = capacity - 1;
    }

    /** Adds a task; false when the queue is full. Any thread. */
    boolean offer(Runnable task) {
        long t;
        do {
            t = tail.get();
            if (t - head >= slots.length) {
                return false;
            }
        } while (!tail.compareAndSet(t, t + 1));
        SLOT.setRelease(slots, (int) (t & mask), task);
        return true;
    }

    /** Takes the oldest published task, or null. Consumer thread only. */
    Runnable poll() {
        long h = head;
        int i = (int) (h & mask);
        Runnable task = (Runnable) SLOT.getAcquire(slots, i);
        if (task == null) {
            return null;
        }
        SLOT.setRelease(slots, i, null);
        head = h + 1;
        return task;
    }

    /** Whether nothing is waiting (a claimed, unpublished task counts as waiting). */
    boolean isEmpty() {
        return tail.get() == head;
    }
}
