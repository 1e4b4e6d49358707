package io.jix.nic.packet;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.NicQueue;
import io.jix.nic.QueueCounter;
import io.jix.nic.QueueCounters;
import io.jix.sys.Memory;
import io.jix.sys.Net;
import io.jix.sys.SysException;
import io.jix.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * One AF_PACKET socket with a {@code TPACKET_V2} receive ring and transmit ring mapped into this
 * process: the fallback driver where AF_XDP is missing. One socket per queue; the queues of a port
 * share a {@code PACKET_FANOUT_HASH} group, so the kernel spreads flows across them (see
 * {@link PacketPort}).
 *
 * <p><b>One copy each way, on purpose.</b> The frames of a TPACKET ring live in memory the kernel
 * owns and hands back slot by slot in ring order; a {@link FramePool} hands frames out and takes
 * them back in any order. Rather than teach the rest of jix a second ownership model, this queue
 * keeps a pool of its own: {@link #receive} copies each ready RX slot into a fresh pool frame (at
 * {@link #headroom()}) and gives the slot straight back to the kernel; {@link #transmit} copies each
 * pool frame into the next free TX slot and returns the pool frame to the pool at once. So the
 * stack above treats every driver alike, and a frame the application holds never pins a ring
 * slot. The price is one {@code memcpy} of each frame in each direction, which the fallback driver
 * can afford (the kernel already copied the frame once into the ring; AF_XDP is the fast path).
 * Consequences for the {@link NicQueue} contract: a frame given to {@code transmit} is already back
 * in the pool when {@code transmit} returns, and {@link #reclaim()} only frees TX ring slots (it
 * returns how many), which {@code transmit} also does by itself when the ring looks full.
 *
 * <p><b>Receive.</b> Why TPACKET_V2 and not V3: V3 hands a block to user space only when it is full
 * or its retire timer fires, which adds up to a millisecond to every request/response round trip;
 * V2 hands over every frame at once. Each RX slot header ({@code tp_status}, read with an acquire
 * load; written back with a release store) is checked before anything is copied: the data must lie
 * inside the slot ({@code tp_mac >= 32}, {@code tp_mac + tp_snaplen <= slot}), must be a whole
 * Ethernet frame ({@code tp_snaplen >= 14}, {@code tp_snaplen == tp_len}: a truncated capture is
 * not a frame) and must fit a pool frame after the headroom. Anything else is counted as
 * {@link QueueCounter#DROP_MALFORMED} and the slot is returned; nothing is ever read outside the
 * slot. Frames marked {@code TP_STATUS_CSUMNOTREADY} (a veth peer with TX checksum offload on hands
 * over partial transport checksums) are delivered and counted as {@link QueueCounter#RX_CHECKSUM_PARTIAL}: the
 * stack's checksum check decides about them. When the pool is empty the remaining frames stay in the
 * ring (it is the receive buffer); if it fills, the kernel drops and counts ({@code tp_drops},
 * surfaced as {@link QueueCounter#KERNEL_RX_DROPPED} by {@link #refreshCounters()}).
 *
 * <p><b>Transmit.</b> Frames are written in ring order (the kernel walks the TX ring from its own
 * head and stops at the first slot not marked for sending), each slot published with a release
 * store of {@code TP_STATUS_SEND_REQUEST}, then one non-blocking {@code send(fd, NULL, 0,
 * MSG_DONTWAIT)} per burst asks the kernel to send them all ({@link QueueCounter#TX_KICKS}); a
 * burst that finds the ring full kicks too, since a kick the device refused part-way leaves
 * frames marked but unsent until the next one.
 * {@code PACKET_QDISC_BYPASS} hands them straight to the driver; {@code PACKET_LOSS} makes the
 * kernel skip a frame it refuses (say, longer than the MTU) instead of stalling the ring on it.
 * Frames shorter than an Ethernet header or longer than a slot are refused here as malformed.
 *
 * <p>{@code PACKET_IGNORE_OUTGOING} (and the fanout group's equivalent flag) keeps the queue from
 * receiving frames this host sends on the interface, its own included.
 *
 * <p>Not thread-safe: one elastic thread owns a queue. Nothing on the receive, transmit, reclaim
 * or await path allocates.
 */
public final class PacketQueue implements NicQueue {

    static final int AF_PACKET = 17;
    static final int SOCK_RAW = 3;
    static final int ETH_P_ALL = 0x0003;
    static final int SOL_PACKET = 263;
    static final int PACKET_RX_RING = 5;
    static final int PACKET_STATISTICS = 6;
    static final int PACKET_VERSION = 10;
    static final int PACKET_TX_RING = 13;
    static final int PACKET_LOSS = 14;
    static final int PACKET_FANOUT = 18;
    static final int PACKET_QDISC_BYPASS = 20;
    static final int PACKET_IGNORE_OUTGOING = 23;
    static final int TPACKET_V2 = 1;
    static final int PACKET_FANOUT_HASH = 0;
    static final int PACKET_FANOUT_FLAG_UNIQUEID = 0x2000;
    static final int PACKET_FANOUT_FLAG_IGNORE_OUTGOING = 0x4000;

    static final int TP_STATUS_KERNEL = 0;
    static final int TP_STATUS_USER = 1;
    static final int TP_STATUS_COPY = 1 << 1;
    static final int TP_STATUS_CSUMNOTREADY = 1 << 3;
    static final int TP_STATUS_AVAILABLE = 0;
    static final int TP_STATUS_SEND_REQUEST = 1;
    static final int TP_STATUS_SENDING = 2;
    static final int TP_STATUS_WRONG_FORMAT = 4;

    /** sizeof(struct tpacket2_hdr): status@0, len@4, snaplen@8, mac@12; TX data starts right after it. */
    static final int HDR = 32;
    static final int SLOT = PacketConfig.FRAME_SIZE;
    static final int BLOCK = SLOT * PacketConfig.SLOTS_PER_BLOCK;
    /** Where received data starts in a pool frame: room for the stack to prepend headers, as AF_XDP's. */
    static final int HEADROOM = 256;
    static final int ETH_HEADER = 14;
    /** The largest frame a TX slot holds. */
    static final int TX_MAX = SLOT - HDR;

    private static final VarHandle STATUS = JAVA_INT.varHandle();
    private static final ValueLayout.OfShort U16_BE = JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);

    private final Syscalls sys;
    private final int fd;
    private final int queueId;
    private final int fanoutGroup;
    private final Arena arena;
    private final MemorySegment rx;
    private final int rxSlots;
    private final MemorySegment tx;
    private final int txSlots;
    private final FramePool pool;
    private final MemorySegment poolRegion;
    private final QueueCounters counters = new QueueCounters();
    private final MemorySegment stats;
    private int rxHead;
    private int txHead;
    private int txTail;
    private int txOutstanding;
    private long kernelPackets;
    private long kernelDrops;
    private boolean closed;

    /** Over rings already mapped (or, in tests, ordinary segments playing the kernel's part; fd -1). */
    PacketQueue(Syscalls sys, int fd, int queueId, int fanoutGroup, Arena arena, MemorySegment rx, int rxSlots,
            MemorySegment tx, int txSlots, FramePool pool) {
        if (rx.byteSize() < (long) rxSlots * SLOT || tx.byteSize() < (long) txSlots * SLOT) {
            throw new IllegalArgumentException("rings smaller than their slots");
        }
        if (pool.frameSize() < HEADROOM + ETH_HEADER) {
            throw new IllegalArgumentException("pool frames too small: " + pool.frameSize());
        }
        this.sys = sys;
        this.fd = fd;
        this.queueId = queueId;
        this.fanoutGroup = fanoutGroup;
        this.arena = arena;
        this.rx = rx;
        this.rxSlots = rxSlots;
        this.tx = tx;
        this.txSlots = txSlots;
        this.pool = pool;
        this.poolRegion = pool.region();
        this.stats = Arena.ofAuto().allocate(8, 8);
    }

    /**
     * Opens queue {@code queueId} on interface {@code ifindex}: an AF_PACKET socket with TPACKET_V2
     * RX and TX rings, QDISC bypass, loss mode and outgoing frames ignored, bound to the interface
     * for every protocol and joined to fanout group {@code fanoutGroup} ({@code -1}: a new group
     * with an id the kernel picks, see {@link #fanoutGroup()}). Throws {@link SysException} naming
     * the failing call; nothing is left open then.
     */
    static PacketQueue open(int ifindex, int queueId, int fanoutGroup, PacketConfig config) {
        Syscalls sys = new Syscalls();
        // Protocol 0: the socket receives nothing until bind() names the protocol, after the rings exist.
        int fd = sys.socket(AF_PACKET, SOCK_RAW | Net.SOCK_CLOEXEC, 0);
        Arena arena = Arena.ofShared();
        try (Arena setup = Arena.ofConfined()) {
            MemorySegment s = setup.allocate(32, 8);
            sys.setsockopt(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V2);
            sys.setsockopt(fd, SOL_PACKET, PACKET_LOSS, 1);
            sys.setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1);
            sys.setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
            ringRequest(s, config.rxSlots());
            sys.setsockoptRaw(fd, SOL_PACKET, PACKET_RX_RING, s.address(), 16);
            ringRequest(s, config.txSlots());
            sys.setsockoptRaw(fd, SOL_PACKET, PACKET_TX_RING, s.address(), 16);

            long rxBytes = (long) config.rxSlots() * SLOT;
            long txBytes = (long) config.txSlots() * SLOT;
            // One mapping: the RX ring, then the TX ring.
            MemorySegment rings = Memory.map(rxBytes + txBytes, Memory.PROT_READ | Memory.PROT_WRITE,
                    Memory.MAP_SHARED | Memory.MAP_POPULATE, fd, 0, arena);
            MemorySegment poolMemory = arena.allocate((long) config.poolFrames() * SLOT, 4096);
            FramePool pool = new FramePool(poolMemory, SLOT, config.poolFrames());

            s.fill((byte) 0); // struct sockaddr_ll
            s.set(JAVA_SHORT, 0, (short) AF_PACKET);
            s.set(U16_BE, 2, (short) ETH_P_ALL);
            s.set(JAVA_INT, 4, ifindex);
            sys.bindRaw(fd, s.address(), 20);

            // PACKET_FANOUT only after bind. The group's own hook replaces the socket's, so the
            // ignore-outgoing setting has to be given to the group as well.
            int group;
            if (fanoutGroup < 0) {
                int flags = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_UNIQUEID | PACKET_FANOUT_FLAG_IGNORE_OUTGOING;
                sys.setsockopt(fd, SOL_PACKET, PACKET_FANOUT, flags << 16);
                s.set(JAVA_INT, 0, 0);
                sys.getsockoptRaw(fd, SOL_PACKET, PACKET_FANOUT, s.address(), 4);
                group = s.get(JAVA_INT, 0) & 0xFFFF;
            } else {
                int flags = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_IGNORE_OUTGOING;
                sys.setsockopt(fd, SOL_PACKET, PACKET_FANOUT, (fanoutGroup & 0xFFFF) | flags << 16);
                group = fanoutGroup & 0xFFFF;
            }
            return new PacketQueue(sys, fd, queueId, group, arena, rings.asSlice(0, rxBytes), config.rxSlots(),
                    rings.asSlice(rxBytes, txBytes), config.txSlots(), pool);
        } catch (RuntimeException | Error e) {
            arena.close();
            sys.close(fd);
            throw e;
        }
    }

    /** struct tpacket_req: block_size@0, block_nr@4, frame_size@8, frame_nr@12. */
    private static void ringRequest(MemorySegment s, int slots) {
        s.set(JAVA_INT, 0, BLOCK);
        s.set(JAVA_INT, 4, slots / PacketConfig.SLOTS_PER_BLOCK);
        s.set(JAVA_INT, 8, SLOT);
        s.set(JAVA_INT, 12, slots);
    }

    @Override
    public int receive(FrameBurst into, int max) {
        int limit = Math.min(max, into.remaining());
        int n = 0;
        while (n < limit) {
            long slot = (long) rxHead * SLOT;
            int status = (int) STATUS.getAcquire(rx, slot);
            if ((status & TP_STATUS_USER) == 0) {
                break;
            }
            int len = rx.get(JAVA_INT, slot + 4);
            int snap = rx.get(JAVA_INT, slot + 8);
            int mac = rx.get(JAVA_SHORT, slot + 12) & 0xFFFF;
            if (mac < HDR || snap < ETH_HEADER || snap > SLOT - mac || snap != len
                    || snap > pool.frameSize() - HEADROOM || (status & TP_STATUS_COPY) != 0) {
                counters.increment(QueueCounter.DROP_MALFORMED);
            } else {
                int frame = pool.allocate();
                if (frame < 0) {
                    break; // leave it in the ring, the receive buffer, until frames come back
                }
                MemorySegment.copy(rx, slot + mac, poolRegion, pool.offset(frame) + HEADROOM, snap);
                into.add(frame, HEADROOM, snap);
                counters.increment(QueueCounter.RX_FRAMES);
                counters.add(QueueCounter.RX_BYTES, snap);
                if ((status & TP_STATUS_CSUMNOTREADY) != 0) {
                    counters.increment(QueueCounter.RX_CHECKSUM_PARTIAL);
                }
                n++;
            }
            STATUS.setRelease(rx, slot, TP_STATUS_KERNEL);
            rxHead = rxHead + 1 == rxSlots ? 0 : rxHead + 1;
        }
        return n;
    }

    @Override
    public int transmit(FrameBurst frames) {
        int count = frames.count();
        int taken = 0;
        int queued = 0;
        while (taken < count) {
            if (txOutstanding == txSlots && reclaim() == 0) {
                break;
            }
            int frame = frames.frame(taken);
            int offset = frames.offset(taken);
            int length = frames.length(taken);
            taken++;
            if (!pool.isAllocated(frame)) {
                counters.increment(QueueCounter.DROP_MALFORMED); // not a frame of ours: nothing to release
                continue;
            }
            if (offset < 0 || length < ETH_HEADER || length > TX_MAX || (long) offset + length > pool.frameSize()) {
                counters.increment(QueueCounter.DROP_MALFORMED);
                pool.release(frame);
                continue;
            }
            long slot = (long) txHead * SLOT;
            MemorySegment.copy(poolRegion, pool.offset(frame) + offset, tx, slot + HDR, length);
            tx.set(JAVA_INT, slot + 4, length);
            STATUS.setRelease(tx, slot, TP_STATUS_SEND_REQUEST);
            txHead = txHead + 1 == txSlots ? 0 : txHead + 1;
            txOutstanding++;
            pool.release(frame);
            counters.increment(QueueCounter.TX_FRAMES);
            counters.add(QueueCounter.TX_BYTES, length);
            queued++;
        }
        frames.dropFirst(taken);
        if (taken < count) {
            counters.add(QueueCounter.DROP_TX_RING_FULL, count - taken);
        }
        // Kick after queueing, and also when the ring is full: a kick the device refused half-way
        // (-ENOBUFS, -EAGAIN) leaves frames marked but unsent, and only another kick moves them.
        if ((queued > 0 || taken < count) && fd >= 0) {
            counters.increment(QueueCounter.TX_KICKS);
            sys.send(fd, 0, 0, Net.MSG_DONTWAIT);
        }
        return taken;
    }

    /**
     * Frees the TX ring slots the kernel has finished with, oldest first.
     *
     * @return how many slots were freed (pool frames were already returned by {@link #transmit})
     */
    @Override
    public int reclaim() {
        int freed = 0;
        while (txOutstanding > 0) {
            long slot = (long) txTail * SLOT;
            int status = (int) STATUS.getAcquire(tx, slot);
            if ((status & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING)) != 0) {
                break;
            }
            if ((status & TP_STATUS_WRONG_FORMAT) != 0) {
                counters.increment(QueueCounter.KERNEL_TX_INVALID);
                STATUS.setRelease(tx, slot, TP_STATUS_AVAILABLE);
            }
            txTail = txTail + 1 == txSlots ? 0 : txTail + 1;
            txOutstanding--;
            freed++;
        }
        return freed;
    }

    @Override
    public void awaitTraffic(long timeoutNanos) {
        if (((int) STATUS.getAcquire(rx, (long) rxHead * SLOT) & TP_STATUS_USER) != 0 || fd < 0) {
            return;
        }
        long millis = Math.max(0, Math.min(Integer.MAX_VALUE, (timeoutNanos + 999_999) / 1_000_000));
        sys.poll1(fd, Net.POLLIN, (int) millis);
    }

    /**
     * Reads {@code PACKET_STATISTICS} (which the kernel resets on every read, so this queue adds
     * them up): {@code tp_drops}, frames the kernel could not put in the full RX ring, becomes
     * {@link QueueCounter#KERNEL_RX_DROPPED}; {@code tp_packets} is {@link #kernelPackets()}.
     */
    @Override
    public void refreshCounters() {
        if (fd < 0 || closed) {
            return;
        }
        sys.getsockoptRaw(fd, SOL_PACKET, PACKET_STATISTICS, stats.address(), 8);
        kernelPackets += Integer.toUnsignedLong(stats.get(JAVA_INT, 0));
        kernelDrops += Integer.toUnsignedLong(stats.get(JAVA_INT, 4));
        counters.set(QueueCounter.KERNEL_RX_DROPPED, kernelDrops);
    }

    /** Frames the kernel offered this socket (delivered or dropped), as of the last {@link #refreshCounters()}. */
    public long kernelPackets() {
        return kernelPackets;
    }

    /** TX ring slots handed to the kernel and not yet seen completed by {@link #reclaim()}. */
    public int transmitPending() {
        return txOutstanding;
    }

    /** The fanout group this queue's socket belongs to. */
    public int fanoutGroup() {
        return fanoutGroup;
    }

    /** The socket's file descriptor (for diagnostics). */
    public int fd() {
        return fd;
    }

    @Override
    public FramePool pool() {
        return pool;
    }

    @Override
    public int headroom() {
        return HEADROOM;
    }

    @Override
    public QueueCounters counters() {
        return counters;
    }

    @Override
    public int descriptor() {
        return fd;
    }

    @Override
    public int queueId() {
        return queueId;
    }

    /** Unmaps the rings and the pool and closes the socket. Idempotent; the queue must not be used after. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (arena != null) {
            arena.close();
        }
        if (fd >= 0) {
            sys.close(fd);
        }
    }
}
