package io.jix.dataplane;

import io.jix.nic.wire.WireQueue;
import io.jix.stack.NetStack;
import io.jix.stack.NetStackConfig;
import io.jix.stack.ip.Ipv4;
import io.jix.stack.tcp.TcpConfig;
import io.jix.stack.tcp.TcpEvents;
import io.jix.stack.tcp.TcpLayer;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The far end of an in-memory wire for native-backend tests: a jix stack driven by the test
 * thread, with TCP connections that record what they receive (returned at once) and send from
 * memory kept until acknowledged.
 */
final class WirePeer implements TcpEvents, AutoCloseable {

    /** One connection's view from the peer. */
    static final class Conn {
        long handle;
        int connectStatus = Integer.MIN_VALUE;
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        long receivedBytes;
        boolean eof;
        int dead = Integer.MIN_VALUE;
        long acked;

        boolean connected() {
            return connectStatus == 0;
        }
    }

    final NetStack stack;
    final TcpLayer tcp;
    private final Arena arena = Arena.ofConfined();
    private final Map<Long, Conn> conns = new HashMap<>();
    private final byte[] chunk = new byte[65536];
    boolean holdReceived;
    /** Count received bytes only (long runs), instead of keeping them. */
    boolean countOnly;

    WirePeer(WireQueue queue, String address) {
        stack = new NetStack(queue, NetStackConfig.builder(queue.mac(), address, 24).build(), System.nanoTime());
        tcp = new TcpLayer(stack, TcpConfig.defaults().withTimeWait(100_000_000L), this);
    }

    Conn connect(String address, int port) {
        Conn c = new Conn();
        c.handle = tcp.connect(Ipv4.parse(address), port);
        if (c.handle < 0) {
            throw new IllegalStateException("no connection slot");
        }
        conns.put(c.handle, c);
        return c;
    }

    /** Queues {@code data} (copied once into memory that lives as long as this peer). */
    int send(Conn c, byte[] data) {
        MemorySegment m = arena.allocate(data.length);
        MemorySegment.copy(data, 0, m, ValueLayout.JAVA_BYTE, 0, data.length);
        return tcp.send(c.handle, m, 0, data.length);
    }

    /** Queues {@code length} bytes of {@code data} by reference: they must stay unchanged until acknowledged. */
    int send(Conn c, MemorySegment data, long offset, int length) {
        return tcp.send(c.handle, data, offset, length);
    }

    /** Polls until {@code done} holds; false if {@code timeout} passed first. */
    boolean drive(BooleanSupplier done, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            long now = System.nanoTime();
            if (stack.poll(now) == 0) {
                Thread.onSpinWait();
            }
            tcp.poll(now);
        }
        return true;
    }

    @Override
    public void accepted(long conn, int localPort, int remoteIp, int remotePort) {
        tcp.abort(conn); // the peer only connects out
    }

    @Override
    public void connected(long conn, int status) {
        conns.get(conn).connectStatus = status;
    }

    @Override
    public void recv(long conn, MemorySegment region, long offset, int length) {
        Conn c = conns.get(conn);
        c.receivedBytes += length;
        if (!countOnly) {
            MemorySegment.copy(region, ValueLayout.JAVA_BYTE, offset, chunk, 0, length);
            c.received.write(chunk, 0, length);
        }
        if (!holdReceived) {
            tcp.recvDone(conn, length);
        }
    }

    @Override
    public void eof(long conn) {
        conns.get(conn).eof = true;
    }

    @Override
    public void sent(long conn, int bytes) {
        conns.get(conn).acked += bytes;
    }

    @Override
    public void dead(long conn, int reason) {
        conns.get(conn).dead = reason;
    }

    @Override
    public void close() {
        arena.close();
    }
}
