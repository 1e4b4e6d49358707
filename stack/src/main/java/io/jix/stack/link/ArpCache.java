package io.jix.stack.link;

import io.jix.stack.FlowTable;

/**
 * The ARP cache of one stack (RFC 826): IPv4 address to MAC, with the packets held while an
 * address resolves. Entries are int indices into preallocated arrays, found through a
 * {@link FlowTable} keyed by the address; held packets are (frame, data offset, length) triples
 * linked in arrival order per entry, bounded per entry and over the whole cache. Nothing here
 * sends or schedules: the {@link io.jix.stack.NetStack} drives the protocol and the timers.
 */
public final class ArpCache {

    /** No entry. */
    public static final int MISSING = -1;
    /** Entry states. */
    public static final int FREE = 0;
    /** Requests sent, no answer yet: packets are held. */
    public static final int RESOLVING = 1;
    /** Answered (or learned) and not expired. */
    public static final int REACHABLE = 2;
    /** Expired while in use: still used, unicast requests ask the owner to confirm. */
    public static final int REFRESHING = 3;
    /** Configured; never expires, never overwritten by ARP traffic. */
    public static final int STATIC = 4;

    private final FlowTable index;
    private final int[] ip;
    private final long[] mac;
    private final int[] state;
    private final int[] timer;
    private final int[] tries;
    private final boolean[] used;
    private final int[] freeEntries;
    private int freeEntryCount;

    private final int perEntry;
    private final int[] heldHead;
    private final int[] heldTail;
    private final int[] heldCount;
    private final int[] heldFrame;
    private final int[] heldOffset;
    private final int[] heldLength;
    private final int[] heldNext;
    private final int[] freeHeld;
    private int freeHeldCount;

    /**
     * @param entries   addresses the cache holds at most
     * @param perEntry  packets held per resolving address at most
     * @param heldTotal packets held over all addresses at most
     */
    public ArpCache(int entries, int perEntry, int heldTotal) {
        if (entries < 1 || perEntry < 0 || heldTotal < 0) {
            throw new IllegalArgumentException("entries >= 1, hold limits >= 0");
        }
        index = new FlowTable(entries);
        ip = new int[entries];
        mac = new long[entries];
        state = new int[entries];
        timer = new int[entries];
        tries = new int[entries];
        used = new boolean[entries];
        freeEntries = new int[entries];
        heldHead = new int[entries];
        heldTail = new int[entries];
        heldCount = new int[entries];
        for (int i = 0; i < entries; i++) {
            freeEntries[i] = entries - 1 - i;
            timer[i] = -1;
            heldHead[i] = heldTail[i] = MISSING;
        }
        freeEntryCount = entries;
        this.perEntry = perEntry;
        heldFrame = new int[heldTotal];
        heldOffset = new int[heldTotal];
        heldLength = new int[heldTotal];
        heldNext = new int[heldTotal];
        freeHeld = new int[heldTotal];
        for (int i = 0; i < heldTotal; i++) {
            freeHeld[i] = heldTotal - 1 - i;
        }
        freeHeldCount = heldTotal;
    }

    /** The entry for {@code address}, or {@link #MISSING}. */
    public int find(int address) {
        return index.get(address & 0xffff_ffffL, 0);
    }

    /** A new entry (the caller checked there is none) in {@code newState}; {@link #MISSING} when full. */
    public int add(int address, int newState, long newMac) {
        if (freeEntryCount == 0) {
            return MISSING;
        }
        int e = freeEntries[--freeEntryCount];
        if (!index.put(address & 0xffff_ffffL, 0, e)) {
            freeEntries[freeEntryCount++] = e;
            return MISSING;
        }
        ip[e] = address;
        mac[e] = newMac;
        state[e] = newState;
        tries[e] = 0;
        used[e] = false;
        return e;
    }

    /** Frees an entry; its held packets must have been taken and its timer freed by the caller. */
    public void remove(int e) {
        if (heldCount[e] != 0) {
            throw new IllegalStateException("entry " + e + " still holds " + heldCount[e] + " packets");
        }
        index.remove(ip[e] & 0xffff_ffffL, 0);
        state[e] = FREE;
        timer[e] = -1;
        freeEntries[freeEntryCount++] = e;
    }

    /**
     * Holds a packet on a resolving entry.
     *
     * @return false when the entry or the cache holds the most allowed (the caller drops it)
     */
    public boolean hold(int e, int frame, int offset, int length) {
        if (heldCount[e] >= perEntry || freeHeldCount == 0) {
            return false;
        }
        int h = freeHeld[--freeHeldCount];
        heldFrame[h] = frame;
        heldOffset[h] = offset;
        heldLength[h] = length;
        heldNext[h] = MISSING;
        if (heldTail[e] == MISSING) {
            heldHead[e] = h;
        } else {
            heldNext[heldTail[e]] = h;
        }
        heldTail[e] = h;
        heldCount[e]++;
        return true;
    }

    /**
     * Takes the oldest held packet of an entry: its slot, to read with {@link #heldFrame},
     * {@link #heldOffset}, {@link #heldLength} before the next {@link #hold}; {@link #MISSING} when none.
     */
    public int takeHeld(int e) {
        int h = heldHead[e];
        if (h == MISSING) {
            return MISSING;
        }
        heldHead[e] = heldNext[h];
        if (heldHead[e] == MISSING) {
            heldTail[e] = MISSING;
        }
        heldCount[e]--;
        freeHeld[freeHeldCount++] = h;
        return h;
    }

    public int heldFrame(int slot) {
        return heldFrame[slot];
    }

    public int heldOffset(int slot) {
        return heldOffset[slot];
    }

    public int heldLength(int slot) {
        return heldLength[slot];
    }

    /** Packets held on an entry. */
    public int heldCount(int e) {
        return heldCount[e];
    }

    /** Packets held over the whole cache. */
    public int heldTotal() {
        return heldFrame.length - freeHeldCount;
    }

    public int address(int e) {
        return ip[e];
    }

    public long mac(int e) {
        return mac[e];
    }

    public void mac(int e, long m) {
        mac[e] = m;
    }

    public int state(int e) {
        return state[e];
    }

    public void state(int e, int s) {
        state[e] = s;
    }

    /** The entry's timer id in the stack's wheel, or -1. */
    public int timer(int e) {
        return timer[e];
    }

    public void timer(int e, int t) {
        timer[e] = t;
    }

    /** Requests sent in the current resolving or refreshing round. */
    public int tries(int e) {
        return tries[e];
    }

    public void tries(int e, int n) {
        tries[e] = n;
    }

    /** Whether a packet was sent through the entry since it was last confirmed. */
    public boolean used(int e) {
        return used[e];
    }

    public void used(int e, boolean u) {
        used[e] = u;
    }

    /** Entries in use. */
    public int size() {
        return ip.length - freeEntryCount;
    }

    /** Entries the cache holds at most. */
    public int capacity() {
        return ip.length;
    }
}
