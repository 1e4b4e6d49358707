package io.jix.dataplane.bypass;

import io.jix.nic.Frame;
import io.jix.nic.NicQueue;
import io.jix.stack.NetStack;
import io.jix.stack.tcp.TcpConfig;
import io.jix.stack.tcp.TcpEvents;
import io.jix.stack.tcp.TcpLayer;
import io.jix.stack.udp.UdpHandler;
import java.lang.foreign.MemorySegment;

/**
 * One NIC queue and the stack instance that owns it — IX's unit of per-core state: the queue, a
 * {@link NetStack} (ARP, IPv4, ICMP, UDP), a {@link TcpLayer} with its flow table and timer wheel,
 * and read-only views of the queue's frames made once. An elastic thread polls one or more lanes;
 * a lane's events go to the backend tagged with the lane's index.
 */
final class Lane implements TcpEvents, UdpHandler {

    final int index;
    final NicQueue queue;
    final NetStack stack;
    TcpLayer tcp; // set once by open(): the layer calls back into this lane
    private final BypassBackend owner;
    private final MemorySegment[] views;
    private final MemorySegment[] txViews;
    /** For each frame: the connection slot it is lent to as a transmit buffer, or -1. */
    final int[] lentTo;
    /** Where a transmit buffer's payload starts in its frame: room for every header in front. */
    final int txPayload;
    private final long frameSize;
    final Frame txFrame = new Frame();

    /** A lane over {@code queue} whose stack is {@code stack}, with a TCP layer configured by {@code tcpConfig}. */
    static Lane open(int index, NicQueue queue, NetStack stack, TcpConfig tcpConfig, BypassBackend owner) {
        Lane lane = new Lane(index, queue, stack, owner);
        lane.tcp = new TcpLayer(stack, tcpConfig, lane);
        return lane;
    }

    private Lane(int index, NicQueue queue, NetStack stack, BypassBackend owner) {
        this.index = index;
        this.queue = queue;
        this.stack = stack;
        this.owner = owner;
        var pool = queue.pool();
        this.frameSize = pool.frameSize();
        this.views = new MemorySegment[pool.capacity()];
        this.txViews = new MemorySegment[pool.capacity()];
        this.lentTo = new int[pool.capacity()];
        this.txPayload = queue.headroom() + TcpLayer.FRAME_PAYLOAD_OFFSET;
        // One full segment: the MTU less IPv4, TCP and timestamp option headers (1448 on Ethernet).
        long txSize = Math.min(frameSize - txPayload, stack.mtu() - 20 - 20 - 12);
        for (int i = 0; i < views.length; i++) {
            views[i] = pool.region().asSlice(pool.offset(i), frameSize).asReadOnly();
            txViews[i] = pool.region().asSlice(pool.offset(i) + txPayload, txSize);
            lentTo[i] = -1;
        }
    }

    /** The read-only view of frame {@code id}. */
    MemorySegment view(int id) {
        return views[id];
    }

    /** The writable transmit-buffer view of frame {@code id}. */
    MemorySegment txView(int id) {
        return txViews[id];
    }

    /** The frame {@code buffer} is the transmit view of, or -1. */
    int txFrameOf(MemorySegment buffer) {
        var pool = queue.pool();
        long at = buffer.address() - pool.region().address() - txPayload;
        if (at < 0 || at % frameSize != 0) {
            return -1;
        }
        int id = (int) (at / frameSize);
        return id < txViews.length && buffer.byteSize() == txViews[id].byteSize() ? id : -1;
    }

    /** The frame holding byte {@code offset} of the pool region. */
    int frameAt(long offset) {
        return queue.pool().frameAt(offset);
    }

    /** Offset of {@code offset} (a pool-region offset) within its frame. */
    long inFrame(long offset, int id) {
        return offset - queue.pool().offset(id);
    }

    // ---- TcpEvents: forwarded with the lane's index ----

    @Override
    public void accepted(long conn, int localPort, int remoteIp, int remotePort) {
        owner.onAccepted(this, conn, localPort, remoteIp, remotePort);
    }

    @Override
    public void connected(long conn, int status) {
        owner.onConnected(this, conn, status);
    }

    @Override
    public void recv(long conn, MemorySegment region, long offset, int length) {
        owner.onRecv(this, conn, offset, length);
    }

    @Override
    public void eof(long conn) {
        owner.onEof(this, conn);
    }

    @Override
    public void sent(long conn, int bytes) {
        owner.onSent(this, conn, bytes);
    }

    @Override
    public void dead(long conn, int reason) {
        owner.onDead(this, conn, reason);
    }

    @Override
    public boolean adopt(long conn, int frameId) {
        return owner.onAdopt(this, conn, frameId);
    }

    // ---- UdpHandler ----

    @Override
    public boolean receive(NetStack s, Frame frame, int payloadOffset, int payloadLength, int srcIp, int srcPort,
                           int dstPort) {
        return owner.onDatagram(this, frame, payloadOffset, payloadLength, srcIp, srcPort, dstPort);
    }
}
