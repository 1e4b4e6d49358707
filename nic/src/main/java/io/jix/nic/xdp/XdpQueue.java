package io.jix.nic.xdp;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.NicQueue;
import io.jix.nic.QueueCounter;
import io.jix.nic.QueueCounters;
import io.jix.sys.Errno;
import io.jix.sys.Memory;
import io.jix.sys.Net;
import io.jix.sys.SysException;
import io.jix.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One AF_XDP socket (XSK) bound to one queue of an interface, with its own UMEM: the simplest
 * arrangement (no shared UMEM between queues, so each elastic thread owns all the memory its
 * queue touches, like IX's per-core mbuf pools).
 *
 * <p>Frame ownership, tracked per frame so that the pool's accounting stays exact and nothing the
 * kernel hands back is trusted blindly: a frame is either the pool's or the caller's (as
 * {@link FramePool} knows), or the kernel's because it sits in the fill ring (waiting to receive)
 * or in the TX ring (waiting to be sent and completed). Every RX descriptor and every completion
 * address is checked against that record: an address outside the UMEM, a frame the kernel was not
 * given, or a length that does not fit the frame is counted as {@link QueueCounter#DROP_MALFORMED}
 * and skipped, never followed. Frames the kernel holds at {@link #close()} are gone with the UMEM.
 *
 * <p>Not thread-safe: one elastic thread owns a queue. Nothing on the receive, transmit or
 * reclaim path allocates.
 */
public final class XdpQueue implements NicQueue {

    static final int AF_XDP = 44;
    static final int SOCK_RAW = 3;
    static final int SOL_XDP = 283;
    static final int XDP_MMAP_OFFSETS = 1;
    static final int XDP_RX_RING = 2;
    static final int XDP_TX_RING = 3;
    static final int XDP_UMEM_REG = 4;
    static final int XDP_UMEM_FILL_RING = 5;
    static final int XDP_UMEM_COMPLETION_RING = 6;
    static final int XDP_STATISTICS = 7;
    static final int XDP_COPY = 1 << 1;
    static final int XDP_ZEROCOPY = 1 << 2;
    static final int XDP_USE_NEED_WAKEUP = 1 << 3;
    static final int XDP_RING_NEED_WAKEUP = 1;
    static final long PGOFF_RX = 0;
    static final long PGOFF_TX = 0x80000000L;
    static final long PGOFF_FILL = 0x100000000L;
    static final long PGOFF_COMPLETION = 0x180000000L;
    /** Where the kernel puts received data in a chunk (XDP_PACKET_HEADROOM; the UMEM's own headroom is 0). */
    static final int XDP_PACKET_HEADROOM = 256;
    static final int RX_DESC = 16;
    static final int ADDR_DESC = 8;
    private static final long HUGE_PAGE = 2L << 20;
    private static final int MIN_FRAME = 14;
    private static final int REFILL_BATCH = 64;
    private static final int EBUSY = 16;
    private static final int BIND_BUSY_RETRIES = 100;

    private static final byte NOT_KERNEL = 0;
    private static final byte IN_FILL = 1;
    private static final byte IN_TX = 2;

    private static final AtomicBoolean SAID_NO_HUGE_PAGES = new AtomicBoolean();

    private final Syscalls sys;
    private final int fd;
    private final int queueId;
    private final Arena arena;
    private final FramePool pool;
    private final XdpRing fill;
    private final XdpRing completion;
    private final XdpRing rx;
    private final XdpRing tx;
    private final byte[] owner;
    private final long umemBytes;
    private final int frameSize;
    private final int frameShift;
    private final boolean needWakeup;
    private final boolean zeroCopy;
    private final boolean hugePages;
    private final QueueCounters counters = new QueueCounters();
    private final MemorySegment stats;
    private int inFill;
    private int inTx;
    private boolean closed;

    XdpQueue(Syscalls sys, int fd, int queueId, Arena arena, MemorySegment umem, int frameSize, int frameCount,
            XdpRing fill, XdpRing completion, XdpRing rx, XdpRing tx, boolean needWakeup, boolean zeroCopy,
            boolean hugePages) {
        this.sys = sys;
        this.fd = fd;
        this.queueId = queueId;
        this.arena = arena;
        this.pool = new FramePool(umem, frameSize, frameCount);
        this.fill = fill;
        this.completion = completion;
        this.rx = rx;
        this.tx = tx;
        this.owner = new byte[frameCount];
        this.umemBytes = (long) frameSize * frameCount;
        this.frameSize = frameSize;
        this.frameShift = Integer.numberOfTrailingZeros(frameSize);
        this.needWakeup = needWakeup;
        this.zeroCopy = zeroCopy;
        this.hugePages = hugePages;
        this.stats = Arena.ofAuto().allocate(48, 8);
    }

    /**
     * Opens an XSK on queue {@code queueId} of interface {@code ifindex}: maps the UMEM (huge pages
     * when reserved), registers it, sizes and maps the four rings, binds (zero-copy when asked and
     * the driver can, else copy mode) and fills the fill ring. Throws {@link SysException} with the
     * failing call; nothing is left open then.
     */
    public static XdpQueue open(int ifindex, int queueId, XdpConfig config) {
        Syscalls sys = new Syscalls();
        int fd = sys.socket(AF_XDP, SOCK_RAW | Net.SOCK_CLOEXEC, 0);
        Arena arena = Arena.ofShared();
        try {
            boolean huge = false;
            MemorySegment umem = null;
            int prot = Memory.PROT_READ | Memory.PROT_WRITE;
            int anon = Memory.MAP_PRIVATE | Memory.MAP_ANONYMOUS | Memory.MAP_POPULATE;
            if (config.hugePages()) {
                long len = (config.umemBytes() + HUGE_PAGE - 1) & -HUGE_PAGE;
                try {
                    umem = Memory.map(len, prot, anon | Memory.MAP_HUGETLB, -1, 0, arena);
                    huge = true;
                } catch (SysException e) {
                    if (SAID_NO_HUGE_PAGES.compareAndSet(false, true)) {
                        System.err.println("jix: AF_XDP UMEM in 4 KiB pages: no 2 MiB huge pages available ("
                                + Errno.name(e.errno()) + "; reserve some with sysctl vm.nr_hugepages)");
                    }
                }
            }
            if (umem == null) {
                umem = Memory.map(config.umemBytes(), prot, anon, -1, 0, arena);
            }
            MemorySegment scratch = arena.allocate(128, 8);
            scratch.set(JAVA_LONG, 0, umem.address());
            scratch.set(JAVA_LONG, 8, config.umemBytes());
            scratch.set(JAVA_INT, 16, config.frameSize());
            scratch.set(JAVA_INT, 20, 0); // headroom
            scratch.set(JAVA_INT, 24, 0); // flags
            scratch.set(JAVA_INT, 28, 0); // tx_metadata_len
            sys.setsockoptRaw(fd, SOL_XDP, XDP_UMEM_REG, scratch.address(), 32);
            sys.setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, config.fillSize());
            sys.setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, config.completionSize());
            sys.setsockopt(fd, SOL_XDP, XDP_RX_RING, config.rxSize());
            sys.setsockopt(fd, SOL_XDP, XDP_TX_RING, config.txSize());
            scratch.fill((byte) 0);
            sys.getsockoptRaw(fd, SOL_XDP, XDP_MMAP_OFFSETS, scratch.address(), 128);
            // struct xdp_mmap_offsets { rx, tx, fr, cr }, each { producer, consumer, desc, flags } as u64.
            XdpRing rx = map(sys, fd, arena, scratch, 0, PGOFF_RX, config.rxSize(), RX_DESC, false);
            XdpRing tx = map(sys, fd, arena, scratch, 32, PGOFF_TX, config.txSize(), RX_DESC, true);
            XdpRing fill = map(sys, fd, arena, scratch, 64, PGOFF_FILL, config.fillSize(), ADDR_DESC, true);
            XdpRing comp = map(sys, fd, arena, scratch, 96, PGOFF_COMPLETION, config.completionSize(), ADDR_DESC,
                    false);
            boolean zc = bind(sys, fd, ifindex, queueId, config, scratch);
            XdpQueue q = new XdpQueue(sys, fd, queueId, arena, umem, config.frameSize(), config.frameCount(), fill,
                    comp, rx, tx, config.needWakeup(), zc, huge);
            q.refill();
            return q;
        } catch (RuntimeException e) {
            sys.close(fd);
            arena.close();
            throw e;
        }
    }

    private static XdpRing map(Syscalls sys, int fd, Arena arena, MemorySegment offsets, long at, long pgoff,
            int entries, int descSize, boolean weProduce) {
        long producer = offsets.get(JAVA_LONG, at);
        long consumer = offsets.get(JAVA_LONG, at + 8);
        long desc = offsets.get(JAVA_LONG, at + 16);
        long flags = offsets.get(JAVA_LONG, at + 24);
        MemorySegment m = Memory.map(desc + (long) entries * descSize, Memory.PROT_READ | Memory.PROT_WRITE,
                Memory.MAP_SHARED | Memory.MAP_POPULATE, fd, pgoff, arena);
        return new XdpRing(m, producer, consumer, flags, desc, entries, weProduce);
    }

    /** Binds; returns whether in zero-copy mode. */
    private static boolean bind(Syscalls sys, int fd, int ifindex, int queueId, XdpConfig config,
            MemorySegment scratch) {
        int wake = config.needWakeup() ? XDP_USE_NEED_WAKEUP : 0;
        if (config.zeroCopy()) {
            try {
                bindWith(sys, fd, ifindex, queueId, wake | XDP_ZEROCOPY, scratch);
                return true;
            } catch (SysException e) {
                // EOPNOTSUPP from drivers without zero-copy support (veth): fall back to copy mode.
                if (e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.EINVAL) {
                    throw e;
                }
            }
        }
        bindWith(sys, fd, ifindex, queueId, wake | XDP_COPY, scratch);
        return false;
    }

    /**
     * bind(2), retried for up to a second on EBUSY: the kernel releases a closed socket's hold on
     * its device queue in deferred work, so a queue closed a moment ago (by this process or a dead
     * one) is still busy for a few milliseconds.
     */
    private static void bindWith(Syscalls sys, int fd, int ifindex, int queueId, int flags, MemorySegment scratch) {
        for (int attempt = 0;; attempt++) {
            scratch.fill((byte) 0);
            scratch.set(ValueLayout.JAVA_SHORT, 0, (short) AF_XDP);
            scratch.set(ValueLayout.JAVA_SHORT, 2, (short) flags);
            scratch.set(JAVA_INT, 4, ifindex);
            scratch.set(JAVA_INT, 8, queueId);
            try {
                sys.bindRaw(fd, scratch.address(), 16);
                return;
            } catch (SysException e) {
                if (e.errno() != EBUSY || attempt == BIND_BUSY_RETRIES) {
                    if (e.errno() == EBUSY) {
                        throw new SysException("bind", EBUSY, "AF_XDP socket to queue " + queueId + " of ifindex "
                                + ifindex + ": the queue already has an AF_XDP socket (another process?)");
                    }
                    throw e;
                }
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for queue " + queueId, e);
            }
        }
    }

    // ------------------------------------------------------------------------------ receive

    @Override
    public int receive(FrameBurst into, int max) {
        refill();
        int want = Math.min(max, into.remaining());
        if (want <= 0) {
            return 0;
        }
        int ready = rx.ready(want);
        if (ready < 0) {
            counters.increment(QueueCounter.DROP_MALFORMED);
            rx.cached = rx.local; // ignore the nonsense index until the kernel moves it again
            return 0;
        }
        int n = Math.min(ready, want);
        if (n == 0) {
            return 0;
        }
        MemorySegment ring = rx.memory;
        int idx = rx.local;
        int got = 0;
        long bytes = 0;
        for (int i = 0; i < n; i++, idx++) {
            long d = rx.descOffset + (long) (idx & rx.mask) * RX_DESC;
            long addr = ring.get(JAVA_LONG, d);
            int len = ring.get(JAVA_INT, d + 8);
            if (addr < 0 || addr >= umemBytes) {
                counters.increment(QueueCounter.DROP_MALFORMED);
                continue;
            }
            int frame = (int) (addr >>> frameShift);
            if (owner[frame] != IN_FILL) {
                counters.increment(QueueCounter.DROP_MALFORMED); // not a frame the kernel was given
                continue;
            }
            owner[frame] = NOT_KERNEL;
            inFill--;
            int off = (int) (addr & (frameSize - 1));
            if (len < MIN_FRAME || len > frameSize - XDP_PACKET_HEADROOM || off + len > frameSize) {
                counters.increment(QueueCounter.DROP_MALFORMED);
                pool.release(frame);
                continue;
            }
            into.add(frame, off, len);
            got++;
            bytes += len;
        }
        rx.local = idx;
        rx.publishConsumer(idx);
        counters.add(QueueCounter.RX_FRAMES, got);
        counters.add(QueueCounter.RX_BYTES, bytes);
        return got;
    }

    /** Gives the kernel free frames to receive into, as many as the fill ring and the pool allow. */
    private void refill() {
        int avail = pool.available();
        if (avail == 0) {
            if (inFill == 0) {
                counters.increment(QueueCounter.DROP_POOL_EMPTY); // the kernel has nothing to receive into
            }
            return;
        }
        int n = Math.min(fill.freeSlots(REFILL_BATCH), avail);
        if (n > 0) {
            MemorySegment ring = fill.memory;
            int idx = fill.local;
            for (int i = 0; i < n; i++, idx++) {
                int f = pool.allocate();
                owner[f] = IN_FILL;
                ring.set(JAVA_LONG, fill.descOffset + (long) (idx & fill.mask) * ADDR_DESC, pool.offset(f));
            }
            fill.local = idx;
            fill.publishProducer(idx);
            inFill += n;
        }
        if (needWakeup && (fill.flags() & XDP_RING_NEED_WAKEUP) != 0) {
            sys.poll1(fd, Net.POLLIN, 0);
        }
    }

    // ------------------------------------------------------------------------------ transmit

    @Override
    public int transmit(FrameBurst frames) {
        int count = frames.count();
        if (count == 0) {
            return 0;
        }
        int n = Math.min(count, tx.freeSlots(count));
        MemorySegment ring = tx.memory;
        int idx = tx.local;
        long bytes = 0;
        int i = 0;
        for (; i < n; i++, idx++) {
            int f = frames.frame(i);
            int off = frames.offset(i);
            int len = frames.length(i);
            if (!pool.isAllocated(f) || owner[f] != NOT_KERNEL || off < 0 || len <= 0 || len > frameSize - off) {
                publishTx(idx, i, bytes, frames);
                throw new IllegalArgumentException("cannot transmit frame " + f + " [" + off + ", +" + len
                        + "): not an allocated frame of this queue's pool held by the caller, or outside it");
            }
            long d = tx.descOffset + (long) (idx & tx.mask) * RX_DESC;
            ring.set(JAVA_LONG, d, pool.offset(f) + off);
            ring.set(JAVA_INT, d + 8, len);
            ring.set(JAVA_INT, d + 12, 0);
            owner[f] = IN_TX;
            bytes += len;
        }
        publishTx(idx, n, bytes, frames);
        if (n < count) {
            counters.add(QueueCounter.DROP_TX_RING_FULL, count - n);
        }
        return n;
    }

    private void publishTx(int idx, int n, long bytes, FrameBurst frames) {
        if (n == 0) {
            return;
        }
        tx.local = idx;
        tx.publishProducer(idx);
        inTx += n;
        counters.add(QueueCounter.TX_FRAMES, n);
        counters.add(QueueCounter.TX_BYTES, bytes);
        frames.dropFirst(n);
        kick();
    }

    /** Asks the kernel to send what the TX ring holds, if it wants asking (copy mode always does). */
    private void kick() {
        if (!needWakeup || (tx.flags() & XDP_RING_NEED_WAKEUP) != 0) {
            counters.increment(QueueCounter.TX_KICKS);
            // EAGAIN, EBUSY, ENOBUFS: the kernel is still busy with earlier frames; the next kick continues.
            sys.sendto(fd, 0, 0, Net.MSG_DONTWAIT, null);
        }
    }

    @Override
    public int reclaim() {
        int ready = completion.ready(completion.size);
        if (ready < 0) {
            counters.increment(QueueCounter.DROP_MALFORMED);
            completion.cached = completion.local;
            return 0;
        }
        int released = 0;
        if (ready > 0) {
            MemorySegment ring = completion.memory;
            int idx = completion.local;
            for (int i = 0; i < ready; i++, idx++) {
                long addr = ring.get(JAVA_LONG, completion.descOffset + (long) (idx & completion.mask) * ADDR_DESC);
                int frame = addr < 0 || addr >= umemBytes ? -1 : (int) (addr >>> frameShift);
                if (frame < 0 || owner[frame] != IN_TX) {
                    counters.increment(QueueCounter.DROP_MALFORMED); // not a frame we sent: leave it alone
                    continue;
                }
                owner[frame] = NOT_KERNEL;
                inTx--;
                pool.release(frame);
                released++;
            }
            completion.local = idx;
            completion.publishConsumer(idx);
        }
        if (inTx > 0) {
            kick(); // copy mode moves a bounded number of frames per kick
        }
        return released;
    }

    @Override
    public void awaitTraffic(long timeoutNanos) {
        long ms = Math.max(0, Math.min(Integer.MAX_VALUE, (timeoutNanos + 999_999) / 1_000_000));
        sys.poll1(fd, Net.POLLIN, (int) ms);
    }

    // ------------------------------------------------------------------------------ the rest

    @Override
    public FramePool pool() {
        return pool;
    }

    @Override
    public int headroom() {
        return XDP_PACKET_HEADROOM;
    }

    @Override
    public QueueCounters counters() {
        return counters;
    }

    /** Copies {@code XDP_STATISTICS} into the KERNEL_* counters. */
    @Override
    public void refreshCounters() {
        if (closed) {
            return;
        }
        sys.getsockoptRaw(fd, SOL_XDP, XDP_STATISTICS, stats.address(), 48);
        counters.set(QueueCounter.KERNEL_RX_DROPPED, stats.get(JAVA_LONG, 0));
        counters.set(QueueCounter.KERNEL_RX_INVALID, stats.get(JAVA_LONG, 8));
        counters.set(QueueCounter.KERNEL_TX_INVALID, stats.get(JAVA_LONG, 16));
        counters.set(QueueCounter.KERNEL_RX_RING_FULL, stats.get(JAVA_LONG, 24));
        counters.set(QueueCounter.KERNEL_FILL_EMPTY, stats.get(JAVA_LONG, 32));
        counters.set(QueueCounter.KERNEL_TX_RING_EMPTY, stats.get(JAVA_LONG, 40));
    }

    @Override
    public int backlog() {
        return Math.max(0, rx.cached - rx.local);
    }

    @Override
    public int descriptor() {
        return fd;
    }

    @Override
    public int queueId() {
        return queueId;
    }

    /** The socket's descriptor (for the XSKMAP). */
    public int fd() {
        return fd;
    }

    /** Whether the socket is bound in zero-copy mode (else the kernel copies every frame). */
    public boolean zeroCopy() {
        return zeroCopy;
    }

    /** Whether the UMEM is in 2 MiB huge pages. */
    public boolean hugePages() {
        return hugePages;
    }

    /** Frames the kernel holds now: in the fill ring, or sent and not yet completed. */
    public int framesInKernel() {
        return inFill + inTx;
    }

    /** Closes the socket and unmaps the rings and the UMEM. Frames still held become invalid. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (fd >= 0) {
            sys.close(fd);
        }
        if (arena != null) {
            arena.close();
        }
    }
}
