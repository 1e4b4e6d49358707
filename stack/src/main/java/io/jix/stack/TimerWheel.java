package io.jix.stack;

/**
 * A hierarchical timing wheel (Varghese and Lauck) as IX uses for TCP: three levels of 256 slots,
 * level 0 ticking every {@code tickNanos} (IX: 16 µs), so level 0 spans 256 ticks, level 1
 * 65,536 and level 2 16.7 million (about 4.5 minutes at 16 µs); later deadlines are held at the
 * far edge and re-placed as the wheel reaches them. Timers are preallocated int ids, each with a
 * {@code long} of the owner's data, linked into their slot through int arrays: scheduling,
 * cancelling and expiring allocate nothing and cost O(1) each (plus one re-placement per level
 * a timer descends).
 *
 * <p>A timer fires at the first {@link #advance} whose time is at or past its deadline rounded
 * up to a tick; never early.
 */
public final class TimerWheel {

    /** Receives expired timers. */
    @FunctionalInterface
    public interface Expiry {
        /** Timer {@code timer}, carrying {@code data}, is due; it may be rescheduled from here. */
        void expired(int timer, long data);
    }

    private static final int LEVELS = 3;
    private static final int SLOTS = 256;
    private static final int NONE = -1;
    private static final long MAX_DELTA = (1L << 24) - 1;

    private final long tickNanos;
    private final long origin;
    private long now; // the last tick processed

    private final int[] head = new int[LEVELS * SLOTS];
    private final int[] next;
    private final int[] prev;
    private final int[] slot;      // where a pending timer is linked, or NONE
    private final long[] deadline; // in ticks
    private final long[] data;
    private final boolean[] allocated;
    private final int[] freeList;
    private int freeCount;
    private int pending;

    /**
     * @param capacity  how many timers may exist
     * @param tickNanos the granularity of level 0
     * @param startNanos the clock reading that is tick 0
     */
    public TimerWheel(int capacity, long tickNanos, long startNanos) {
        if (tickNanos <= 0) {
            throw new IllegalArgumentException("tick must be positive: " + tickNanos);
        }
        this.tickNanos = tickNanos;
        this.origin = startNanos;
        next = new int[capacity];
        prev = new int[capacity];
        slot = new int[capacity];
        deadline = new long[capacity];
        data = new long[capacity];
        allocated = new boolean[capacity];
        freeList = new int[capacity];
        java.util.Arrays.fill(head, NONE);
        for (int i = 0; i < capacity; i++) {
            freeList[i] = capacity - 1 - i;
            slot[i] = NONE;
        }
        freeCount = capacity;
    }

    /** A new, unscheduled timer carrying {@code payload}; -1 when all are in use. */
    public int allocate(long payload) {
        if (freeCount == 0) {
            return NONE;
        }
        int t = freeList[--freeCount];
        allocated[t] = true;
        data[t] = payload;
        return t;
    }

    /** Cancels (if pending) and frees a timer. */
    public void free(int timer) {
        check(timer);
        cancel(timer);
        allocated[timer] = false;
        freeList[freeCount++] = timer;
    }

    /** Schedules (or moves) a timer to fire at {@code deadlineNanos}. */
    public void schedule(int timer, long deadlineNanos) {
        check(timer);
        cancel(timer);
        long at = Math.ceilDiv(deadlineNanos - origin, tickNanos);
        deadline[timer] = Math.max(at, now + 1);
        place(timer);
        pending++;
    }

    /** Unschedules a timer; harmless if it is not pending. */
    public void cancel(int timer) {
        check(timer);
        if (slot[timer] != NONE) {
            unlink(timer);
            pending--;
        }
    }

    /** Whether a timer is scheduled and has not fired. */
    public boolean isPending(int timer) {
        return allocated[timer] && slot[timer] != NONE;
    }

    /** The data a timer carries. */
    public long data(int timer) {
        return data[timer];
    }

    /** Timers scheduled and not yet fired. */
    public int pending() {
        return pending;
    }

    /**
     * Moves the wheel to {@code nowNanos}, firing every timer now due, in deadline-tick order.
     *
     * @return how many fired
     */
    public int advance(long nowNanos, Expiry expiry) {
        long target = Math.floorDiv(nowNanos - origin, tickNanos);
        int fired = 0;
        while (now < target) {
            if (pending == 0) {
                now = target; // nothing to cascade or fire on the way
                break;
            }
            now++;
            int i0 = (int) (now & (SLOTS - 1));
            if (i0 == 0) {
                int i1 = (int) ((now >>> 8) & (SLOTS - 1));
                if (i1 == 0) {
                    cascade(2 * SLOTS + (int) ((now >>> 16) & (SLOTS - 1)));
                }
                cascade(SLOTS + i1);
            }
            int t;
            while ((t = head[i0]) != NONE) {
                unlink(t);
                if (deadline[t] > now) {
                    place(t); // a far deadline held at the edge: re-place, do not fire
                    continue;
                }
                pending--;
                fired++;
                expiry.expired(t, data[t]);
            }
        }
        return fired;
    }

    private void cascade(int s) {
        int t = head[s];
        head[s] = NONE;
        while (t != NONE) {
            int n = next[t];
            slot[t] = NONE;
            place(t);
            t = n;
        }
    }

    private void place(int t) {
        long delta = Math.min(deadline[t] - now, MAX_DELTA);
        long at = now + Math.max(delta, 0); // 0 only while cascading: due at this very tick
        int s;
        if (delta < SLOTS) {
            s = (int) (at & (SLOTS - 1));
        } else if (delta < SLOTS * SLOTS) {
            s = SLOTS + (int) ((at >>> 8) & (SLOTS - 1));
        } else {
            s = 2 * SLOTS + (int) ((at >>> 16) & (SLOTS - 1));
        }
        slot[t] = s;
        prev[t] = NONE;
        next[t] = head[s];
        if (head[s] != NONE) {
            prev[head[s]] = t;
        }
        head[s] = t;
    }

    private void unlink(int t) {
        int s = slot[t];
        if (prev[t] != NONE) {
            next[prev[t]] = next[t];
        } else {
            head[s] = next[t];
        }
        if (next[t] != NONE) {
            prev[next[t]] = prev[t];
        }
        slot[t] = NONE;
    }

    private void check(int timer) {
        if (timer < 0 || timer >= allocated.length || !allocated[timer]) {
            throw new IllegalArgumentException("timer " + timer + " is not allocated");
        }
    }
}
