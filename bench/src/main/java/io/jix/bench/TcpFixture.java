package io.jix.bench;

import io.jix.stack.NetStack;
import io.jix.stack.NetStackConfig;
import io.jix.stack.ip.Ipv4;
import io.jix.stack.link.Ethernet;
import io.jix.stack.tcp.IsnGenerator;
import io.jix.stack.tcp.SynCookies;
import io.jix.stack.tcp.TcpConfig;
import io.jix.stack.tcp.TcpEvents;
import io.jix.stack.tcp.TcpLayer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One established TCP connection for a benchmark: a {@link NetStack} with a {@link TcpLayer}
 * (default {@link TcpConfig}) over a {@link BenchQueue}, and the {@link Peer} at the other end,
 * connected by a real handshake (the peer's SYN, the stack's SYN-ACK, the peer's ACK). Time is
 * virtual: {@link #step} advances it and runs one iteration of an elastic thread's loop
 * ({@code NetStack.poll}, then {@code TcpLayer.poll}).
 *
 * <p>The application, as seen through {@link TcpEvents}: it returns every received byte at once
 * with {@code recvDone} from inside the {@code recv} event (as ixev's EvLoop does after
 * {@code onData}), and, when {@link #replyLength} is set, answers each {@code recv} by sending
 * that many bytes of {@link #replyData} by reference from the same event.
 */
public final class TcpFixture implements TcpEvents, AutoCloseable {

    public static final String IP = "198.18.0.3";
    public static final long MAC = 0x02_00_00_00_00_03L;
    public static final int PORT = 8080;
    /** The queue's headroom, as AF_XDP's default. */
    public static final int HEADROOM = 256;

    private final Arena arena = Arena.ofShared();
    public final BenchQueue queue;
    public final NetStack stack;
    public final TcpLayer tcp;
    public final Peer peer;
    public long now = 1_000_000_000L;
    public long conn = -1;

    /** Bytes to send back per {@code recv} event (0: none), from {@link #replyData}. */
    public int replyLength;
    public final MemorySegment replyData;

    public long recvEvents;
    public long received;
    public long replied;
    public long acknowledged;
    public long deaths;

    /** A stack, its TCP and the peer, with the connection open (throws when the handshake fails). */
    public TcpFixture() {
        this(false);
    }

    /**
     * The same, with {@code rxChecksumVerified} set as a NIC with receive checksum offload would
     * set it: the stack then skips verifying TCP checksums (the IPv4 header checksum is still checked).
     */
    public TcpFixture(boolean rxChecksumOffload) {
        queue = new BenchQueue(1024, HEADROOM);
        stack = new NetStack(queue, NetStackConfig.builder(Ethernet.bytes(MAC), IP, 24).gratuitousArp(false)
                .rxChecksumVerified(rxChecksumOffload).build(), now);
        stack.addStaticArp(Ipv4.parse(Peer.IP), Ethernet.bytes(Peer.MAC));
        tcp = new TcpLayer(stack, TcpConfig.defaults(), this, new IsnGenerator(1, 2), new SynCookies(3, 4));
        peer = new Peer(queue, arena, MAC, Ipv4.parse(Peer.IP), Ipv4.parse(IP), PORT);
        replyData = arena.allocate(Peer.MAX_PAYLOAD, 8);
        tcp.listen(PORT, 16);
        peer.syn(now);
        step(1_000_000);
        if (!peer.synAckSeen()) {
            throw new IllegalStateException("no SYN-ACK from the stack");
        }
        peer.segment(0, now);
        step(1_000_000);
        if (conn < 0 || !tcp.state(conn).equals("ESTABLISHED")) {
            throw new IllegalStateException("the connection did not open");
        }
    }

    /** One loop iteration, {@code nanos} after the last. */
    public void step(long nanos) {
        now += nanos;
        stack.poll(now);
        tcp.poll(now);
    }

    /**
     * Throws unless everything that happened was what the benchmark intended: no dead
     * connection, no segment dropped by the stack, no malformed frame out.
     */
    public void check() {
        if (deaths != 0 || conn < 0 || !tcp.valid(conn)) {
            throw new IllegalStateException("the connection died");
        }
        if (tcp.badSegments != 0) {
            throw new IllegalStateException(tcp.badSegments + " segments failed validation in the stack");
        }
        if (peer.badFrames != 0) {
            throw new IllegalStateException(peer.badFrames + " bad frames transmitted by the stack");
        }
        if (queue.pending() != 0) {
            throw new IllegalStateException(queue.pending() + " injected frames were never received");
        }
    }

    @Override
    public void accepted(long c, int localPort, int remoteIp, int remotePort) {
        conn = c;
    }

    @Override
    public void connected(long c, int status) {
    }

    @Override
    public void recv(long c, MemorySegment region, long offset, int length) {
        recvEvents++;
        received += length;
        tcp.recvDone(c, length);
        if (replyLength > 0) {
            replied += tcp.send(c, replyData, 0, replyLength);
        }
    }

    @Override
    public void sent(long c, int bytes) {
        acknowledged += bytes;
    }

    @Override
    public void dead(long c, int reason) {
        deaths++;
    }

    @Override
    public void close() {
        queue.close();
        arena.close();
    }
}
