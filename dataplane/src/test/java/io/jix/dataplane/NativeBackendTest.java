package io.jix.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.api.Application;
import io.jix.api.Calls;
import io.jix.api.Endpoint;
import io.jix.api.EventConditions;
import io.jix.api.ev.EvConnection;
import io.jix.api.ev.EvLoop;
import io.jix.nic.Frame;
import io.jix.nic.wire.Wire;
import io.jix.nic.wire.WireConfig;
import io.jix.stack.NetStack;
import io.jix.stack.ip.Ipv4;
import io.jix.stack.tcp.TcpEvents;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The application API on jix's own stack (the native backend), over the in-memory wire: the
 * dataplane owns one end, a jix stack driven by the test thread is the peer on the other. No
 * privileges needed; the same backend runs on AF_XDP queues in the network tests.
 */
class NativeBackendTest {

    private static final String SERVER = "198.18.0.3";
    private static final String PEER = "198.18.0.4";
    private static final Duration WAIT = Duration.ofSeconds(20);

    private Wire wire;
    private Dataplane dataplane;
    private WirePeer peer;

    private void start(Application app, boolean checkedViews) {
        wire = Wire.create(WireConfig.builder().frames(8192).ringSlots(2048).build());
        try {
            dataplane = Dataplane.builder().nicQueues(List.of(wire.a()), wire.a().mac()).address(ip(SERVER))
                    .tcpPorts(7).udpPorts(7).threads(1).pin(false).checkedViews(checkedViews)
                    .name("native-test").start(app);
        } catch (RuntimeException e) {
            wire.close();
            throw e;
        }
        peer = new WirePeer(wire.b(), PEER);
    }

    @AfterEach
    void stop() {
        if (dataplane != null) {
            dataplane.close();
        }
        if (peer != null) {
            peer.close();
        }
        if (wire != null) {
            wire.close();
        }
    }

    /** The README's echo: ixev, copy into the connection's write ring, resume input once written. */
    static Application ixevEcho() {
        return context -> new EvLoop(context, (remote, port) -> new EvConnection() {
            @Override
            protected int onData(MemorySegment data, long offset, int length) {
                return write(data, offset, length);
            }

            @Override
            protected void onWritable() {
                redeliverInput();
            }
        }, (loop, data, offset, length, from, port) -> loop.sendDatagram(data, offset, length, from, port),
                EvLoop.DEFAULT_BUFFER_SIZE);
    }

    @Test
    void ixevEchoOverManyConnectionsIsByteExactThenClosesCleanly() {
        start(ixevEcho(), true);
        int connections = 24;
        int size = 192 * 1024;
        Random random = new Random(42);
        List<WirePeer.Conn> conns = new ArrayList<>();
        List<byte[]> payloads = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            conns.add(peer.connect(SERVER, 7));
            byte[] p = new byte[size];
            random.nextBytes(p);
            payloads.add(p);
        }
        assertThat(peer.drive(() -> conns.stream().allMatch(WirePeer.Conn::connected), WAIT)).isTrue();
        int[] offered = new int[connections];
        boolean done = peer.drive(() -> {
            boolean all = true;
            for (int i = 0; i < connections; i++) {
                WirePeer.Conn c = conns.get(i);
                if (offered[i] < size) {
                    int n = Math.min(16 * 1024, size - offered[i]);
                    offered[i] += peer.send(c, Arrays.copyOfRange(payloads.get(i), offered[i], offered[i] + n));
                    if (offered[i] == size) {
                        peer.tcp.close(c.handle); // half-close: the echo must still come back whole
                    }
                }
                all &= c.dead != Integer.MIN_VALUE;
            }
            return all;
        }, Duration.ofSeconds(60));
        assertThat(done).as("every connection ended").isTrue();
        for (int i = 0; i < connections; i++) {
            WirePeer.Conn c = conns.get(i);
            assertThat(firstDifference(c.received.toByteArray(), payloads.get(i))).as("echo of connection " + i)
                    .isEqualTo(-1);
            assertThat(c.eof).isTrue();
            assertThat(c.dead).isEqualTo(TcpEvents.CLOSED);
        }
        awaitCounter(Counter.OPEN_CONNECTIONS, 0);
        assertThat(dataplane.counter(Counter.ACCEPTS)).isEqualTo(connections);
        assertThat(dataplane.counter(Counter.RX_BYTES)).isEqualTo((long) connections * size);
        assertThat(dataplane.counter(Counter.APP_EXCEPTIONS)).isZero();
    }

    @Test
    void zeroCopyEchoSendsTheReceivedFrameByReference() {
        start(ZeroCopyEcho::new, true);
        WirePeer.Conn c = peer.connect(SERVER, 7);
        assertThat(peer.drive(c::connected, WAIT)).isTrue();
        byte[] message = "a view of the NIC frame, sent back by reference".getBytes();
        for (int i = 0; i < 100; i++) {
            peer.send(c, message);
        }
        assertThat(peer.drive(() -> c.received.size() == 100 * message.length, WAIT)).isTrue();
        byte[] got = c.received.toByteArray();
        for (int i = 0; i < 100; i++) {
            assertThat(Arrays.copyOfRange(got, i * message.length, (i + 1) * message.length)).isEqualTo(message);
        }
    }

    /** Keeps the view of each received piece, returns it, then reads it again: the stale read's outcome is recorded. */
    static final class StaleReader implements EventConditions {
        final Calls calls;
        final ConcurrentLinkedQueue<Object> outcomes = new ConcurrentLinkedQueue<>();

        StaleReader(io.jix.api.ElasticContext context) {
            calls = context.calls();
        }

        @Override
        public void knock(long handle, Endpoint remote, int localPort) {
            calls.accept(handle, null);
        }

        @Override
        public void recv(Object cookie, long handle, MemorySegment data, long offset, int length) {
            byte first = data.get(ValueLayout.JAVA_BYTE, offset);
            calls.recvDone(handle, length);
            try {
                byte again = data.get(ValueLayout.JAVA_BYTE, offset);
                outcomes.add("read " + (again == first ? "same" : "other") + " byte");
            } catch (IllegalStateException e) {
                outcomes.add(e);
            }
        }

        @Override
        public void dead(Object cookie, long handle, int reason) {
            calls.close(handle);
        }
    }

    @Test
    void aViewUsedAfterRecvDoneFailsLoudly() {
        StaleReader[] reader = new StaleReader[1];
        start(ctx -> reader[0] = new StaleReader(ctx), true);
        WirePeer.Conn c = peer.connect(SERVER, 7);
        assertThat(peer.drive(c::connected, WAIT)).isTrue();
        peer.send(c, "x".getBytes());
        assertThat(peer.drive(() -> !reader[0].outcomes.isEmpty(), WAIT)).isTrue();
        assertThat(reader[0].outcomes.peek()).isInstanceOf(IllegalStateException.class)
                .asString().contains("closed");
    }

    @Test
    void uncheckedViewsAreReadableAfterRecvDoneAndThatIsTheirDocumentedCost() {
        StaleReader[] reader = new StaleReader[1];
        start(ctx -> reader[0] = new StaleReader(ctx), false);
        WirePeer.Conn c = peer.connect(SERVER, 7);
        assertThat(peer.drive(c::connected, WAIT)).isTrue();
        peer.send(c, "x".getBytes());
        assertThat(peer.drive(() -> !reader[0].outcomes.isEmpty(), WAIT)).isTrue();
        assertThat(reader[0].outcomes.peek()).isInstanceOf(String.class);
    }

    @Test
    void anApplicationThatThrowsLosesOnlyTheConnectionConcerned() {
        start(ctx -> new ZeroCopyEcho(ctx) {
            @Override
            public void recv(Object cookie, long handle, MemorySegment data, long offset, int length) {
                if (data.get(ValueLayout.JAVA_BYTE, offset) == 'X') {
                    throw new IllegalStateException("test: application bug on this connection");
                }
                super.recv(cookie, handle, data, offset, length);
            }
        }, true);
        WirePeer.Conn bad = peer.connect(SERVER, 7);
        WirePeer.Conn good = peer.connect(SERVER, 7);
        assertThat(peer.drive(() -> bad.connected() && good.connected(), WAIT)).isTrue();
        peer.send(bad, "X marks the bug".getBytes());
        assertThat(peer.drive(() -> bad.dead != Integer.MIN_VALUE, WAIT)).isTrue();
        assertThat(bad.dead).isEqualTo(TcpEvents.RESET);
        peer.send(good, "still served".getBytes());
        assertThat(peer.drive(() -> good.received.size() == 12, WAIT)).isTrue();
        assertThat(good.received.toString()).isEqualTo("still served");
        assertThat(dataplane.counter(Counter.APP_EXCEPTIONS)).isEqualTo(1);
    }

    @Test
    void aConnectionWhoseBuffersAreNeverReturnedStallsAloneAtItsWindow() {
        start(ctx -> new ZeroCopyEcho(ctx) {
            @Override
            public void recv(Object cookie, long handle, MemorySegment data, long offset, int length) {
                if (data.get(ValueLayout.JAVA_BYTE, offset) != 'H') {
                    super.recv(cookie, handle, data, offset, length);
                } // a hoarder: keeps every byte, never calls recvDone
            }
        }, true);
        WirePeer.Conn hoarder = peer.connect(SERVER, 7);
        WirePeer.Conn normal = peer.connect(SERVER, 7);
        assertThat(peer.drive(() -> hoarder.connected() && normal.connected(), WAIT)).isTrue();
        byte[] block = new byte[16 * 1024];
        Arrays.fill(block, (byte) 'H');
        long[] offered = new long[1];
        // Offer far more than the hoarder's window; it must stop acknowledging at its receive buffer.
        peer.drive(() -> {
            if (offered[0] < 4 << 20) {
                offered[0] += peer.send(hoarder, block);
            }
            return false;
        }, Duration.ofSeconds(2));
        long stuckAt = hoarder.acked;
        assertThat(stuckAt).isGreaterThan(0).isLessThanOrEqualTo(256 * 1024);
        byte[] echo = new byte[64 * 1024];
        new Random(3).nextBytes(echo);
        for (int i = 0; i < echo.length; i++) {
            echo[i] = echo[i] == 'H' ? (byte) 'h' : echo[i]; // the app tells the hoarder by its bytes
        }
        int[] sent = new int[1];
        assertThat(peer.drive(() -> {
            if (sent[0] < echo.length) {
                sent[0] += peer.send(normal, Arrays.copyOfRange(echo, sent[0], Math.min(echo.length, sent[0] + 8192)));
            }
            return normal.received.size() == echo.length;
        }, WAIT)).isTrue();
        assertThat(firstDifference(normal.received.toByteArray(), echo)).isEqualTo(-1);
        assertThat(hoarder.acked).isEqualTo(stuckAt);
    }

    @Test
    void aStaleHandleIsRefusedAndCounted() {
        ConcurrentLinkedQueue<Object> outcomes = new ConcurrentLinkedQueue<>();
        start(ctx -> new ZeroCopyEcho(ctx) {
            long previous;

            @Override
            public void recv(Object cookie, long handle, MemorySegment data, long offset, int length) {
                if (previous != 0) {
                    try {
                        calls.send(previous, data, offset, length); // the first connection's closed handle
                        outcomes.add("accepted a stale handle");
                    } catch (io.jix.api.BadHandleException e) {
                        outcomes.add(e);
                    }
                }
                super.recv(cookie, handle, data, offset, length);
            }

            @Override
            public void dead(Object cookie, long handle, int reason) {
                previous = handle;
                super.dead(cookie, handle, reason);
            }
        }, true);
        WirePeer.Conn first = peer.connect(SERVER, 7);
        assertThat(peer.drive(first::connected, WAIT)).isTrue();
        peer.tcp.close(first.handle);
        assertThat(peer.drive(() -> first.dead != Integer.MIN_VALUE, WAIT)).isTrue();
        WirePeer.Conn second = peer.connect(SERVER, 7);
        assertThat(peer.drive(second::connected, WAIT)).isTrue();
        peer.send(second, "after".getBytes());
        assertThat(peer.drive(() -> second.received.size() == 5, WAIT)).isTrue();
        assertThat(outcomes).singleElement().isInstanceOf(io.jix.api.BadHandleException.class)
                .asString().contains("stale");
        assertThat(dataplane.counter(Counter.BAD_HANDLES)).isEqualTo(1);
    }

    @Test
    void sendingInALoopAgainstAFullWindowHurtsOnlyThatConnection() {
        MemorySegment block = java.lang.foreign.Arena.global().allocate(64 * 1024);
        AtomicLong refusals = new AtomicLong();
        start(ctx -> new ZeroCopyEcho(ctx) {
            @Override
            public void recv(Object cookie, long handle, MemorySegment data, long offset, int length) {
                if (data.get(ValueLayout.JAVA_BYTE, offset) == 'F') {
                    calls.recvDone(handle, length);
                    for (int i = 0; i < 10_000; i++) { // a flood: the window and send buffer fill, then every call says 0
                        if (calls.send(handle, block, 0, block.byteSize()) == 0) {
                            refusals.incrementAndGet();
                        }
                    }
                    flooder = handle;
                    return;
                }
                super.recv(cookie, handle, data, offset, length);
            }

            long flooder;

            @Override
            public void sent(Object cookie, long handle, long bytes) {
                if (handle != flooder) {
                    super.sent(cookie, handle, bytes);
                }
            }
        }, true);
        WirePeer.Conn flooder = peer.connect(SERVER, 7);
        WirePeer.Conn normal = peer.connect(SERVER, 7);
        assertThat(peer.drive(() -> flooder.connected() && normal.connected(), WAIT)).isTrue();
        peer.holdReceived = true; // the flooder's peer never reads: its window to the server stays shut
        peer.send(flooder, "F".getBytes());
        assertThat(peer.drive(() -> refusals.get() > 0, WAIT)).isTrue();
        peer.holdReceived = false;
        byte[] message = "the neighbour is still served".getBytes();
        peer.send(normal, message);
        assertThat(peer.drive(() -> normal.received.size() == message.length, WAIT)).isTrue();
        assertThat(normal.received.toByteArray()).isEqualTo(message);
        assertThat(refusals.get()).isGreaterThan(9_000);
    }

    @Test
    void anApplicationThatChangesMemoryAfterSendSpoilsOnlyItsOwnBytes() {
        int size = 64 * 1024;
        start(ctx -> new ZeroCopyEcho(ctx) {
            final MemorySegment scratch = java.lang.foreign.Arena.ofAuto().allocate(size);
            long careless;

            @Override
            public void recv(Object cookie, long handle, MemorySegment data, long offset, int length) {
                if (data.get(ValueLayout.JAVA_BYTE, offset) == 'C') {
                    careless = handle;
                    calls.recvDone(handle, length);
                    scratch.fill((byte) 'c');
                    calls.send(handle, scratch, 0, size); // more than the first flight: the rest is held by reference
                    scratch.fill((byte) '#');             // breaks the rule before the stack has sent it all
                    return;
                }
                super.recv(cookie, handle, data, offset, length);
            }

            @Override
            public void sent(Object cookie, long handle, long bytes) {
                if (handle != careless) {
                    super.sent(cookie, handle, bytes);
                }
            }
        }, true);
        WirePeer.Conn careless = peer.connect(SERVER, 7);
        WirePeer.Conn careful = peer.connect(SERVER, 7);
        assertThat(peer.drive(() -> careless.connected() && careful.connected(), WAIT)).isTrue();
        peer.send(careless, "C".getBytes());
        peer.send(careful, "leave me be".getBytes());
        assertThat(peer.drive(() -> careless.received.size() == size && careful.received.size() == 11, WAIT)).isTrue();
        String got = careless.received.toString();
        int firstHash = got.indexOf('#');
        assertThat(firstHash).as("bytes sent after the change carry it").isPositive();
        assertThat(got).matches("c+#+"); // its own bytes, as they were when each left: nothing from anyone else
        assertThat(careful.received.toString()).isEqualTo("leave me be");
        assertThat(dataplane.counter(Counter.APP_EXCEPTIONS)).isZero();
    }

    @Test
    void repliesWrittenIntoTransmitBuffersLeaveWithoutACopy() {
        BufferEcho[] app = new BufferEcho[1];
        start(ctx -> app[0] = new BufferEcho(ctx), true);
        WirePeer.Conn c = peer.connect(SERVER, 7);
        assertThat(peer.drive(c::connected, WAIT)).isTrue();
        byte[] request = new byte[1000];
        new Random(8).nextBytes(request);
        for (int i = 0; i < 200; i++) {
            int before = c.received.size();
            peer.send(c, request);
            assertThat(peer.drive(() -> c.received.size() == before + request.length, WAIT)).isTrue();
        }
        byte[] got = c.received.toByteArray();
        for (int i = 0; i < 200; i++) {
            assertThat(Arrays.copyOfRange(got, i * 1000, (i + 1) * 1000)).isEqualTo(request);
        }
        assertThat(app[0].refused.get()).isZero();
        awaitCounter(Counter.TX_ZERO_COPY, 200); // every reply was one segment sent from its own frame
        peer.tcp.close(c.handle);
        assertThat(peer.drive(() -> c.dead != Integer.MIN_VALUE, WAIT)).isTrue();
    }

    @Test
    void transmitBuffersAreBoundedPerConnectionAndForeignOnesRefused() {
        java.util.concurrent.ConcurrentLinkedQueue<Object> seen = new java.util.concurrent.ConcurrentLinkedQueue<>();
        start(ctx -> new ZeroCopyEcho(ctx) {
            @Override
            public void recv(Object cookie, long handle, MemorySegment data, long offset, int length) {
                int held = 0;
                while (held < 1000 && calls.txBuffer(handle) != null) {
                    held++; // a hoarder: never sends or returns them
                }
                seen.add(held);
                try {
                    calls.sendBuffer(handle, java.lang.foreign.Arena.ofAuto().allocate(1448), 10);
                    seen.add("accepted a foreign buffer");
                } catch (IllegalArgumentException e) {
                    seen.add(e.getMessage());
                }
                calls.recvDone(handle, length);
                calls.close(handle); // closing returns every buffer it held
            }
        }, true);
        int[] available = new int[2];
        for (int round = 0; round < 2; round++) {
            WirePeer.Conn c = peer.connect(SERVER, 7);
            assertThat(peer.drive(c::connected, WAIT)).isTrue();
            peer.send(c, "hoard".getBytes());
            assertThat(peer.drive(() -> c.eof, WAIT)).isTrue();
            peer.drive(() -> false, Duration.ofMillis(300)); // let the server settle
            available[round] = wire.a().pool().available();
        }
        // Each round lent 64 frames and closing gave them back: the server's pool did not shrink.
        assertThat(available[1]).as("server pool frames free after each round").isEqualTo(available[0]);
        assertThat(seen).containsExactly(64, "sendBuffer: not a transmit buffer this connection holds",
                64, "sendBuffer: not a transmit buffer this connection holds");
    }

    @Test
    void datagramsAreEchoedByUdpSend() {
        start(ixevEcho(), true);
        ConcurrentLinkedQueue<String> replies = new ConcurrentLinkedQueue<>();
        peer.stack.bindUdp(9000, (s, frame, off, len, srcIp, srcPort, dstPort) -> {
            byte[] b = new byte[len];
            MemorySegment.copy(frame.region(), ValueLayout.JAVA_BYTE, frame.base() + off, b, 0, len);
            replies.add(new String(b) + "@" + ((srcIp >>> 24) + "." + (srcIp >>> 16 & 255) + "." + (srcIp >>> 8 & 255) + "." + (srcIp & 255)) + ":" + srcPort);
            return false;
        });
        peer.stack.addStaticArp(Ipv4.parse(SERVER), wire.a().mac()); // else ARP holds only the first 8
        Frame f = new Frame();
        for (int i = 0; i < 10; i++) {
            byte[] msg = ("datagram " + i).getBytes();
            assertThat(peer.stack.allocate(f)).isNotNull();
            MemorySegment.copy(msg, 0, f.region(), ValueLayout.JAVA_BYTE, f.base() + NetStack.UDP_PAYLOAD_OFFSET,
                    msg.length);
            peer.stack.sendUdp(f, NetStack.UDP_PAYLOAD_OFFSET, msg.length, 9000, Ipv4.parse(SERVER), 7);
        }
        peer.stack.flush();
        assertThat(peer.drive(() -> replies.size() == 10, WAIT)).as("replies: " + replies).isTrue();
        assertThat(replies).contains("datagram 0@" + SERVER + ":7", "datagram 9@" + SERVER + ":7");
        assertThat(dataplane.counter(Counter.UDP_RX)).isEqualTo(10);
        assertThat(dataplane.counter(Counter.UDP_TX)).isEqualTo(10);
    }

    /** Where two byte arrays first differ (a length difference counts), or -1: a readable failure for megabytes. */
    static int firstDifference(byte[] a, byte[] b) {
        return Arrays.mismatch(a, b);
    }

    private void awaitCounter(Counter c, long value) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (dataplane.counter(c) != value && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(dataplane.counter(c)).as(c.label()).isEqualTo(value);
    }

    private static InetAddress ip(String dotted) {
        try {
            return InetAddress.getByName(dotted);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
