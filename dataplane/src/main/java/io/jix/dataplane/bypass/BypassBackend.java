package io.jix.dataplane.bypass;

import static io.jix.sys.Net.EPOLLIN;

import io.jix.api.Endpoint;
import io.jix.api.IoVector;
import io.jix.api.Status;
import io.jix.dataplane.Counter;
import io.jix.dataplane.loop.Backend;
import io.jix.dataplane.loop.Counters;
import io.jix.dataplane.loop.EventBatch;
import io.jix.dataplane.loop.HandleTable;
import io.jix.nic.Frame;
import io.jix.nic.NicQueue;
import io.jix.nic.QueueCounter;
import io.jix.nic.QueueCounters;
import io.jix.stack.NetStack;
import io.jix.stack.NetStackConfig;
import io.jix.stack.tcp.TcpConfig;
import io.jix.stack.tcp.TcpEvents;
import io.jix.stack.tcp.TcpLayer;
import io.jix.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The native backend: jix's own TCP/IP stack on the NIC queues of one flow group — IX's
 * dataplane. Each {@link Lane} is one queue with its stack instance; {@link #poll} runs every
 * received frame to completion through it, and the events it raises (TCP's accepted, recv, sent,
 * eof, dead; UDP datagrams) become the application's event conditions. Calls go straight into the
 * stack; every frame they produce leaves in one transmit per lane at the end of the batch.
 *
 * <p>Zero copy: a {@code recv} view is a read-only slice of the NIC frame itself, held (and
 * counted against the window) until {@code recvDone} returns it. With checked views each view
 * belongs to an arena that {@code recvDone} closes before the frame can be reused, so a stale view
 * throws instead of reading another packet; that costs one small allocation per received frame.
 * Frames of a connection that ends while the application still holds them are adopted from the
 * stack and freed here when the application returns them or closes.
 */
public final class BypassBackend implements Backend {

    /** How the backend is set up; one instance per flow group. */
    public record Options(int[] tcpPorts, int[] udpPorts, int maxConnections, int backlog, boolean checkedViews,
                          TcpConfig tcp) {
    }

    private static final byte FREE = 0;
    private static final byte KNOCKING = 1;
    private static final byte CONNECTING = 2;
    private static final byte OPEN = 3;
    private static final byte DEAD = 4;   // told the application; waiting for its close
    private static final byte FAILED = 5; // connect failed; freed when the event is handed over

    /** Longest an idle thread sleeps: the stacks' own timers (delayed ACK, RTO) need a look. */
    private static final long MAX_PARK_NANOS = 10_000_000L;
    private static final long KERNEL_STATS_NANOS = 100_000_000L;

    private final Counters counters;
    private final int batchCap;
    private final Lane[] lanes;
    private final HandleTable handles;
    private final byte[] state;
    private final Object[] cookie;
    private final long[] conn;
    private final byte[] laneOf;
    private final long[] held;      // received, not yet returned (delivered or still pending)
    private final long[] delivered; // received, delivered, not yet returned: what recvDone may return
    private final long[] outstanding; // taken by send, not yet reported sent
    private final boolean[] eofSeen;
    private final boolean[] knocking; // announced, not yet accepted or rejected (its state may be DEAD meanwhile)
    private final int[] txLent;       // transmit buffers the connection holds
    private final boolean[] tcpAlive;
    private final int[][] slotOfTcp; // per lane: TCP slot -> our slot, or -1
    private final PendingEvents pending;
    private final Object[] udpSentCookie;
    private final RxPieces pieces;
    private final boolean checked;
    private boolean moving; // waiting to move to another thread: deliver unchecked views meanwhile
    private long kernelStatsAt;
    private final int[] tcpPorts;
    private final int[] udpPorts;
    private final int[] udpDelivered;
    private int udpDeliveredCount;
    private final Syscalls sys = new Syscalls();
    private final Arena arena = Arena.ofShared();
    private final int epfd;
    private final boolean allQueuesPollable;
    private final ArpShare arp;
    private long arpSeen;
    private EventBatch delivering;
    private int nextLane;
    private long lastPollNanos; // when the previous poll came, and what it left in the rings
    private int lastLeft;
    private boolean parked;
    private int nextConnectLane;

    /**
     * A backend over {@code queues}, each with a stack configured by {@code stackConfig} (given
     * the queue, so that it knows which of the port's queues it is).
     *
     * @param group the flow group's index (it is in every handle)
     */
    public BypassBackend(int group, List<? extends NicQueue> queues, Function<NicQueue, NetStackConfig> stackConfig,
                         Options options, int batchCap, Counters counters, ArpShare arp) {
        if (queues.isEmpty()) {
            throw new IllegalArgumentException("the native backend needs at least one NIC queue");
        }
        this.counters = counters;
        this.arp = arp;
        this.batchCap = batchCap;
        this.checked = options.checkedViews();
        this.handles = new HandleTable(group, options.maxConnections());
        int slots = options.maxConnections();
        state = new byte[slots];
        cookie = new Object[slots];
        conn = new long[slots];
        laneOf = new byte[slots];
        held = new long[slots];
        delivered = new long[slots];
        outstanding = new long[slots];
        eofSeen = new boolean[slots];
        knocking = new boolean[slots];
        txLent = new int[slots];
        tcpAlive = new boolean[slots];
        pending = new PendingEvents(Math.max(1024, 8 * batchCap));
        udpSentCookie = new Object[Math.max(1024, 8 * batchCap)];
        udpDelivered = new int[Math.max(1024, 8 * batchCap)];
        tcpPorts = options.tcpPorts().clone();
        udpPorts = options.udpPorts().clone();
        lanes = new Lane[queues.size()];
        slotOfTcp = new int[lanes.length][];
        int frames = 0;
        long now = System.nanoTime();
        for (int i = 0; i < lanes.length; i++) {
            NicQueue q = queues.get(i);
            NetStack stack = new NetStack(q, stackConfig.apply(q), now);
            stack.deferFlush(true);
            stack.onArpLearned(arp::publish);
            Lane lane = Lane.open(i, q, stack, options.tcp(), this);
            TcpLayer tcp = lane.tcp;
            lanes[i] = lane;
            slotOfTcp[i] = new int[options.tcp().maxConnections()];
            java.util.Arrays.fill(slotOfTcp[i], -1);
            for (int p : tcpPorts) {
                tcp.listen(p, options.backlog());
            }
            for (int p : udpPorts) {
                stack.bindUdp(p, lane);
            }
            frames += q.pool().capacity();
        }
        pieces = new RxPieces(frames, slots);
        epfd = sys.epollCreate();
        boolean pollable = true;
        for (Lane l : lanes) {
            int fd = l.queue.descriptor();
            if (fd >= 0) {
                sys.epollCtl(epfd, io.jix.sys.Net.EPOLL_CTL_ADD, fd, EPOLLIN, l.index);
            } else {
                pollable = false;
            }
        }
        allQueuesPollable = pollable;
    }

    // ------------------------------------------------------------------ the loop

    @Override
    public int poll(EventBatch batch) {
        delivering = batch;
        int before = batch.size();
        transfer(batch);
        // Run the stacks only while earlier events are (nearly) all handed over: the pending queue,
        // and so the frames its events hold, stays bounded however fast traffic arrives.
        long now = System.nanoTime(); // one clock read per poll: the stacks' timers and the publishing share it
        if (pending.size() < batchCap) {
            pollLanes(now);
            transfer(batch);
        }
        transmit();
        publish(now);
        return batch.size() - before;
    }

    /**
     * Mirrors the lanes' own counters into the stats file: a few plain stores per iteration, and
     * every {@link #KERNEL_STATS_NANOS} one {@code getsockopt} for the kernel's drop counters.
     */
    private void publish(long now) {
        if (now - kernelStatsAt > KERNEL_STATS_NANOS) {
            kernelStatsAt = now;
            long kernelDrops = 0;
            for (Lane lane : lanes) {
                lane.queue.refreshCounters();
                QueueCounters q = lane.queue.counters();
                kernelDrops += q.get(QueueCounter.KERNEL_RX_DROPPED) + q.get(QueueCounter.KERNEL_RX_RING_FULL)
                        + q.get(QueueCounter.KERNEL_FILL_EMPTY) + q.get(QueueCounter.KERNEL_RX_INVALID)
                        + q.get(QueueCounter.KERNEL_TX_INVALID);
            }
            counters.publish(Counter.NIC_DROPS_KERNEL, kernelDrops);
        }
        long rx = 0;
        long tx = 0;
        long ringFull = 0;
        long poolEmpty = 0;
        long malformed = 0;
        long retransmits = 0;
        long resets = 0;
        long zeroCopy = 0;
        long outOfOrder = 0;
        for (Lane lane : lanes) {
            QueueCounters q = lane.queue.counters();
            rx += q.get(QueueCounter.RX_FRAMES);
            tx += q.get(QueueCounter.TX_FRAMES);
            ringFull += q.get(QueueCounter.DROP_TX_RING_FULL);
            poolEmpty += q.get(QueueCounter.DROP_POOL_EMPTY);
            malformed += q.get(QueueCounter.DROP_MALFORMED);
            retransmits += lane.tcp.retransmits;
            resets += lane.tcp.resetsSent;
            zeroCopy += lane.tcp.zeroCopySegments;
            outOfOrder += lane.tcp.outOfOrderSegments;
        }
        counters.publish(Counter.NIC_RX_FRAMES, rx);
        counters.publish(Counter.NIC_TX_FRAMES, tx);
        counters.publish(Counter.NIC_DROPS, ringFull + poolEmpty + malformed);
        counters.publish(Counter.NIC_DROPS_TX_RING_FULL, ringFull);
        counters.publish(Counter.NIC_DROPS_POOL_EMPTY, poolEmpty);
        counters.publish(Counter.NIC_DROPS_MALFORMED, malformed);
        counters.publish(Counter.TCP_RETRANSMITS, retransmits);
        counters.publish(Counter.TCP_RESETS_SENT, resets);
        counters.publish(Counter.TX_ZERO_COPY, zeroCopy);
        counters.publish(Counter.TCP_OUT_OF_ORDER, outOfOrder);
    }

    private void pollLanes(long now) {
        if (arp.published() != arpSeen) {
            arpSeen = arp.applySince(arpSeen, lanes);
        }
        int received = 0;
        int left = 0;
        int n = lanes.length;
        int start = nextLane;
        nextLane = start + 1 == n ? 0 : start + 1;
        for (int k = 0; k < n; k++) {
            Lane lane = lanes[(start + k) % n];
            received += lane.stack.poll(now); // runs the TCP layer's timers too (its transport poll hook)
            left += lane.queue.backlog();
        }
        int seen = received + left; // what was waiting when this poll came
        if (seen > 0 && lastPollNanos != 0) {
            // Frames the last poll left waited the whole gap; frames that came during it, half of it
            // on average — unless the thread was parked: the first arrival woke it, so it waited only
            // for the wake-up, which this side cannot see.
            long gap = now - lastPollNanos;
            counters.add(Counter.RX_QUEUE_NANOS, parked ? lastLeft * gap : (lastLeft + seen) * gap / 2);
        }
        lastPollNanos = now;
        lastLeft = left;
        parked = false;
    }

    @Override
    public void parking() {
        parked = true;
    }

    private void transmit() {
        for (Lane lane : lanes) {
            lane.stack.transmitQueued();
        }
    }

    /** Moves pending events into the batch while it has room, resolving each connection's cookie now. */
    private void transfer(EventBatch batch) {
        while (!pending.isEmpty() && !batch.isFull()) {
            int i = pending.head();
            byte type = pending.type(i);
            long h = pending.handle(i);
            switch (type) {
                case EventBatch.UDP_RECV -> {
                    Endpoint from = batch.addUdpRecv(pending.data(i), pending.value(i), pending.length(i),
                            pending.aux(i));
                    from.setIpv4(pending.ip(i), pending.port(i));
                    udpDelivered[udpDeliveredCount++] = pending.frame(i);
                }
                case EventBatch.UDP_SENT -> {
                    int k = pending.aux(i) >>> 8;
                    batch.addUdpSent(udpSentCookie[k], pending.aux(i) & 0xff);
                    udpSentCookie[k] = null;
                }
                default -> {
                    if (handles.isLive(h)) {
                        int slot = slotOf(h);
                        Object c = cookie[slot];
                        switch (type) {
                            case EventBatch.KNOCK -> {
                                Endpoint from = batch.addKnock(h, pending.aux(i));
                                from.setIpv4(pending.ip(i), pending.port(i));
                                counters.increment(Counter.KNOCKS);
                            }
                            case EventBatch.CONNECTED -> {
                                batch.addConnected(c, h, pending.aux(i));
                                if (state[slot] == FAILED) {
                                    free(slot);
                                }
                            }
                            case EventBatch.RECV -> {
                                MemorySegment view = pending.data(i);
                                if (checked && !moving) {
                                    // Made here, on the thread that delivers it: a pending piece can still migrate.
                                    Arena revocable = Arena.ofConfined();
                                    view = view.reinterpret(revocable, null);
                                    pieces.arm(pending.aux(i), revocable);
                                }
                                delivered[slot] += pending.length(i);
                                batch.addRecv(c, h, view, pending.value(i), pending.length(i));
                            }
                            case EventBatch.SENT -> batch.addSent(c, h, pending.value(i));
                            case EventBatch.DEAD -> batch.addDead(c, h, pending.aux(i));
                            default -> throw new IllegalStateException("unknown pending event " + type);
                        }
                    }
                }
            }
            pending.removeHead();
        }
    }

    @Override
    public void endBatch(EventBatch batch) {
        for (int i = 0; i < batch.size(); i++) {
            if (batch.type(i) == EventBatch.KNOCK) {
                long h = batch.handle(i);
                if (handles.isLive(h) && knocking[slotOf(h)]) {
                    reject(h); // IX's rule: a knock is answered in its batch
                }
            }
        }
        for (int i = 0; i < udpDeliveredCount; i++) {
            int tagged = udpDelivered[i];
            lanes[tagged >>> 24].stack.release(tagged & 0xffffff);
        }
        udpDeliveredCount = 0;
        transmit();
    }

    // ------------------------------------------------------------------ stack events

    void onAccepted(Lane lane, long c, int localPort, int remoteIp, int remotePort) {
        long h = handles.allocate();
        if (h < 0) {
            counters.increment(Counter.TABLE_FULL);
            lane.tcp.abort(c);
            return;
        }
        int slot = slotOf(h);
        bind(slot, lane, c, KNOCKING);
        knocking[slot] = true;
        int i = pending.add(EventBatch.KNOCK, h);
        pending.setAux(i, localPort);
        pending.setEndpoint(i, remoteIp, remotePort);
    }

    void onConnected(Lane lane, long c, int status) {
        int slot = lookup(lane, c);
        if (slot < 0) {
            return;
        }
        int i = pending.add(EventBatch.CONNECTED, handles.handle(slot));
        if (status == 0) {
            state[slot] = OPEN;
            pending.setAux(i, Status.OK);
            counters.increment(Counter.CONNECTS);
            counters.increment(Counter.OPEN_CONNECTIONS);
        } else {
            unbind(slot);
            state[slot] = FAILED;
            pending.setAux(i, switch (status) {
                case TcpEvents.RESET -> Status.REFUSED;
                case TcpEvents.TIMED_OUT -> Status.TIMED_OUT;
                case TcpEvents.NO_RESOURCES -> Status.NO_RESOURCES;
                case TcpEvents.UNREACHABLE -> Status.UNREACHABLE;
                default -> Status.ERROR;
            });
        }
    }

    void onRecv(Lane lane, long c, long regionOffset, int length) {
        int slot = lookup(lane, c);
        if (slot < 0) {
            lane.tcp.recvDone(c, length); // the application has closed: acknowledged and dropped
            return;
        }
        int frame = lane.frameAt(regionOffset);
        int piece = pieces.add(slot, lane.index, frame, length);
        if (piece < 0) {
            throw new IllegalStateException("more received pieces than frames"); // cannot happen: one per frame
        }
        held[slot] += length;
        counters.add(Counter.RX_BYTES, length);
        int i = pending.add(EventBatch.RECV, handles.handle(slot));
        pending.set(i, lane.view(frame), lane.inFrame(regionOffset, frame), length);
        pending.setAux(i, piece);
    }

    /**
     * The peer's FIN. The application hears {@code dead} only once it has returned everything it
     * received and everything it gave {@code send} has been acknowledged: a half-closing peer still
     * gets every answer (an application blocked on output may hold input unread for a while), and
     * the stack, which sends the application's memory by reference, never transmits from buffers
     * an application freed on {@code dead}.
     */
    void onEof(Lane lane, long c) {
        int slot = lookup(lane, c);
        if (slot >= 0) {
            eofSeen[slot] = true;
            tellEofWhenSettled(slot);
        }
    }

    private void tellEofWhenSettled(int slot) {
        if (eofSeen[slot] && outstanding[slot] == 0 && held[slot] == 0) {
            tellDead(slot, Status.PEER_CLOSED);
        }
    }

    void onSent(Lane lane, long c, int bytes) {
        int slot = lookup(lane, c);
        if (slot >= 0 && state[slot] != DEAD) { // after dead the application only closes
            int i = pending.add(EventBatch.SENT, handles.handle(slot));
            pending.set(i, null, bytes, 0);
            outstanding[slot] -= bytes;
            tellEofWhenSettled(slot);
        }
    }

    void onDead(Lane lane, long c, int reason) {
        int slot = lookup(lane, c);
        if (slot < 0) {
            return;
        }
        unbind(slot);
        tellDead(slot, switch (reason) {
            case TcpEvents.CLOSED -> Status.PEER_CLOSED;
            case TcpEvents.RESET -> Status.RESET;
            case TcpEvents.TIMED_OUT -> Status.TIMED_OUT;
            default -> Status.ERROR;
        });
    }

    boolean onAdopt(Lane lane, long c, int frameId) {
        return lookup(lane, c) >= 0; // its pieces list the frame; recvDone or close frees it
    }

    boolean onDatagram(Lane lane, Frame frame, int payloadOffset, int payloadLength, int srcIp, int srcPort,
                       int dstPort) {
        int id = frame.id();
        long inFrame = frame.base() - lane.queue.pool().offset(id) + payloadOffset;
        int i = pending.add(EventBatch.UDP_RECV, 0);
        pending.set(i, lane.view(id), inFrame, payloadLength);
        pending.setAux(i, dstPort);
        pending.setEndpoint(i, srcIp, srcPort);
        pending.setFrame(i, lane.index << 24 | id);
        counters.increment(Counter.UDP_RX);
        return true; // kept until the batch that delivers it ends
    }

    private void tellDead(int slot, int status) {
        if (state[slot] == DEAD) {
            return;
        }
        if (state[slot] == OPEN) {
            counters.add(Counter.OPEN_CONNECTIONS, -1);
        }
        state[slot] = DEAD;
        counters.increment(Counter.DEATHS);
        int i = pending.add(EventBatch.DEAD, handles.handle(slot));
        pending.setAux(i, status);
    }

    // ------------------------------------------------------------------ calls

    @Override
    public boolean isLive(long handle) {
        return handles.isLive(handle);
    }

    @Override
    public void accept(long handle, Object c) {
        int slot = handles.slot(handle);
        if (!knocking[slot]) {
            throw new IllegalStateException("accept: connection 0x" + Long.toHexString(handle) + " is not knocking");
        }
        knocking[slot] = false;
        cookie[slot] = c;
        counters.increment(Counter.ACCEPTS);
        if (state[slot] == KNOCKING) {
            state[slot] = OPEN;
            counters.increment(Counter.OPEN_CONNECTIONS);
        } // else it ended before the application answered: its dead event follows

        // Events of this connection already in the batch being delivered were added without a cookie.
        EventBatch b = delivering;
        for (int i = 0; b != null && i < b.size(); i++) {
            if (b.handle(i) == handle && b.type(i) != EventBatch.KNOCK) {
                b.setCookie(i, c);
            }
        }
    }

    @Override
    public void reject(long handle) {
        int slot = handles.slot(handle);
        if (!knocking[slot]) {
            throw new IllegalStateException("reject: connection 0x" + Long.toHexString(handle) + " is not knocking");
        }
        knocking[slot] = false;
        counters.increment(Counter.REJECTS);
        reset(slot);
        free(slot);
    }

    @Override
    public long connect(Object c, InetSocketAddress remote) {
        if (remote.isUnresolved() || !(remote.getAddress() instanceof Inet4Address v4)) {
            throw new IllegalArgumentException("the native backend connects to IPv4 addresses only: " + remote);
        }
        long h = handles.allocate();
        if (h < 0) {
            counters.increment(Counter.TABLE_FULL);
            throw new IllegalStateException("connection table full (" + handles.capacity() + " slots)");
        }
        int slot = slotOf(h);
        cookie[slot] = c;
        Lane lane = lanes[nextConnectLane];
        nextConnectLane = (nextConnectLane + 1) % lanes.length;
        byte[] a = v4.getAddress();
        int ip = (a[0] & 0xff) << 24 | (a[1] & 0xff) << 16 | (a[2] & 0xff) << 8 | (a[3] & 0xff);
        long tc = lane.tcp.connect(ip, remote.getPort());
        if (tc < 0) {
            laneOf[slot] = (byte) lane.index;
            state[slot] = FAILED;
            pending.setAux(pending.add(EventBatch.CONNECTED, h), Status.NO_RESOURCES);
        } else {
            bind(slot, lane, tc, CONNECTING);
        }
        return h;
    }

    @Override
    public long send(long handle, MemorySegment data, long offset, long length) {
        int slot = handles.slot(handle);
        if (!writable(slot, "send")) {
            return 0;
        }
        requireNative(data);
        Objects.checkFromIndexSize(offset, length, data.byteSize());
        int took = lanes[laneOf[slot]].tcp.send(conn[slot], data, offset, (int) Math.min(length, Integer.MAX_VALUE));
        counters.add(Counter.TX_BYTES, took);
        outstanding[slot] += took;
        return took;
    }

    @Override
    public long sendv(long handle, IoVector vector) {
        int slot = handles.slot(handle);
        if (!writable(slot, "sendv")) {
            return 0;
        }
        TcpLayer tcp = lanes[laneOf[slot]].tcp;
        long total = 0;
        for (int i = 0; i < vector.count(); i++) {
            MemorySegment s = vector.segment(i);
            requireNative(s);
            Objects.checkFromIndexSize(vector.offset(i), vector.length(i), s.byteSize());
            int want = (int) Math.min(vector.length(i), Integer.MAX_VALUE);
            int took = tcp.send(conn[slot], s, vector.offset(i), want);
            total += took;
            if (took < want) {
                break;
            }
        }
        counters.add(Counter.TX_BYTES, total);
        outstanding[slot] += total;
        return total;
    }

    // ---- transmit buffers: UMEM frames the application writes into and the stack sends in place ----

    /** Most transmit buffers one connection may hold: a hoarder cannot drain its lane's pool. */
    private static final int TX_BUFFERS_PER_CONNECTION = 64;

    @Override
    public MemorySegment txBuffer(long handle) {
        int slot = handles.slot(handle);
        if (!writable(slot, "txBuffer") || txLent[slot] >= TX_BUFFERS_PER_CONNECTION) {
            return null;
        }
        Lane lane = lanes[laneOf[slot]];
        int frame = lane.queue.pool().allocate();
        if (frame < 0) {
            return null;
        }
        lane.lentTo[frame] = slot;
        txLent[slot]++;
        return lane.txView(frame);
    }

    @Override
    public long sendBuffer(long handle, MemorySegment buffer, int length) {
        int slot = handles.slot(handle);
        Lane lane = lanes[laneOf[slot]];
        int frame = lentFrame(lane, slot, buffer, "sendBuffer");
        if (length < 1 || length > buffer.byteSize()) {
            throw new IllegalArgumentException("sendBuffer: length " + length + " outside 1.." + buffer.byteSize());
        }
        if (!writable(slot, "sendBuffer")) {
            return 0;
        }
        if (lane.tcp.sendFrame(conn[slot], frame, lane.txPayload, length) != length) {
            return 0; // the send buffer is full: still the application's
        }
        lane.lentTo[frame] = -1; // the stack's now; back to the pool once acknowledged
        txLent[slot]--;
        counters.add(Counter.TX_BYTES, length);
        outstanding[slot] += length;
        return length;
    }

    @Override
    public void releaseBuffer(long handle, MemorySegment buffer) {
        int slot = handles.slot(handle);
        Lane lane = lanes[laneOf[slot]];
        int frame = lentFrame(lane, slot, buffer, "releaseBuffer");
        lane.lentTo[frame] = -1;
        txLent[slot]--;
        lane.queue.pool().release(frame);
    }

    private static int lentFrame(Lane lane, int slot, MemorySegment buffer, String call) {
        int frame = lane.txFrameOf(buffer);
        if (frame < 0 || lane.lentTo[frame] != slot) {
            throw new IllegalArgumentException(call + ": not a transmit buffer this connection holds");
        }
        return frame;
    }

    /** Returns the transmit buffers a closing connection still holds. */
    private void returnTxBuffers(int slot) {
        if (txLent[slot] == 0) {
            return;
        }
        for (Lane lane : lanes) {
            for (int f = 0; f < lane.lentTo.length; f++) {
                if (lane.lentTo[f] == slot) {
                    lane.lentTo[f] = -1;
                    lane.queue.pool().release(f);
                }
            }
        }
        txLent[slot] = 0;
    }

    private boolean writable(int slot, String call) {
        return switch (state[slot]) {
            case OPEN -> tcpAlive[slot];
            case DEAD, FAILED -> false;
            default -> throw new IllegalStateException(call + ": connection is " + stateName(state[slot]));
        };
    }

    private static void requireNative(MemorySegment s) {
        if (!s.isNative()) {
            throw new IllegalArgumentException("send needs native (off-heap) memory: the stack sends it by reference");
        }
    }

    @Override
    public void recvDone(long handle, long bytes) {
        int slot = handles.slot(handle);
        if (bytes < 0 || bytes > delivered[slot]) {
            throw new IllegalArgumentException("recvDone(0x" + Long.toHexString(handle) + ", " + bytes
                    + "): only " + delivered[slot] + " received bytes have been delivered and not returned");
        }
        held[slot] -= bytes;
        delivered[slot] -= bytes;
        returnPieces(slot, bytes);
        if (tcpAlive[slot]) {
            lanes[laneOf[slot]].tcp.recvDone(conn[slot], (int) bytes);
            tellEofWhenSettled(slot);
        }
    }

    /** Returns the oldest {@code bytes} of a slot's pieces; frames adopted from a dead connection go back to the pool here. */
    private void returnPieces(int slot, long bytes) {
        while (bytes > 0) {
            int p = pieces.first(slot);
            int left = pieces.left(p);
            if (bytes >= left) {
                if (!tcpAlive[slot]) {
                    lanes[pieces.lane(p)].stack.release(pieces.frame(p));
                }
                pieces.removeFirst(slot);
                bytes -= left;
            } else {
                pieces.take(slot, bytes);
                bytes = 0;
            }
        }
    }

    @Override
    public void close(long handle) {
        int slot = handles.slot(handle);
        if (knocking[slot]) {
            reject(handle);
            return;
        }
        if (state[slot] == OPEN) {
            counters.add(Counter.OPEN_CONNECTIONS, -1);
        }
        if (tcpAlive[slot]) {
            TcpLayer tcp = lanes[laneOf[slot]].tcp;
            long c = conn[slot];
            long h = held[slot];
            dropPieces(slot);
            unbind(slot);
            if (h > 0) {
                tcp.recvDone(c, (int) h);
            }
            tcp.close(c);
        } else {
            dropPieces(slot);
        }
        free(slot);
    }

    @Override
    public void abort(long handle) {
        int slot = handles.slot(handle);
        if (state[slot] == OPEN) {
            counters.add(Counter.OPEN_CONNECTIONS, -1);
        }
        reset(slot);
        free(slot);
    }

    /** Resets the slot's TCP connection, if it still has one; its frames go back with it. */
    private void reset(int slot) {
        if (tcpAlive[slot]) {
            TcpLayer tcp = lanes[laneOf[slot]].tcp;
            long c = conn[slot];
            dropPieces(slot);
            unbind(slot);
            tcp.abort(c);
        } else {
            dropPieces(slot);
        }
    }

    /** Revokes a slot's views; frames it adopted go back to the pool (the stack frees the others). */
    private void dropPieces(int slot) {
        int p;
        while ((p = pieces.first(slot)) >= 0) {
            if (!tcpAlive[slot]) {
                lanes[pieces.lane(p)].stack.release(pieces.frame(p));
            }
            pieces.removeFirst(slot);
        }
        held[slot] = 0;
        delivered[slot] = 0;
    }

    @Override
    public int udpSend(Object c, MemorySegment data, long offset, int length, Endpoint to, int fromPort) {
        if (!contains(udpPorts, fromPort)) {
            throw new IllegalArgumentException("not one of the application's UDP ports: " + fromPort);
        }
        if (to.family() != Endpoint.IPV4) {
            throw new IllegalArgumentException("the native backend sends to IPv4 addresses only: " + to);
        }
        Objects.checkFromIndexSize(offset, length, data.byteSize());
        Lane lane = lanes[0];
        int room = lane.stack.mtu() - 28;
        if (length > room) {
            throw new IllegalArgumentException("datagram of " + length + " bytes; at most " + room + " (jix does not fragment)");
        }
        int result;
        Frame f = lane.stack.allocate(lane.txFrame);
        if (f == null) {
            result = Status.NO_RESOURCES;
        } else {
            MemorySegment.copy(data, offset, f.region(), f.base() + NetStack.UDP_PAYLOAD_OFFSET, length);
            result = lane.stack.sendUdp(f, NetStack.UDP_PAYLOAD_OFFSET, length, fromPort, to.ipv4(), to.port())
                    ? Status.OK : Status.ERROR;
        }
        counters.increment(result == Status.OK ? Counter.UDP_TX : Counter.UDP_DROPS);
        if (c != null) {
            int k = freeUdpSentSlot();
            udpSentCookie[k] = c;
            pending.setAux(pending.add(EventBatch.UDP_SENT, 0), k << 8 | result);
        }
        return result;
    }

    private int freeUdpSentSlot() {
        for (int k = 0; k < udpSentCookie.length; k++) {
            if (udpSentCookie[k] == null) {
                return k;
            }
        }
        throw new IllegalStateException("too many udpSent notifications pending");
    }

    @Override
    public int readinessFd() {
        return allQueuesPollable ? epfd : -1;
    }

    @Override
    public long parkLimitNanos() {
        return allQueuesPollable ? MAX_PARK_NANOS : 1_000_000L;
    }

    /**
     * Checked views are confined to the thread that delivered them, so the group waits until the
     * application has returned every one. An application blocked on output holds its input, so
     * under load that moment may never come by itself: while the group waits, new views are
     * delivered unchecked (read-only slices, like {@code --unchecked-views}), and the wait ends
     * once the checked ones already out are back.
     */
    @Override
    public boolean readyToMove() {
        moving = true;
        return pieces.armed() == 0;
    }

    @Override
    public void moveEnded() {
        moving = false;
    }

    @Override
    public int[] tcpPorts() {
        return tcpPorts;
    }

    @Override
    public int[] udpPorts() {
        return udpPorts;
    }

    @Override
    public void close() {
        for (int slot = 0; slot < state.length; slot++) {
            if (state[slot] != FREE) {
                dropPieces(slot);
            }
        }
        for (Lane lane : lanes) {
            lane.queue.close();
        }
        sys.close(epfd);
        arena.close();
    }

    // ------------------------------------------------------------------ slots

    private static int slotOf(long handle) {
        return (int) (handle & (HandleTable.MAX_SLOTS - 1));
    }

    private void bind(int slot, Lane lane, long c, byte s) {
        state[slot] = s;
        conn[slot] = c;
        laneOf[slot] = (byte) lane.index;
        tcpAlive[slot] = true;
        slotOfTcp[lane.index][(int) c] = slot;
    }

    private void unbind(int slot) {
        if (tcpAlive[slot]) {
            tcpAlive[slot] = false;
            slotOfTcp[laneOf[slot]][(int) conn[slot]] = -1;
        }
    }

    private int lookup(Lane lane, long c) {
        int slot = slotOfTcp[lane.index][(int) c];
        return slot >= 0 && conn[slot] == c && tcpAlive[slot] ? slot : -1;
    }

    private void free(int slot) {
        returnTxBuffers(slot);
        state[slot] = FREE;
        cookie[slot] = null;
        held[slot] = 0;
        delivered[slot] = 0;
        outstanding[slot] = 0;
        eofSeen[slot] = false;
        knocking[slot] = false;
        handles.release(slot);
    }

    private static boolean contains(int[] ports, int port) {
        for (int p : ports) {
            if (p == port) {
                return true;
            }
        }
        return false;
    }

    private static String stateName(byte s) {
        return switch (s) {
            case FREE -> "free";
            case KNOCKING -> "knocking (accept it first)";
            case CONNECTING -> "still connecting";
            case OPEN -> "open";
            case DEAD -> "dead";
            default -> "failed";
        };
    }
}
