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
        for (int i = 0; i < views.length; i++) {
            views[i] = pool.region().asSlice(pool.offset(i), frameSize).asReadOnly();
        }
    }

    /** The read-only view of frame {@code id}. */
    MemorySegment view(int id) {
        return views[id];
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
