package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.wire.Faults;
import io.jix.nic.wire.Wire;
import io.jix.nic.wire.WireConfig;
import io.jix.stack.NetStack;
import io.jix.stack.NetStackConfig;
import io.jix.stack.ip.Ipv4;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Two stacks with TCP over the in-memory wire, one thread, a virtual clock: bulk transfer both ways, byte-exact. */
class TcpWireTest {

    private static final int A = Ipv4.parse("198.18.0.3");
    private static final int B = Ipv4.parse("198.18.0.4");

    /** One side's application: sends {@code total} bytes from a buffer, hashes what it receives, returns it at once. */
    static final class App implements TcpEvents {
        TcpLayer tcp;
        long conn = -1;
        final MemorySegment data;
        long offered;
        long acked;
        long received;
        boolean eof;
        int deadReason = 1;
        final MessageDigest rx = sha();
        final byte[] chunk = new byte[65536];

        App(MemorySegment data) {
            this.data = data;
        }

        void pump() {
            while (conn >= 0 && offered < data.byteSize() && tcp.valid(conn)) {
                int n = (int) Math.min(64 * 1024, data.byteSize() - offered);
                int took = tcp.send(conn, data, offered, n);
                if (took == 0) {
                    return;
                }
                offered += took;
            }
        }

        @Override
        public void accepted(long c, int localPort, int remoteIp, int remotePort) {
            conn = c;
            pump();
        }

        @Override
        public void connected(long c, int status) {
            assertThat(status).isZero();
            pump();
        }

        @Override
        public void recv(long c, MemorySegment region, long offset, int length) {
            MemorySegment.copy(region, ValueLayout.JAVA_BYTE, offset, chunk, 0, length);
            rx.update(chunk, 0, length);
            received += length;
            tcp.recvDone(c, length);
        }

        @Override
        public void eof(long c) {
            eof = true;
        }

        @Override
        public void sent(long c, int bytes) {
            acked += bytes;
        }

        @Override
        public void dead(long c, int reason) {
            deadReason = reason;
        }
    }

    static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static MemorySegment random(Arena arena, int size, long seed) {
        MemorySegment m = arena.allocate(size);
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        MemorySegment.copy(b, 0, m, ValueLayout.JAVA_BYTE, 0, size);
        return m;
    }

    static byte[] digest(MemorySegment m) {
        MessageDigest d = sha();
        d.update(m.toArray(ValueLayout.JAVA_BYTE));
        return d.digest();
    }

    @Test
    void tenMegabytesEachWayNoFaults() {
        transfer(Faults.NONE, 10 << 20, 200_000);
    }

    @Test
    void twoMegabytesEachWayWithLossReorderDuplication() {
        Faults faults = Faults.builder().seed(7).drop(0.02).duplicate(0.01).reorder(0.02, 4).build();
        transfer(faults, 2 << 20, 2_000_000);
    }

    @Test
    void fourMegabytesEachWayWithFivePercentLossAndCorruption() {
        Faults faults = Faults.builder().seed(11).drop(0.05).duplicate(0.02).reorder(0.05, 8).corrupt(0.001).build();
        transfer(faults, 4 << 20, 3_000_000);
    }

    /** CUBIC on both sides, through losses: the transfer completes and both sides' CUBIC reacted to a loss. */
    @Test
    void fourMegabytesEachWayWithCubicThroughLoss() {
        Faults faults = Faults.builder().seed(13).drop(0.03).duplicate(0.01).reorder(0.03, 6).build();
        CongestionControl[] used = transfer(TcpConfig.defaults().withCongestionControl(CongestionAlgorithm.CUBIC),
                faults, 4 << 20, 3_000_000);
        for (CongestionControl cc : used) {
            assertThat(cc).isInstanceOf(Cubic.class);
            assertThat(((Cubic) cc).wMax()).as("W_max is set at the first congestion event").isPositive();
        }
    }

    private void transfer(Faults faults, int size, int maxRounds) {
        // a full TIME-WAIT: a short one lets a late FIN retransmission meet a RST
        CongestionControl[] used = transfer(TcpConfig.defaults(), faults, size, maxRounds);
        assertThat(used).allSatisfy(cc -> assertThat(cc).isInstanceOf(NewReno.class));
    }

    /** Returns the congestion control the client and the server connection used. */
    private CongestionControl[] transfer(TcpConfig cfg, Faults faults, int size, int maxRounds) {
        try (Arena arena = Arena.ofConfined();
             Wire wire = Wire.create(WireConfig.builder().frames(4096).ringSlots(1024).faults(faults).build())) {
            long now = 1_000_000_000L;
            NetStack sa = new NetStack(wire.a(), NetStackConfig.builder(wire.a().mac(), "198.18.0.3", 24)
                    .gratuitousArp(false).build(), now);
            NetStack sb = new NetStack(wire.b(), NetStackConfig.builder(wire.b().mac(), "198.18.0.4", 24)
                    .gratuitousArp(false).build(), now);
            sa.addStaticArp(B, wire.b().mac());
            sb.addStaticArp(A, wire.a().mac());
            App client = new App(random(arena, size, 1));
            App server = new App(random(arena, size, 2));
            client.tcp = new TcpLayer(sa, cfg, client, new IsnGenerator(1, 2), new SynCookies(5, 6));
            server.tcp = new TcpLayer(sb, cfg, server, new IsnGenerator(3, 4), new SynCookies(7, 8));
            server.tcp.listen(80, 16);
            client.conn = client.tcp.connect(B, 80);
            CongestionControl clientCc = client.tcp.congestionControl(client.conn);
            CongestionControl serverCc = null;
            boolean closedA = false;
            boolean closedB = false;
            int rounds = 0;
            while (rounds++ < maxRounds) {
                now += 20_000; // 20 µs per round
                sa.poll(now); // TCP's timers run from NetStack.poll's transport hook
                sb.poll(now);
                if (serverCc == null && server.conn >= 0) {
                    serverCc = server.tcp.congestionControl(server.conn);
                }
                client.pump();
                server.pump();
                if (!closedA && client.acked == size) {
                    client.tcp.close(client.conn);
                    closedA = true;
                }
                if (!closedB && server.conn >= 0 && server.acked == size) {
                    server.tcp.close(server.conn);
                    closedB = true;
                }
                if (client.deadReason == 0 && server.deadReason == 0) {
                    break;
                }
            }
            System.err.println("rounds " + rounds + " client " + client.received + "/" + client.acked + " "
                    + (client.conn >= 0 && client.tcp.valid(client.conn) ? client.tcp.state(client.conn) + " rto " + client.tcp.rto(client.conn) : "-")
                    + " server " + server.received + "/" + server.acked + " "
                    + (server.conn >= 0 && server.tcp.valid(server.conn) ? server.tcp.state(server.conn) : "-")
                    + " rtx " + client.tcp.retransmits + "/" + server.tcp.retransmits
                    + " pool " + sa.pool().available() + "/" + sb.pool().available()
                    + " bad " + client.tcp.badSegments + "/" + server.tcp.badSegments
                    + " challenge " + client.tcp.challengeAcks + "/" + server.tcp.challengeAcks);
            if (client.received != size) {
                System.err.println(sa.counters() + "\n" + sb.counters());
            }
            assertThat(client.received).as("client received").isEqualTo(size);
            assertThat(server.received).as("server received").isEqualTo(size);
            assertThat(client.rx.digest()).isEqualTo(digest(server.data));
            assertThat(server.rx.digest()).isEqualTo(digest(client.data));
            assertThat(client.eof).isTrue();
            assertThat(server.eof).isTrue();
            assertThat(client.deadReason).isZero();
            assertThat(server.deadReason).isZero();
            return new CongestionControl[] {clientCc, serverCc};
        }
    }
}
