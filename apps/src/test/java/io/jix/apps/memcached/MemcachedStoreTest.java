package io.jix.apps.memcached;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The store against a plain model, under eviction, and shared by threads. */
class MemcachedStoreTest {

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final MemorySegment dest = Arena.ofAuto().allocate(1 << 20);
    private final MemcachedStore.Found found = new MemcachedStore.Found();

    private record Entry(byte[] value, int flags, long deadline, long cas) {
    }

    private static MemorySegment seg(String s) {
        return MemorySegment.ofArray(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static MemorySegment seg(byte[] b) {
        return MemorySegment.ofArray(b);
    }

    @Test
    void randomOperationsAgreeWithAModel() {
        for (long seed = 1; seed <= 5; seed++) {
            runModel(seed);
        }
    }

    private void runModel(long seed) {
        MemcachedStore store = new MemcachedStore(64L << 20, 4096, now::get);
        Map<String, Entry> model = new HashMap<>();
        Random r = new Random(seed);
        for (int step = 0; step < 20_000; step++) {
            String key = "key" + r.nextInt(50);
            MemorySegment k = seg(key);
            int klen = (int) k.byteSize();
            now.addAndGet(r.nextInt(300)); // time moves: items with short lifetimes expire
            long t = now.get();
            Entry e = model.get(key);
            if (e != null && e.deadline != 0 && e.deadline <= t) {
                model.remove(key);
                e = null;
            }
            int op = r.nextInt(10);
            String what = "seed " + seed + " step " + step + " op " + op + " key " + key;
            switch (op) {
                case 0, 1, 2, 3 -> {
                    int mode = r.nextInt(6);
                    byte[] value = new byte[r.nextInt(3) == 0 ? r.nextInt(4096) : r.nextInt(20)];
                    r.nextBytes(value);
                    if (r.nextBoolean()) {
                        value = Long.toString(r.nextLong() >>> 1).getBytes(StandardCharsets.US_ASCII);
                    }
                    int flags = r.nextInt();
                    long exptime = r.nextInt(4) == 0 ? r.nextInt(5) - 1 : 0; // 0 never, -1 dead, 1-3 s
                    long deadline = store.deadline(exptime);
                    long cas = e != null && r.nextBoolean() ? e.cas : r.nextInt(1000);
                    if ((mode == MemcachedStore.APPEND || mode == MemcachedStore.PREPEND) && r.nextInt(3) != 0) {
                        cas = 0; // mostly plain appends; some with a CAS to compare
                    }
                    int status = store.store(mode, k, 0, klen, flags, deadline, seg(value), 0, value.length, cas);
                    int expect;
                    Entry next = null;
                    switch (mode) {
                        case MemcachedStore.SET -> {
                            expect = MemcachedStore.STORED;
                            next = new Entry(value, flags, deadline, 0);
                        }
                        case MemcachedStore.ADD -> {
                            expect = e == null ? MemcachedStore.STORED : MemcachedStore.NOT_STORED;
                            next = e == null ? new Entry(value, flags, deadline, 0) : null;
                        }
                        case MemcachedStore.REPLACE -> {
                            expect = e != null ? MemcachedStore.STORED : MemcachedStore.NOT_STORED;
                            next = e != null ? new Entry(value, flags, deadline, 0) : null;
                        }
                        case MemcachedStore.APPEND, MemcachedStore.PREPEND -> {
                            if (e == null) {
                                expect = MemcachedStore.NOT_STORED;
                            } else if (cas != 0 && cas != e.cas) {
                                expect = MemcachedStore.EXISTS; // a CAS given to append/prepend is compared (ms)
                            } else if (e.value.length + value.length > 4096) {
                                expect = MemcachedStore.TOO_LARGE;
                            } else {
                                expect = MemcachedStore.STORED;
                                byte[] joined = new byte[e.value.length + value.length];
                                byte[] first = mode == MemcachedStore.APPEND ? e.value : value;
                                byte[] second = mode == MemcachedStore.APPEND ? value : e.value;
                                System.arraycopy(first, 0, joined, 0, first.length);
                                System.arraycopy(second, 0, joined, first.length, second.length);
                                next = new Entry(joined, e.flags, e.deadline, 0);
                            }
                        }
                        default -> {
                            expect = e == null ? MemcachedStore.NOT_FOUND
                                    : e.cas == cas ? MemcachedStore.STORED : MemcachedStore.EXISTS;
                            next = expect == MemcachedStore.STORED ? new Entry(value, flags, deadline, 0) : null;
                        }
                    }
                    assertThat(status).as(what).isEqualTo(expect);
                    if (next != null) {
                        // The new CAS unique is learned from the store and must be fresh.
                        int g = store.get(k, 0, klen, false, 0, dest, found);
                        if (next.deadline != 0 && next.deadline <= t) {
                            assertThat(g).as(what).isEqualTo(MemcachedStore.NOT_FOUND);
                            model.remove(key);
                        } else {
                            assertThat(found.cas).as(what).isGreaterThan(e == null ? 0 : e.cas);
                            model.put(key, new Entry(next.value, next.flags, next.deadline, found.cas));
                        }
                    }
                }
                case 4, 5, 6 -> {
                    boolean touch = op == 6;
                    long deadline = touch ? store.deadline(r.nextInt(4) - 1) : 0;
                    int status = store.get(k, 0, klen, touch, deadline, dest, found);
                    if (e == null) {
                        assertThat(status).as(what).isEqualTo(MemcachedStore.NOT_FOUND);
                    } else {
                        assertThat(status).as(what).isEqualTo(MemcachedStore.HIT);
                        assertThat(found.flags).as(what).isEqualTo(e.flags);
                        assertThat(found.cas).as(what).isEqualTo(e.cas);
                        assertThat(dest.asSlice(0, found.length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                                .as(what).isEqualTo(e.value);
                        if (touch) {
                            model.put(key, new Entry(e.value, e.flags, deadline, e.cas));
                            if (deadline != 0 && deadline <= t) {
                                model.remove(key); // served once, then gone
                            }
                        }
                    }
                }
                case 7 -> {
                    int status = store.delete(k, 0, klen);
                    assertThat(status).as(what).isEqualTo(e == null ? MemcachedStore.NOT_FOUND : MemcachedStore.DELETED);
                    model.remove(key);
                }
                default -> {
                    boolean incr = r.nextBoolean();
                    long delta = r.nextInt(4) == 0 ? r.nextLong() : r.nextInt(100);
                    int status = store.arithmetic(k, 0, klen, incr, delta, dest, found);
                    if (e == null) {
                        assertThat(status).as(what).isEqualTo(MemcachedStore.NOT_FOUND);
                        break;
                    }
                    String text = new String(e.value, StandardCharsets.ISO_8859_1);
                    boolean numeric = text.matches("[0-9]{1,20}")
                            && new java.math.BigInteger(text).bitLength() <= 64;
                    if (!numeric) {
                        assertThat(status).as(what).isEqualTo(MemcachedStore.NON_NUMERIC);
                        break;
                    }
                    long v = Long.parseUnsignedLong(text);
                    long expect = incr ? v + delta : (Long.compareUnsigned(v, delta) < 0 ? 0 : v - delta);
                    byte[] digits = Long.toUnsignedString(expect).getBytes(StandardCharsets.US_ASCII);
                    assertThat(status).as(what).isEqualTo(MemcachedStore.STORED);
                    assertThat(dest.asSlice(0, found.length).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                            .as(what).isEqualTo(digits);
                    store.get(k, 0, klen, false, 0, dest, found);
                    assertThat(found.cas).as(what).isGreaterThan(e.cas);
                    model.put(key, new Entry(digits, e.flags, e.deadline, found.cas));
                }
            }
        }
    }

    @Test
    void expiryRules() {
        MemcachedStore store = new MemcachedStore(8L << 20, 1024, now::get);
        long t = now.get();
        assertThat(store.deadline(0)).isZero();
        assertThat(store.deadline(-1)).isLessThanOrEqualTo(t);
        assertThat(store.deadline(10)).isEqualTo(t + 10_000);
        assertThat(store.deadline(MemcachedStore.RELATIVE_LIMIT)).isEqualTo(t + MemcachedStore.RELATIVE_LIMIT * 1000);
        long absolute = t / 1000 + 100;
        assertThat(store.deadline(absolute)).isEqualTo(absolute * 1000);
        assertThat(store.deadline(MemcachedStore.RELATIVE_LIMIT + 1)).as("an absolute time long past")
                .isLessThanOrEqualTo(t);

        MemorySegment k = seg("k");
        MemorySegment v = seg("v");
        store.store(MemcachedStore.SET, k, 0, 1, 0, store.deadline(2), v, 0, 1, 0);
        now.addAndGet(1999);
        assertThat(store.get(k, 0, 1, false, 0, dest, found)).isEqualTo(MemcachedStore.HIT);
        now.addAndGet(1);
        assertThat(store.get(k, 0, 1, false, 0, dest, found)).isEqualTo(MemcachedStore.NOT_FOUND);

        store.store(MemcachedStore.SET, k, 0, 1, 0, 0, v, 0, 1, 0);
        store.flushAll(0);
        assertThat(store.get(k, 0, 1, false, 0, dest, found)).as("flushed").isEqualTo(MemcachedStore.NOT_FOUND);
        store.store(MemcachedStore.SET, k, 0, 1, 0, 0, v, 0, 1, 0);
        assertThat(store.get(k, 0, 1, false, 0, dest, found)).as("stored after the flush")
                .isEqualTo(MemcachedStore.HIT);
        store.flushAll(5);
        now.addAndGet(4_000);
        assertThat(store.get(k, 0, 1, false, 0, dest, found)).isEqualTo(MemcachedStore.HIT);
        now.addAndGet(1_000);
        assertThat(store.get(k, 0, 1, false, 0, dest, found)).as("delayed flush").isEqualTo(MemcachedStore.NOT_FOUND);
    }

    @Test
    void memoryLimitEvictsLeastRecentlyUsed() {
        MemcachedStore store = new MemcachedStore(4L << 20, 1 << 20, now::get);
        byte[] value = new byte[1000];
        MemorySegment hot = seg("hot");
        assertThat(store.store(MemcachedStore.SET, hot, 0, 3, 0, 0, seg(value), 0, value.length, 0))
                .isEqualTo(MemcachedStore.STORED);
        int n = 40_000; // 40 MB through a 4 MiB store
        for (int i = 0; i < n; i++) {
            MemorySegment k = seg("cold" + i);
            assertThat(store.store(MemcachedStore.SET, k, 0, (int) k.byteSize(), 0, 0, seg(value), 0, value.length, 0))
                    .as("set %d", i).isEqualTo(MemcachedStore.STORED);
            if (i % 100 == 0) {
                assertThat(store.get(hot, 0, 3, false, 0, dest, found)).as("hot item at %d", i)
                        .isEqualTo(MemcachedStore.HIT);
            }
        }
        long[] totals = store.totals();
        assertThat(totals[1]).as("bytes held").isLessThanOrEqualTo(store.limitBytes());
        assertThat(totals[2]).as("evictions").isGreaterThan(n / 2);
        MemorySegment last = seg("cold" + (n - 1));
        assertThat(store.get(last, 0, (int) last.byteSize(), false, 0, dest, found)).isEqualTo(MemcachedStore.HIT);
        MemorySegment first = seg("cold0");
        assertThat(store.get(first, 0, 5, false, 0, dest, found)).isEqualTo(MemcachedStore.NOT_FOUND);
        // Pages are never moved between classes (no slab rebalancing): a size whose class got no page
        // before memory ran out cannot be stored, and says so.
        int status = store.store(MemcachedStore.SET, seg("big"), 0, 3, 0, 0, MemorySegment.ofArray(new byte[1 << 20]),
                0, 1 << 20, 0);
        assertThat(status).isIn(MemcachedStore.STORED, MemcachedStore.OUT_OF_MEMORY);
        assertThat(store.store(MemcachedStore.SET, seg("big"), 0, 3, 0, 0, MemorySegment.ofArray(new byte[(1 << 20) + 1]),
                0, (1 << 20) + 1, 0)).isEqualTo(MemcachedStore.TOO_LARGE);
    }

    @Test
    void threadsSharingKeysNeverSeeATornValue() throws Exception {
        MemcachedStore store = new MemcachedStore(16L << 20, 8192, System::currentTimeMillis);
        int threads = 4;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long seed = t;
            started.add(Thread.ofPlatform().start(() -> {
                try {
                    hammer(store, seed);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        for (Thread t : started) {
            t.join(60_000);
        }
        assertThat(failure.get()).isNull();
    }

    /** Values are one byte repeated, the byte and length in the flags: a torn value shows. */
    private static void hammer(MemcachedStore store, long seed) {
        Random r = new Random(seed);
        MemorySegment out = Arena.ofAuto().allocate(8192);
        MemcachedStore.Found f = new MemcachedStore.Found();
        byte[] value = new byte[8192];
        for (int i = 0; i < 200_000; i++) {
            MemorySegment k = seg("k" + r.nextInt(64));
            int klen = (int) k.byteSize();
            int op = r.nextInt(4);
            if (op == 0) {
                store.delete(k, 0, klen);
            } else if (op == 1) {
                int length = r.nextInt(8192);
                byte b = (byte) r.nextInt(256);
                java.util.Arrays.fill(value, 0, length, b);
                store.store(MemcachedStore.SET, k, 0, klen, (length << 8) | (b & 0xff), 0, seg(value), 0, length, 0);
            } else if (store.get(k, 0, klen, false, 0, out, f) == MemcachedStore.HIT) {
                int length = f.flags >>> 8;
                byte b = (byte) f.flags;
                if (f.length != length) {
                    throw new AssertionError("length " + f.length + " but flags say " + length);
                }
                for (int j = 0; j < length; j++) {
                    if (out.get(java.lang.foreign.ValueLayout.JAVA_BYTE, j) != b) {
                        throw new AssertionError("torn value at byte " + j);
                    }
                }
            }
        }
    }
}
