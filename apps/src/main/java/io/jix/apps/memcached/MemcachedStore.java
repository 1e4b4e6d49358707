package io.jix.apps.memcached;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The item store shared by every elastic thread: one off-heap region of {@code -m} bytes cut
 * into pages, pages handed to size classes on demand and cut into equal chunks, one item per
 * chunk. A chained hash index of fixed size points at the items.
 *
 * <p>Concurrency without a global lock: the index's buckets are guarded by {@value #STRIPES}
 * striped spin locks (bucket number modulo the stripe count), each size class's free list and
 * LRU list by a spin lock of its own. The order is stripe, then class; eviction, which needs the
 * victim's stripe while holding a class, only tries that lock and passes over the victim if it
 * is taken. A hit does not touch the LRU list: it sets the item's accessed mark, and eviction
 * gives marked items a second chance (moved to the head, mark cleared): CLOCK over each class.
 *
 * <p>Nothing here allocates after construction: keys are hashed and compared where they lie,
 * values copied between the caller's segments and the region.
 */
public final class MemcachedStore {

    /** Status codes of the operations. */
    public static final int STORED = 0, NOT_STORED = 1, EXISTS = 2, NOT_FOUND = 3, TOO_LARGE = 4,
            OUT_OF_MEMORY = 5, DELETED = 6, TOUCHED = 7, HIT = 8, NON_NUMERIC = 9;
    /** Storage modes. */
    public static final int SET = 0, ADD = 1, REPLACE = 2, APPEND = 3, PREPEND = 4, CAS = 5;

    /** memcached's longest key. */
    public static final int MAX_KEY = 250;
    /** Relative expiry times are at most this many seconds; larger ones are absolute unix times. */
    public static final long RELATIVE_LIMIT = 60L * 60 * 24 * 30;

    static final int STRIPES = 1024;
    private static final int PAD = 16; // ints: one lock per 64-byte line

    // Item header, at the start of its chunk.
    private static final long H_NEXT = 0;      // long: next item in the bucket chain, or -1
    private static final long L_PREV = 8;      // long: LRU neighbour toward the head
    private static final long L_NEXT = 16;     // long: LRU neighbour toward the tail
    private static final long CAS_ID = 24;     // long
    private static final long EXPIRY = 32;     // long: ms since the epoch; 0 = never
    private static final long STORED_AT = 40;  // long: ms since the epoch of the last store
    private static final long FLAGS = 48;      // int: the client's 32 bits
    private static final long LENGTH = 52;     // int: value bytes
    private static final long HASH = 56;       // int
    private static final long KEY_LENGTH = 60; // byte (unsigned)
    private static final long CLASS = 61;      // byte
    private static final long ACCESSED = 62;   // byte: hit since eviction last looked
    private static final long META = 63;       // byte: the M_* bits
    private static final long LAST_ACCESS = 64; // long: ms since the epoch of the last fetch or store
    static final int HEADER = 72;

    // META bits, as memcached's item flags of the same names.
    private static final byte M_FETCHED = 1, M_STALE = 2, M_TOKEN_SENT = 4, M_KEY_BINARY = 8;

    /** Options of {@link #get} and {@link #store}, or'ed. */
    public static final int TOUCH = 1, NO_BUMP = 2, VIVIFY = 4, RECACHE = 8, BINARY_KEY = 16, INVALIDATE = 32;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    private final MemorySegment memory;
    private final int itemLimit;
    private final long pageSize;
    private final int pageCount;
    private final AtomicInteger pagesUsed = new AtomicInteger();
    private final int[] chunkSize;
    private final long[] buckets;
    private final int bucketMask;
    private final AtomicIntegerArray stripeLocks = new AtomicIntegerArray(STRIPES * PAD);
    private final AtomicIntegerArray classLocks;
    // Per class, guarded by the class lock.
    private final long[] free;
    private final long[] lruHead;
    private final long[] lruTail;
    private final long[] items;
    private final long[] bytes;
    private final long[] evictions;
    private final long[] totalItems;
    private final AtomicLong casCounter = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();
    private final long inFlightLimit;
    private final LongSupplier clock;
    private volatile long flushCas = 0;
    private volatile long flushAt = Long.MAX_VALUE;

    /**
     * @param memoryBytes the {@code -m} limit: the region holding items (index not counted)
     * @param itemLimit   the largest value, in bytes ({@code -I})
     * @param clock       milliseconds since the epoch
     */
    public MemcachedStore(long memoryBytes, int itemLimit, LongSupplier clock) {
        if (itemLimit < 1) {
            throw new IllegalArgumentException("item size limit must be positive: " + itemLimit);
        }
        this.itemLimit = itemLimit;
        this.clock = clock;
        this.pageSize = Math.max(1 << 20, roundUp(HEADER + MAX_KEY + (long) itemLimit, 4096));
        this.pageCount = (int) Math.min(Integer.MAX_VALUE, memoryBytes / pageSize);
        if (pageCount < 1) {
            throw new IllegalArgumentException("memory limit " + memoryBytes + " is below one page of " + pageSize
                    + " bytes (the item size limit plus overhead)");
        }
        this.memory = Arena.ofAuto().allocate(pageCount * pageSize, 64);
        this.inFlightLimit = Math.max(pageSize, pageCount * pageSize / 2);
        int[] sizes = new int[64];
        int n = 0;
        long size = 96;
        while (size < pageSize / 2 && n < sizes.length - 1) {
            sizes[n++] = (int) size;
            size = roundUp(size * 5 / 4, 8);
        }
        sizes[n++] = (int) pageSize;
        this.chunkSize = Arrays.copyOf(sizes, n);
        this.classLocks = new AtomicIntegerArray(n * PAD);
        this.free = filled(n);
        this.lruHead = filled(n);
        this.lruTail = filled(n);
        this.items = new long[n];
        this.bytes = new long[n];
        this.evictions = new long[n];
        this.totalItems = new long[n];
        int bucketCount = Integer.highestOneBit((int) Math.min(1 << 26, Math.max(STRIPES, memoryBytes / 128)));
        this.buckets = new long[bucketCount];
        Arrays.fill(buckets, -1);
        this.bucketMask = bucketCount - 1;
    }

    private static long[] filled(int n) {
        long[] a = new long[n];
        Arrays.fill(a, -1);
        return a;
    }

    private static long roundUp(long v, long to) {
        return (v + to - 1) / to * to;
    }

    /** The largest value accepted. */
    public int itemLimit() {
        return itemLimit;
    }

    /** Bytes of the item region. */
    public long limitBytes() {
        return pageCount * pageSize;
    }

    /** The hash of a key as it lies (FNV-1a over its bytes). */
    public static int hash(MemorySegment key, long offset, int length) {
        int h = 0x811c9dc5;
        for (int i = 0; i < length; i++) {
            h = (h ^ (key.get(BYTE, offset + i) & 0xff)) * 0x01000193;
        }
        return h ^ (h >>> 15);
    }

    /**
     * Converts a protocol expiry time to an absolute deadline in ms: 0 stays 0 (never); a negative
     * one is already past; up to 30 days is relative to now; larger is a unix time in seconds.
     */
    public long deadline(long exptime) {
        long now = clock.getAsLong();
        if (exptime == 0) {
            return 0;
        }
        if (exptime < 0) {
            return 1;
        }
        if (exptime <= RELATIVE_LIMIT) {
            return now + exptime * 1000;
        }
        long at = exptime * 1000;
        return at <= now ? 1 : at;
    }

    // ---- the operations ----

    /**
     * Looks a key up. On a hit, copies the value into {@code dest} at 0 and fills {@code out};
     * with {@code touch}, sets the item's deadline to {@code deadline} first (gat).
     *
     * @return {@link #HIT} or {@link #NOT_FOUND}
     */
    public int get(MemorySegment key, long keyOffset, int keyLength, boolean touch, long deadline,
                   MemorySegment dest, Found out) {
        return get(key, keyOffset, keyLength, touch, deadline, dest, 0, Integer.MAX_VALUE, out);
    }

    /**
     * {@link #get}, copying only the value's bytes {@code [from, from + max)} (as many as there
     * are) into {@code dest} at 0: a reply streamed through a small output buffer copies each
     * part once. {@code out.length} is still the whole value's length.
     */
    public int get(MemorySegment key, long keyOffset, int keyLength, boolean touch, long deadline,
                   MemorySegment dest, int from, int max, Found out) {
        return get(key, keyOffset, keyLength, touch ? TOUCH : 0, deadline, 0, 0, dest, from, max, out);
    }

    /**
     * The meta get: {@link #get} with {@code options}. {@link #TOUCH} sets the deadline to
     * {@code deadline}; {@link #NO_BUMP} leaves the item's fetched mark, access time and LRU
     * position alone; {@link #VIVIFY} creates an empty item (with {@link #BINARY_KEY}, marked as
     * having a binary key) expiring at {@code vivifyDeadline} on a miss, and hands its win token
     * to this caller; {@link #RECACHE} hands the win token out when the item expires before
     * {@code recacheBefore}. A stale item hands it out once too. {@code out} says what the item
     * was before this call (fetched, last access) and whether this caller won.
     */
    public int get(MemorySegment key, long keyOffset, int keyLength, int options, long deadline, long vivifyDeadline,
                   long recacheBefore, MemorySegment dest, int from, int max, Found out) {
        int hash = hash(key, keyOffset, keyLength);
        int stripe = lockStripe(hash);
        try {
            long item = find(hash, key, keyOffset, keyLength);
            boolean created = false;
            if (item < 0) {
                if ((options & VIVIFY) == 0) {
                    return NOT_FOUND;
                }
                item = allocate(classFor(HEADER + keyLength), stripe, -1);
                if (item < 0) {
                    return NOT_FOUND; // no memory for the stub: a plain miss, as memcached's
                }
                MemorySegment.copy(key, keyOffset, memory, item + HEADER, keyLength);
                fill(item, hash, keyLength, 0, vivifyDeadline, 0, (options & BINARY_KEY) != 0 ? M_KEY_BINARY : 0);
                link(item, hash);
                created = true;
            }
            byte meta = memory.get(BYTE, item + META);
            out.fetched = (meta & M_FETCHED) != 0;
            out.lastAccess = memory.get(LONG, item + LAST_ACCESS);
            if ((options & TOUCH) != 0) {
                memory.set(LONG, item + EXPIRY, deadline);
            }
            long expiry = memory.get(LONG, item + EXPIRY);
            boolean sent = (meta & M_TOKEN_SENT) != 0;
            boolean won = created
                    || ((options & RECACHE) != 0 && !sent && expiry != 0 && expiry < recacheBefore)
                    || ((meta & M_STALE) != 0 && !sent);
            if (won) {
                meta |= M_TOKEN_SENT;
            }
            if ((options & NO_BUMP) == 0) {
                meta |= M_FETCHED;
                memory.set(BYTE, item + ACCESSED, (byte) 1);
                memory.set(LONG, item + LAST_ACCESS, clock.getAsLong());
            }
            memory.set(BYTE, item + META, meta);
            out.tokenSent = sent;
            out.won = won;
            int length = memory.get(INT, item + LENGTH);
            int copy = Math.min(max, length - Math.min(from, length));
            if (copy > 0) {
                MemorySegment.copy(memory, valueAt(item) + from, dest, 0, copy);
            }
            describe(item, out);
            if ((options & TOUCH) != 0 && expired(item, clock.getAsLong())) {
                remove(item, hash); // touched into the past: this fetch still sees it, as memcached's does
            }
            return HIT;
        } finally {
            unlockStripe(stripe);
        }
    }

    /**
     * Stores a value by one of the modes; {@code casUnique} is for {@link #CAS}.
     *
     * @return {@link #STORED}, {@link #NOT_STORED}, {@link #EXISTS}, {@link #NOT_FOUND},
     *     {@link #TOO_LARGE} or {@link #OUT_OF_MEMORY}
     */
    public int store(int mode, MemorySegment key, long keyOffset, int keyLength, int flags, long deadline,
                     MemorySegment data, long dataOffset, int dataLength, long casUnique) {
        return store(mode, key, keyOffset, keyLength, flags, deadline, data, dataOffset, dataLength, casUnique, null);
    }

    /** {@link #store}, and the new item's metadata into {@code out} (if not null) when stored. */
    public int store(int mode, MemorySegment key, long keyOffset, int keyLength, int flags, long deadline,
                     MemorySegment data, long dataOffset, int dataLength, long casUnique, Found out) {
        return store(mode, key, keyOffset, keyLength, flags, deadline, data, dataOffset, dataLength, casUnique, 0, out);
    }

    /**
     * {@link #store} with {@code options}: {@link #BINARY_KEY} marks the key as sent in base64;
     * {@link #INVALIDATE} lets a compare-and-set with a CAS older than the item's store anyway,
     * the new item marked stale (ms's I flag).
     */
    public int store(int mode, MemorySegment key, long keyOffset, int keyLength, int flags, long deadline,
                     MemorySegment data, long dataOffset, int dataLength, long casUnique, int options, Found out) {
        int hash = hash(key, keyOffset, keyLength);
        int stripe = lockStripe(hash);
        try {
            long old = find(hash, key, keyOffset, keyLength);
            int refused = refusal(mode, old, casUnique, options);
            if (refused >= 0) {
                return refused;
            }
            int oldLength = old < 0 ? 0 : memory.get(INT, old + LENGTH);
            long total = (mode == APPEND || mode == PREPEND) ? (long) oldLength + dataLength : dataLength;
            if (total > itemLimit) {
                if (mode == SET && old >= 0) {
                    remove(old, hash); // no stale value outlives a failed set
                }
                return TOO_LARGE;
            }
            int size = HEADER + keyLength + (int) total;
            long item = allocate(classFor(size), stripe, old);
            if (item < 0) {
                if (mode == SET && old >= 0) {
                    remove(old, hash);
                }
                return OUT_OF_MEMORY;
            }
            MemorySegment.copy(key, keyOffset, memory, item + HEADER, keyLength);
            long value = item + HEADER + keyLength;
            if (mode == APPEND) {
                MemorySegment.copy(memory, valueAt(old), memory, value, oldLength);
                MemorySegment.copy(data, dataOffset, memory, value + oldLength, dataLength);
                flags = memory.get(INT, old + FLAGS);
                deadline = memory.get(LONG, old + EXPIRY);
            } else if (mode == PREPEND) {
                MemorySegment.copy(data, dataOffset, memory, value, dataLength);
                MemorySegment.copy(memory, valueAt(old), memory, value + dataLength, oldLength);
                flags = memory.get(INT, old + FLAGS);
                deadline = memory.get(LONG, old + EXPIRY);
            } else {
                MemorySegment.copy(data, dataOffset, memory, value, dataLength);
            }
            return replace(old, item, hash, keyLength, flags, deadline, (int) total, casUnique, options, out);
        } finally {
            unlockStripe(stripe);
        }
    }

    // ---- values that arrive in pieces ----

    /**
     * Sets aside a chunk for a value still arriving: the key is copied in now, the value by
     * {@link #write} as its bytes come, and {@link #commit}
     * or {@link #abandon} ends the reservation. The chunk is in neither the index nor an LRU list,
     * so nothing evicts it. All reservations together hold at most {@link #inFlightLimit()} bytes,
     * so clients that start values and stall cannot take over the whole region.
     *
     * @return the reservation, or -1 when no memory could be had (then, as for a failed set,
     *     the caller answers out of memory)
     */
    public long reserve(MemorySegment key, long keyOffset, int keyLength, int valueLength) {
        int size = HEADER + keyLength + valueLength;
        int cls = classFor(size);
        long chunk = chunkSize[cls];
        if (inFlight.addAndGet(chunk) > inFlightLimit) {
            inFlight.addAndGet(-chunk);
            return -1;
        }
        long item = allocate(cls, -1, -1);
        if (item < 0) {
            inFlight.addAndGet(-chunk);
            return -1;
        }
        MemorySegment.copy(key, keyOffset, memory, item + HEADER, keyLength);
        memory.set(BYTE, item + KEY_LENGTH, (byte) keyLength);
        memory.set(INT, item + LENGTH, valueLength);
        return item;
    }

    /** Copies {@code length} bytes of a reserved value, {@code at} bytes into it. */
    public void write(long reservation, int at, MemorySegment data, long offset, int length) {
        MemorySegment.copy(data, offset, memory, valueAt(reservation) + at, length);
    }

    /**
     * Stores a reserved value, now complete, by {@code mode}, as {@link #store} would; the
     * reservation ends either way.
     */
    public int commit(int mode, long reservation, int flags, long deadline, long casUnique, int options, Found out) {
        long item = reservation;
        int keyLength = memory.get(BYTE, item + KEY_LENGTH) & 0xff;
        int length = memory.get(INT, item + LENGTH);
        int cls = memory.get(BYTE, item + CLASS);
        inFlight.addAndGet(-chunkSize[cls]);
        if (mode == APPEND || mode == PREPEND) {
            // The stored item is old value plus new, of another size: made by store, from here.
            int status = store(mode, memory, item + HEADER, keyLength, flags, deadline, memory, valueAt(item), length,
                    casUnique, options, out);
            freeChunk(cls, item);
            return status;
        }
        int hash = hash(memory, item + HEADER, keyLength);
        int stripe = lockStripe(hash);
        try {
            long old = find(hash, memory, item + HEADER, keyLength);
            int refused = refusal(mode, old, casUnique, options);
            if (refused >= 0) {
                freeChunk(cls, item);
                return refused;
            }
            return replace(old, item, hash, keyLength, flags, deadline, length, casUnique, options, out);
        } finally {
            unlockStripe(stripe);
        }
    }

    /**
     * Puts a filled-in chunk in the place of {@code old} (or of nothing): header, index, LRU; a
     * stale store keeps the old deadline. Holds the stripe.
     */
    private int replace(long old, long item, int hash, int keyLength, int flags, long deadline, int length,
                        long casUnique, int options, Found out) {
        int meta = metaOf(options, old, casUnique);
        fill(item, hash, keyLength, flags, (meta & M_STALE) != 0 ? memory.get(LONG, old + EXPIRY) : deadline, length,
                meta);
        if (old >= 0) {
            remove(old, hash);
        }
        link(item, hash);
        if (out != null) {
            describe(item, out);
        }
        return STORED;
    }

    /** Ends a reservation without storing it (a bad data chunk, a closed connection). */
    public void abandon(long reservation) {
        int cls = memory.get(BYTE, reservation + CLASS);
        inFlight.addAndGet(-chunkSize[cls]);
        freeChunk(cls, reservation);
    }

    /** The most that reservations may hold at once: half the region. */
    public long inFlightLimit() {
        return inFlightLimit;
    }

    /** The chunk an item of this key and value length takes. */
    long chunkBytes(int keyLength, int valueLength) {
        return chunkSize[classFor(HEADER + keyLength + valueLength)];
    }

    /** Bytes reservations hold now. */
    public long inFlightBytes() {
        return inFlight.get();
    }

    private void freeChunk(int cls, long chunk) {
        lockClass(cls);
        try {
            memory.set(LONG, chunk + H_NEXT, free[cls]);
            free[cls] = chunk;
        } finally {
            unlockClass(cls);
        }
    }

    /** {@link #NOT_FOUND} without the item (-1), {@link #EXISTS} when a CAS unique is given and differs, else -1. */
    private int absentOrChanged(long item, long casUnique) {
        if (item < 0) {
            return NOT_FOUND;
        }
        return casUnique != 0 && memory.get(LONG, item + CAS_ID) != casUnique ? EXISTS : -1;
    }

    /** Why {@code mode} may not store over {@code old} (-1: not there), or -1 when it may; holds the stripe. */
    private int refusal(int mode, long old, long casUnique, int options) {
        switch (mode) {
            case ADD -> {
                if (old >= 0) {
                    memory.set(BYTE, old + ACCESSED, (byte) 1); // memcached bumps on a failed add
                    return NOT_STORED;
                }
            }
            case REPLACE -> {
                if (old < 0) {
                    return NOT_STORED;
                }
            }
            case APPEND, PREPEND -> {
                if (old < 0) {
                    return NOT_STORED;
                }
                if (casUnique != 0 && memory.get(LONG, old + CAS_ID) != casUnique) {
                    return EXISTS; // ms's A and P modes with C
                }
            }
            case CAS -> {
                if (old < 0) {
                    return NOT_FOUND;
                }
                long current = memory.get(LONG, old + CAS_ID);
                if (current != casUnique && !((options & INVALIDATE) != 0 && casUnique < current)) {
                    return EXISTS;
                }
            }
            default -> {
            }
        }
        return -1;
    }

    /**
     * The META bits of an item stored with {@code options} over {@code old}. A stale store (ms
     * with I and an older CAS) keeps the old item's token-sent mark, and its caller keeps its
     * deadline, as memcached does.
     */
    private int metaOf(int options, long old, long casUnique) {
        int meta = (options & BINARY_KEY) != 0 ? M_KEY_BINARY : 0;
        if ((options & INVALIDATE) != 0 && old >= 0 && casUnique != 0 && casUnique < memory.get(LONG, old + CAS_ID)) {
            meta |= M_STALE | (memory.get(BYTE, old + META) & M_TOKEN_SENT);
        }
        return meta;
    }

    /**
     * md's I flag: marks the item stale and gives it a new CAS unique, so the next meta get wins
     * the right to recache it; with {@code hasTtl}, its deadline becomes {@code deadline}.
     *
     * @return {@link #DELETED} (marked), {@link #EXISTS} (another CAS) or {@link #NOT_FOUND}
     */
    public int invalidate(MemorySegment key, long keyOffset, int keyLength, long casUnique, boolean hasTtl,
                          long deadline) {
        int hash = hash(key, keyOffset, keyLength);
        int stripe = lockStripe(hash);
        try {
            long item = find(hash, key, keyOffset, keyLength);
            int refused = absentOrChanged(item, casUnique);
            if (refused >= 0) {
                return refused;
            }
            byte meta = memory.get(BYTE, item + META);
            memory.set(BYTE, item + META, (byte) ((meta | M_STALE) & ~M_TOKEN_SENT));
            memory.set(LONG, item + CAS_ID, casCounter.incrementAndGet());
            if (hasTtl) {
                memory.set(LONG, item + EXPIRY, deadline);
            }
            return DELETED;
        } finally {
            unlockStripe(stripe);
        }
    }

    /** @return {@link #DELETED} or {@link #NOT_FOUND} */
    public int delete(MemorySegment key, long keyOffset, int keyLength) {
        return delete(key, keyOffset, keyLength, 0);
    }

    /**
     * Deletes if the item's CAS unique is {@code casUnique} (0: whatever it is).
     *
     * @return {@link #DELETED}, {@link #EXISTS} (another CAS) or {@link #NOT_FOUND}
     */
    public int delete(MemorySegment key, long keyOffset, int keyLength, long casUnique) {
        int hash = hash(key, keyOffset, keyLength);
        int stripe = lockStripe(hash);
        try {
            long item = find(hash, key, keyOffset, keyLength);
            int refused = absentOrChanged(item, casUnique);
            if (refused >= 0) {
                return refused;
            }
            remove(item, hash);
            return DELETED;
        } finally {
            unlockStripe(stripe);
        }
    }

    /** @return {@link #TOUCHED} or {@link #NOT_FOUND} */
    public int touch(MemorySegment key, long keyOffset, int keyLength, long deadline) {
        int hash = hash(key, keyOffset, keyLength);
        int stripe = lockStripe(hash);
        try {
            long item = find(hash, key, keyOffset, keyLength);
            if (item < 0) {
                return NOT_FOUND;
            }
            memory.set(LONG, item + EXPIRY, deadline);
            if (expired(item, clock.getAsLong())) {
                remove(item, hash);
            }
            return TOUCHED;
        } finally {
            unlockStripe(stripe);
        }
    }

    /**
     * incr or decr: the value must be a decimal of at most 20 digits below 2^64. incr wraps at
     * 2^64, decr stops at 0. The new value's digits go to {@code dest} at 0, their count to
     * {@code out.length}.
     *
     * @return {@link #STORED}, {@link #NOT_FOUND}, {@link #NON_NUMERIC} or {@link #OUT_OF_MEMORY}
     */
    public int arithmetic(MemorySegment key, long keyOffset, int keyLength, boolean increment, long delta,
                          MemorySegment dest, Found out) {
        return arithmetic(key, keyOffset, keyLength, increment, delta, 0, dest, out);
    }

    /** {@link #arithmetic}, only if the item's CAS unique is {@code casUnique} (0: whatever it is), else {@link #EXISTS}. */
    public int arithmetic(MemorySegment key, long keyOffset, int keyLength, boolean increment, long delta,
                          long casUnique, MemorySegment dest, Found out) {
        int hash = hash(key, keyOffset, keyLength);
        int stripe = lockStripe(hash);
        try {
            long item = find(hash, key, keyOffset, keyLength);
            int refused = absentOrChanged(item, casUnique);
            if (refused >= 0) {
                return refused;
            }
            int length = memory.get(INT, item + LENGTH);
            if (!Numbers.ok(memory, valueAt(item), length)) {
                return NON_NUMERIC;
            }
            long value = Numbers.parseUnsigned(memory, valueAt(item), length);
            long result;
            if (increment) {
                result = value + delta;
            } else {
                result = Long.compareUnsigned(value, delta) < 0 ? 0 : value - delta;
            }
            int digits = Numbers.format(result, dest, 0);
            int size = HEADER + keyLength + digits;
            int cls = memory.get(BYTE, item + CLASS);
            if (size <= chunkSize[cls]) {
                // In place: every reader holds this stripe's lock too.
                MemorySegment.copy(dest, 0, memory, valueAt(item), digits);
                memory.set(INT, item + LENGTH, digits);
                memory.set(LONG, item + CAS_ID, casCounter.incrementAndGet());
                adjustBytes(cls, digits - length);
            } else {
                long fresh = allocate(classFor(size), stripe, item);
                if (fresh < 0) {
                    return OUT_OF_MEMORY;
                }
                MemorySegment.copy(memory, item + HEADER, memory, fresh + HEADER, keyLength);
                MemorySegment.copy(dest, 0, memory, fresh + HEADER + keyLength, digits);
                fill(fresh, hash, keyLength, memory.get(INT, item + FLAGS), memory.get(LONG, item + EXPIRY), digits,
                        memory.get(BYTE, item + META) & M_KEY_BINARY);
                remove(item, hash);
                link(fresh, hash);
            }
            long current = find(hash, key, keyOffset, keyLength);
            if (current >= 0) {
                describe(current, out);
            }
            out.length = digits;
            return STORED;
        } finally {
            unlockStripe(stripe);
        }
    }

    /** Invalidates every item stored before now, or, with a positive delay, before then. */
    public void flushAll(long delaySeconds) {
        if (delaySeconds <= 0) {
            flushCas = casCounter.get();
        } else {
            flushAt = deadline(delaySeconds);
        }
    }

    /** The next CAS unique; for tests. */
    long peekCas() {
        return casCounter.get();
    }

    /** Items, bytes, evictions and items ever stored, summed over the classes (racy; for stats). */
    public long[] totals() {
        long[] t = new long[4];
        for (int c = 0; c < chunkSize.length; c++) {
            t[0] += items[c];
            t[1] += bytes[c];
            t[2] += evictions[c];
            t[3] += totalItems[c];
        }
        return t;
    }

    private void describe(long item, Found out) {
        byte meta = memory.get(BYTE, item + META);
        out.stale = (meta & M_STALE) != 0;
        out.binaryKey = (meta & M_KEY_BINARY) != 0;
        out.flags = memory.get(INT, item + FLAGS);
        out.cas = memory.get(LONG, item + CAS_ID);
        out.length = memory.get(INT, item + LENGTH);
        out.deadline = memory.get(LONG, item + EXPIRY);
        out.itemClass = memory.get(BYTE, item + CLASS);
    }

    /** An item's metadata, filled by {@link #get}, {@link #arithmetic} and a successful {@link #store}. */
    public static final class Found {
        public int flags;
        public long cas;
        public int length;
        /** ms since the epoch; 0 = never. */
        public long deadline;
        public int itemClass;
        /** Marked stale by md's I flag (or a stale ms). */
        public boolean stale;
        /** Its key was sent in base64 (the b flag) when stored. */
        public boolean binaryKey;
        // Set by the meta get only: the item before this call, and whether this caller won the recache token.
        public boolean fetched;
        public long lastAccess;
        public boolean tokenSent;
        public boolean won;

        /** An empty holder, reused for every lookup of one thread. */
        public Found() {
        }
    }

    // ---- the index ----

    private long find(int hash, MemorySegment key, long keyOffset, int keyLength) {
        long item = buckets[hash & bucketMask];
        while (item >= 0) {
            if (memory.get(INT, item + HASH) == hash && (memory.get(BYTE, item + KEY_LENGTH) & 0xff) == keyLength
                    && MemorySegment.mismatch(memory, item + HEADER, item + HEADER + keyLength,
                    key, keyOffset, keyOffset + keyLength) < 0) {
                if (expired(item, clock.getAsLong())) {
                    remove(item, hash);
                    return -1;
                }
                return item;
            }
            item = memory.get(LONG, item + H_NEXT);
        }
        return -1;
    }

    private boolean expired(long item, long now) {
        long deadline = memory.get(LONG, item + EXPIRY);
        if (deadline != 0 && deadline <= now) {
            return true;
        }
        if (memory.get(LONG, item + CAS_ID) <= flushCas) {
            return true;
        }
        long at = flushAt;
        return at <= now && memory.get(LONG, item + STORED_AT) < at;
    }

    private void fill(long item, int hash, int keyLength, int flags, long deadline, int length, int meta) {
        long now = clock.getAsLong();
        memory.set(LONG, item + CAS_ID, casCounter.incrementAndGet());
        memory.set(LONG, item + EXPIRY, deadline);
        memory.set(LONG, item + STORED_AT, now);
        memory.set(LONG, item + LAST_ACCESS, now);
        memory.set(BYTE, item + META, (byte) meta);
        memory.set(INT, item + FLAGS, flags);
        memory.set(INT, item + LENGTH, length);
        memory.set(INT, item + HASH, hash);
        memory.set(BYTE, item + KEY_LENGTH, (byte) keyLength);
        memory.set(BYTE, item + ACCESSED, (byte) 0);
    }

    private long valueAt(long item) {
        return item + HEADER + (memory.get(BYTE, item + KEY_LENGTH) & 0xff);
    }

    /** Puts an item at the head of its bucket and its class's LRU list; holds its stripe. */
    private void link(long item, int hash) {
        int b = hash & bucketMask;
        memory.set(LONG, item + H_NEXT, buckets[b]);
        buckets[b] = item;
        int cls = memory.get(BYTE, item + CLASS);
        lockClass(cls);
        try {
            lruPush(cls, item);
            items[cls]++;
            totalItems[cls]++;
            bytes[cls] += HEADER + (memory.get(BYTE, item + KEY_LENGTH) & 0xff) + memory.get(INT, item + LENGTH);
        } finally {
            unlockClass(cls);
        }
    }

    /** Takes an item out of the index and frees its chunk; holds its stripe. */
    private void remove(long item, int hash) {
        unchain(item, hash);
        int cls = memory.get(BYTE, item + CLASS);
        lockClass(cls);
        try {
            release(cls, item);
        } finally {
            unlockClass(cls);
        }
    }

    private void unchain(long item, int hash) {
        int b = hash & bucketMask;
        long at = buckets[b];
        if (at == item) {
            buckets[b] = memory.get(LONG, item + H_NEXT);
            return;
        }
        while (at >= 0) {
            long next = memory.get(LONG, at + H_NEXT);
            if (next == item) {
                memory.set(LONG, at + H_NEXT, memory.get(LONG, item + H_NEXT));
                return;
            }
            at = next;
        }
        throw new IllegalStateException("item not in its bucket");
    }

    /** LRU out, counters down, chunk to the free list; holds the class. */
    private void release(int cls, long item) {
        lruUnlink(cls, item);
        items[cls]--;
        bytes[cls] -= HEADER + (memory.get(BYTE, item + KEY_LENGTH) & 0xff) + memory.get(INT, item + LENGTH);
        memory.set(LONG, item + H_NEXT, free[cls]);
        free[cls] = item;
    }

    private void adjustBytes(int cls, int delta) {
        lockClass(cls);
        bytes[cls] += delta;
        unlockClass(cls);
    }

    // ---- memory ----

    private int classFor(int size) {
        for (int c = 0; c < chunkSize.length; c++) {
            if (chunkSize[c] >= size) {
                return c;
            }
        }
        throw new IllegalStateException("item of " + size + " bytes exceeds the page");
    }

    /**
     * A free chunk of a class: from its free list, a fresh page, or by evicting from its LRU
     * tail. Holds {@code stripe}; never evicts {@code keep}.
     *
     * @return the chunk, or -1 when nothing could be freed
     */
    private long allocate(int cls, int stripe, long keep) {
        lockClass(cls);
        try {
            if (free[cls] < 0) {
                carvePage(cls);
            }
            if (free[cls] < 0) {
                evict(cls, stripe, keep);
            }
            long chunk = free[cls];
            if (chunk < 0) {
                return -1;
            }
            free[cls] = memory.get(LONG, chunk + H_NEXT);
            memory.set(BYTE, chunk + CLASS, (byte) cls);
            return chunk;
        } finally {
            unlockClass(cls);
        }
    }

    private void carvePage(int cls) {
        int page = pagesUsed.getAndIncrement();
        if (page >= pageCount) {
            pagesUsed.set(pageCount); // keeps the counter from creeping toward overflow
            return;
        }
        long base = page * pageSize;
        long size = chunkSize[cls];
        for (long at = base + (pageSize / size - 1) * size; at >= base; at -= size) {
            memory.set(LONG, at + H_NEXT, free[cls]);
            free[cls] = at;
        }
    }

    /** Frees one item from the class's tail: expired first, then not recently hit. Holds the class. */
    private void evict(int cls, int stripe, long keep) {
        long now = clock.getAsLong();
        long at = lruTail[cls];
        for (int tries = 0; tries < 50 && at >= 0; tries++) {
            long prev = memory.get(LONG, at + L_PREV);
            if (at != keep) {
                boolean dead = expired(at, now);
                if (!dead && memory.get(BYTE, at + ACCESSED) != 0) {
                    memory.set(BYTE, at + ACCESSED, (byte) 0); // second chance
                    lruUnlink(cls, at);
                    lruPush(cls, at);
                } else {
                    int hash = memory.get(INT, at + HASH);
                    int victimStripe = stripeOf(hash);
                    if (victimStripe == stripe || tryLockStripe(victimStripe)) {
                        unchain(at, hash);
                        if (victimStripe != stripe) {
                            unlockStripe(victimStripe);
                        }
                        release(cls, at);
                        if (!dead) {
                            evictions[cls]++;
                        }
                        return;
                    }
                }
            }
            at = prev;
        }
    }

    private void lruPush(int cls, long item) {
        long head = lruHead[cls];
        memory.set(LONG, item + L_PREV, -1L);
        memory.set(LONG, item + L_NEXT, head);
        if (head >= 0) {
            memory.set(LONG, head + L_PREV, item);
        } else {
            lruTail[cls] = item;
        }
        lruHead[cls] = item;
    }

    private void lruUnlink(int cls, long item) {
        long prev = memory.get(LONG, item + L_PREV);
        long next = memory.get(LONG, item + L_NEXT);
        if (prev >= 0) {
            memory.set(LONG, prev + L_NEXT, next);
        } else {
            lruHead[cls] = next;
        }
        if (next >= 0) {
            memory.set(LONG, next + L_PREV, prev);
        } else {
            lruTail[cls] = prev;
        }
    }

    // ---- locks ----

    private int stripeOf(int hash) {
        return (hash & bucketMask) & (STRIPES - 1);
    }

    private int lockStripe(int hash) {
        int stripe = stripeOf(hash);
        spin(stripeLocks, stripe * PAD);
        return stripe;
    }

    private boolean tryLockStripe(int stripe) {
        return stripeLocks.compareAndSet(stripe * PAD, 0, 1);
    }

    private void unlockStripe(int stripe) {
        stripeLocks.set(stripe * PAD, 0);
    }

    private void lockClass(int cls) {
        spin(classLocks, cls * PAD);
    }

    private void unlockClass(int cls) {
        classLocks.set(cls * PAD, 0);
    }

    private static void spin(AtomicIntegerArray locks, int index) {
        int spins = 0;
        while (!locks.compareAndSet(index, 0, 1)) {
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }
}
