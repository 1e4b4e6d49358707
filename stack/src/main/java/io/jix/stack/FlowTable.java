package io.jix.stack;

import java.security.SecureRandom;

/**
 * One elastic thread's connections by IPv4 4-tuple: open addressing with linear probing and
 * backward-shift deletion (no tombstones), keys as two longs, values as ints (connection slots).
 * Lookups allocate nothing. The hash is keyed with a per-table random secret so that a peer
 * cannot choose tuples that all collide (hash flooding). Load stays at most one half.
 */
public final class FlowTable {

    /** Returned by {@link #get} and {@link #remove} for a missing key. */
    public static final int MISSING = -1;

    private final long[] k1;
    private final long[] k2;
    private final int[] value;
    private final int mask;
    private final int limit;
    private final long secret;
    private int size;

    /** A table for up to {@code maxFlows} flows. */
    public FlowTable(int maxFlows) {
        int capacity = Integer.highestOneBit(Math.max(4, maxFlows) * 2 - 1) << 1;
        k1 = new long[capacity];
        k2 = new long[capacity];
        value = new int[capacity];
        java.util.Arrays.fill(value, MISSING);
        mask = capacity - 1;
        limit = maxFlows;
        secret = new SecureRandom().nextLong() | 1;
    }

    /** The first half of a key: both IPv4 addresses. */
    public static long key1(int localAddress, int remoteAddress) {
        return (long) localAddress << 32 | (remoteAddress & 0xffff_ffffL);
    }

    /** The second half of a key: both ports. */
    public static long key2(int localPort, int remotePort) {
        return (long) localPort << 16 | remotePort;
    }

    /** The value for a key, or {@link #MISSING}. */
    public int get(long a, long b) {
        for (int i = index(a, b); ; i = (i + 1) & mask) {
            if (value[i] == MISSING) {
                return MISSING;
            }
            if (k1[i] == a && k2[i] == b) {
                return value[i];
            }
        }
    }

    /**
     * Adds a flow.
     *
     * @return false when the key is present already or the table holds its maximum
     */
    public boolean put(long a, long b, int v) {
        if (v < 0) {
            throw new IllegalArgumentException("values must be non-negative: " + v);
        }
        if (size == limit) {
            return false;
        }
        int i = index(a, b);
        while (value[i] != MISSING) {
            if (k1[i] == a && k2[i] == b) {
                return false;
            }
            i = (i + 1) & mask;
        }
        k1[i] = a;
        k2[i] = b;
        value[i] = v;
        size++;
        return true;
    }

    /** Removes a flow; returns its value or {@link #MISSING}. */
    public int remove(long a, long b) {
        int i = index(a, b);
        while (value[i] != MISSING) {
            if (k1[i] == a && k2[i] == b) {
                int v = value[i];
                shiftBack(i);
                size--;
                return v;
            }
            i = (i + 1) & mask;
        }
        return MISSING;
    }

    public int size() {
        return size;
    }

    /** Flows the table accepts at most. */
    public int capacity() {
        return limit;
    }

    // Backward-shift deletion: pull later members of the probe run into the hole when their home
    // slot is not between the hole and their position, so every lookup's run stays unbroken.
    private void shiftBack(int hole) {
        int i = hole;
        while (true) {
            i = (i + 1) & mask;
            if (value[i] == MISSING) {
                break;
            }
            int home = index(k1[i], k2[i]);
            boolean movable = ((i - home) & mask) >= ((i - hole) & mask);
            if (movable) {
                k1[hole] = k1[i];
                k2[hole] = k2[i];
                value[hole] = value[i];
                hole = i;
            }
        }
        value[hole] = MISSING;
    }

    private int index(long a, long b) {
        long h = (a ^ Long.rotateLeft(b, 29)) * secret;
        h ^= h >>> 31;
        h *= 0x9e3779b97f4a7c15L;
        return (int) (h ^ h >>> 32) & mask;
    }
}
