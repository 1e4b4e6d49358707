package io.jix.nic.wire;

import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.NicQueue;
import io.jix.nic.QueueCounter;
import io.jix.nic.QueueCounters;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * One endpoint of a {@link Wire}: a {@link NicQueue} whose transmit copies each frame into a slot
 * of the ring towards the peer and gives the frame straight back to this endpoint's pool (so
 * {@link #reclaim} only reports how many went back), and whose receive copies slots of the ring
 * from the peer into frames of this endpoint's pool, at {@link #headroom()}.
 *
 * <ul>
 *   <li>Ring full: the frames left in the burst stay the caller's and {@code DROP_TX_RING_FULL}
 *       counts them.</li>
 *   <li>Pool empty on receive: the frame stays in the ring (it is not lost; the sender will see
 *       the ring fill up) and {@code DROP_POOL_EMPTY} counts the attempt, once per receive.</li>
 *   <li>A frame longer than {@code 2048 - headroom} cannot be received by the peer: it is taken,
 *       freed and counted as {@code DROP_MALFORMED}. Transmitting a frame that is not allocated
 *       in this endpoint's pool, or data outside its frame, is a bug and throws
 *       {@link IllegalArgumentException} (after queueing the frames before it).</li>
 *   <li>Faults (see {@link Faults}) are applied here, by the sender, and counted in this
 *       endpoint's {@code FAULT_*} counters. A dropped frame still counts as transmitted.</li>
 * </ul>
 *
 * <p>Threads: one thread drives an endpoint (its transmit, receive, reclaim and awaitTraffic);
 * the two endpoints may be driven by two different threads. Nothing on these paths allocates or
 * locks.
 */
public final class WireQueue implements NicQueue {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final int HOLD = Faults.MAX_REORDER_DISTANCE;
    private static final long MAX_PARK_NANOS = 50_000;

    private final Wire wire;
    private final String name;
    private final byte[] mac;
    private final FramePool pool;
    private final MemorySegment frames;
    private final int frameSize;
    private final int headroom;
    private final int maxData;
    private final QueueCounters counters = new QueueCounters();
    private final LongSupplier clock;

    // ---- transmit: this endpoint is the only producer of tx
    private final WireRing tx;
    private final MemorySegment txMem;
    private long txTail;
    private long txHeadCache;
    private int released;
    private final boolean faulty;
    private final boolean delays;
    private final FaultPlan plan;
    private final long reorderTimeout;
    private long sequence;
    private final MemorySegment hold;
    private final int[] heldSlot = new int[HOLD];
    private final int[] heldLeft = new int[HOLD];
    private final long[] heldSince = new long[HOLD];
    private int heldCount;
    private final int[] holdFree = new int[HOLD];
    private int holdFreeCount;

    // ---- receive: this endpoint is the only consumer of rx
    private final WireRing rx;
    private final MemorySegment rxMem;
    private final boolean rxDelays;
    private long rxHead;
    private long rxTailCache;

    private boolean closed;

    WireQueue(Wire wire, String name, byte[] mac, FramePool pool, int headroom, WireRing tx, WireRing rx,
              MemorySegment hold, Faults txFaults, long salt, Faults rxFaults, LongSupplier clock) {
        this.wire = wire;
        this.name = name;
        this.mac = mac.clone();
        this.pool = pool;
        this.frames = pool.region();
        this.frameSize = pool.frameSize();
        this.headroom = headroom;
        this.maxData = tx.maxData;
        this.clock = clock;
        this.tx = tx;
        this.txMem = tx.memory;
        this.faulty = txFaults.any();
        this.delays = txFaults.delays();
        this.plan = new FaultPlan(txFaults, salt);
        this.reorderTimeout = txFaults.reorderTimeoutNanos();
        this.hold = hold;
        for (int i = 0; i < HOLD; i++) {
            holdFree[i] = HOLD - 1 - i;
        }
        holdFreeCount = HOLD;
        this.rx = rx;
        this.rxMem = rx.memory;
        this.rxDelays = rxFaults.delays();
    }

    // ------------------------------------------------------------------------------ transmit

    @Override
    public int transmit(FrameBurst burst) {
        int count = burst.count();
        int taken = 0;
        int sent = 0;
        long bytes = 0;
        String bug = null;
        long now = 0;
        boolean haveNow = false;
        boolean go = true;
        if (heldCount > 0) {
            now = clock.getAsLong();
            haveNow = true;
            go = releaseDue(now, true);
        }
        while (go && taken < count) {
            int f = burst.frame(taken);
            int off = burst.offset(taken);
            int len = burst.length(taken);
            if (!pool.isAllocated(f) || off < 0 || len <= 0 || len > frameSize - off) {
                bug = "cannot transmit frame " + f + " [" + off + ", +" + len + "): not an allocated frame of "
                        + name + "'s pool, or data outside it";
                break;
            }
            long src = pool.offset(f) + off;
            if (len > maxData) {
                counters.increment(QueueCounter.DROP_MALFORMED); // the peer could not receive it
                pool.release(f);
                released++;
                taken++;
                continue;
            }
            if (!faulty) {
                if (!room(1)) {
                    break;
                }
                put(txMem, tx.slot(txTail++), src, len, 0);
            } else {
                FaultPlan p = plan;
                p.decide(sequence, len);
                boolean held = !p.drop && p.reorder && holdFreeCount > 0;
                int slots = p.drop ? 0 : (held ? 0 : 1) + (p.duplicate ? 1 : 0);
                if (!room(slots)) {
                    break;
                }
                sequence++;
                if (p.drop) {
                    counters.increment(QueueCounter.FAULT_DROPPED);
                } else {
                    if (!haveNow && (delays || held)) {
                        now = clock.getAsLong();
                        haveNow = true;
                    }
                    long release = 0;
                    if (delays) {
                        release = now + p.delayNanos;
                        if (p.delayNanos > 0) {
                            counters.increment(QueueCounter.FAULT_DELAYED);
                        }
                    }
                    MemorySegment dst;
                    long at;
                    if (held) {
                        dst = hold;
                        at = (long) holdFree[holdFreeCount - 1] * tx.stride;
                    } else {
                        dst = txMem;
                        at = tx.slot(txTail++);
                    }
                    put(dst, at, src, len, release);
                    if (p.corrupt) {
                        long b = at + WireRing.DATA + p.corruptAt;
                        dst.set(ValueLayout.JAVA_BYTE, b, (byte) (dst.get(ValueLayout.JAVA_BYTE, b) ^ p.corruptXor));
                        counters.increment(QueueCounter.FAULT_CORRUPTED);
                    }
                    if (p.duplicate) {
                        MemorySegment.copy(dst, at, txMem, tx.slot(txTail++), WireRing.DATA + len);
                        counters.increment(QueueCounter.FAULT_DUPLICATED);
                    }
                    int passing = (held ? 0 : 1) + (p.duplicate ? 1 : 0);
                    for (int i = 0; i < heldCount; i++) {
                        heldLeft[i] -= passing;
                    }
                    if (held) {
                        heldSlot[heldCount] = holdFree[--holdFreeCount];
                        heldLeft[heldCount] = p.distance;
                        heldSince[heldCount] = now;
                        heldCount++;
                        counters.increment(QueueCounter.FAULT_REORDERED);
                    }
                }
            }
            pool.release(f);
            released++;
            taken++;
            sent++;
            bytes += len;
            if (heldCount > 0) {
                go = releaseDue(now, false);
            }
        }
        if (taken > 0) {
            burst.dropFirst(taken);
        }
        tx.tailRelease(txTail);
        counters.add(QueueCounter.TX_FRAMES, sent);
        counters.add(QueueCounter.TX_BYTES, bytes);
        if (bug != null) {
            throw new IllegalArgumentException(bug);
        }
        if (taken < count) {
            counters.add(QueueCounter.DROP_TX_RING_FULL, count - taken);
        }
        return taken;
    }

    /** Copies {@code len} bytes at {@code src} of this endpoint's frames into a slot at {@code at} of {@code dst}. */
    private void put(MemorySegment dst, long at, long src, int len, long release) {
        dst.set(INT, at, len);
        dst.set(LONG, at + 8, release);
        MemorySegment.copy(frames, src, dst, at + WireRing.DATA, len);
    }

    /** Whether the ring towards the peer has {@code n} free slots. */
    private boolean room(int n) {
        int slots = tx.slots;
        if (txTail + n - txHeadCache <= slots) {
            return true;
        }
        txHeadCache = tx.headAcquire();
        return txTail + n - txHeadCache <= slots;
    }

    /**
     * Moves held (reordered) frames that are due into the ring, oldest first: those that enough
     * later frames have overtaken and, with {@code checkTime}, those held for the reorder timeout.
     * A held frame let go overtakes the frames held before it (they have smaller sequence numbers),
     * which may make them due in turn: so every held frame is overtaken by exactly its distance in
     * later frames, unless the timeout lets it go first.
     *
     * @return false when a due frame found the ring full (it stays held and due)
     */
    private boolean releaseDue(long now, boolean checkTime) {
        boolean ok = true;
        boolean again = true;
        while (again) {
            again = false;
            int w = 0;
            for (int i = 0; i < heldCount; i++) {
                boolean due = heldLeft[i] <= 0 || checkTime && now - heldSince[i] >= reorderTimeout;
                if (due && ok && room(1)) {
                    long at = (long) heldSlot[i] * tx.stride;
                    MemorySegment.copy(hold, at, txMem, tx.slot(txTail++), WireRing.DATA + hold.get(INT, at));
                    holdFree[holdFreeCount++] = heldSlot[i];
                    for (int j = 0; j < w; j++) {
                        if (--heldLeft[j] <= 0) {
                            again = true;
                        }
                    }
                    continue;
                }
                if (due) {
                    ok = false;
                    heldLeft[i] = 0;
                }
                heldSlot[w] = heldSlot[i];
                heldLeft[w] = heldLeft[i];
                heldSince[w] = heldSince[i];
                w++;
            }
            heldCount = w;
        }
        return ok;
    }

    /** Frames gone back to the pool since the last call (transmit returns them at once). Also lets held frames go when their time is up. */
    @Override
    public int reclaim() {
        if (heldCount > 0) {
            releaseDue(clock.getAsLong(), true);
            tx.tailRelease(txTail);
        }
        int r = released;
        released = 0;
        return r;
    }

    /** Frames held back for reordering right now (not yet in the ring). */
    public int held() {
        return heldCount;
    }

    // ------------------------------------------------------------------------------ receive

    @Override
    public int receive(FrameBurst into, int max) {
        int want = Math.min(max, into.remaining());
        if (want <= 0) {
            return 0;
        }
        long avail = rxTailCache - rxHead;
        if (avail < want) {
            rxTailCache = rx.tailAcquire();
            avail = rxTailCache - rxHead;
        }
        if (avail <= 0) {
            return 0;
        }
        int n = (int) Math.min(avail, want);
        long now = rxDelays ? clock.getAsLong() : 0;
        long h = rxHead;
        int got = 0;
        long bytes = 0;
        MemorySegment ring = rxMem;
        for (int i = 0; i < n; i++) {
            long s = rx.slot(h);
            if (rxDelays && ring.get(LONG, s + 8) - now > 0) {
                break; // not released yet, and FIFO: nothing behind it is either
            }
            int len = ring.get(INT, s);
            if (len <= 0 || len > maxData) {
                counters.increment(QueueCounter.DROP_MALFORMED); // cannot happen unless memory was overwritten
                h++;
                continue;
            }
            int f = pool.allocate();
            if (f < 0) {
                counters.increment(QueueCounter.DROP_POOL_EMPTY);
                break;
            }
            MemorySegment.copy(ring, s + WireRing.DATA, frames, pool.offset(f) + headroom, len);
            into.add(f, headroom, len);
            got++;
            bytes += len;
            h++;
        }
        if (h != rxHead) {
            rxHead = h;
            rx.headRelease(h);
        }
        counters.add(QueueCounter.RX_FRAMES, got);
        counters.add(QueueCounter.RX_BYTES, bytes);
        return got;
    }

    /**
     * Waits, without any wake-up from the peer, until a frame is ready to receive or
     * {@code timeoutNanos} passed: it checks the ring and parks ({@link LockSupport#parkNanos}) for
     * at most 50 µs at a time (or until a delayed frame's release time), so traffic is noticed
     * within about 50 µs plus the OS timer slack. Held (reordered) frames of this endpoint's own
     * transmit side are let go while waiting when their timeout passes.
     */
    @Override
    public void awaitTraffic(long timeoutNanos) {
        long start = System.nanoTime();
        while (true) {
            if (heldCount > 0) {
                releaseDue(clock.getAsLong(), true);
                tx.tailRelease(txTail);
            }
            long wait = MAX_PARK_NANOS;
            long tail = rx.tailAcquire();
            if (tail != rxHead) {
                if (!rxDelays) {
                    return;
                }
                long until = rxMem.get(LONG, rx.slot(rxHead) + 8) - clock.getAsLong();
                if (until <= 0) {
                    return;
                }
                wait = Math.min(wait, until);
            }
            long left = timeoutNanos - (System.nanoTime() - start);
            if (left <= 0) {
                return;
            }
            LockSupport.parkNanos(Math.min(wait, left));
        }
    }

    // ------------------------------------------------------------------------------ the rest

    @Override
    public FramePool pool() {
        return pool;
    }

    @Override
    public int headroom() {
        return headroom;
    }

    @Override
    public QueueCounters counters() {
        return counters;
    }

    /** Always 0: a wire endpoint is a one-queue interface. */
    @Override
    public int queueId() {
        return 0;
    }

    /** This endpoint's MAC address (a copy), for tests and demos that speak Ethernet over the wire. */
    public byte[] mac() {
        return mac.clone();
    }

    /** The longest frame the peer can receive: the frame size less the headroom. */
    public int maxFrameLength() {
        return maxData;
    }

    /** "a" or "b". */
    public String name() {
        return name;
    }

    /**
     * Closes this endpoint; the wire's native memory is freed once both endpoints are closed (do
     * not close an endpoint while another thread still uses the other one's memory through it).
     * Idempotent.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            wire.endpointClosed();
        }
    }

    @Override
    public String toString() {
        return "wire endpoint " + name + " (" + counters + ")";
    }
}
