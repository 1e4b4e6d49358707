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
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Many concurrent connections over the faulty wire, each way byte-exact, all closing cleanly. */
class TcpManyConnectionsTest {

    private static final int B = Ipv4.parse("198.18.0.4");

    /** Per-connection progress of one side. */
    static final class Flow {
        long offered;
        long acked;
        long received;
        boolean closeSent;
        boolean eof;
        int dead = 1;
        final MessageDigest rx = TcpWireTest.sha();
    }

    /** One side: every connection sends the same {@code data} and hashes what it gets. */
    static final class Side implements TcpEvents {
        TcpLayer tcp;
        final MemorySegment data;
        final Map<Long, Flow> flows = new HashMap<>();
        final byte[] chunk = new byte[65536];

        Side(MemorySegment data) {
            this.data = data;
        }

        void pump() {
            for (Map.Entry<Long, Flow> e : flows.entrySet()) {
                long c = e.getKey();
                Flow f = e.getValue();
                while (tcp.valid(c) && f.offered < data.byteSize()) {
                    int took = tcp.send(c, data, f.offered, (int) Math.min(32768, data.byteSize() - f.offered));
                    if (took == 0) {
                        break;
                    }
                    f.offered += took;
                }
                if (!f.closeSent && f.acked == data.byteSize() && tcp.valid(c)) {
                    f.closeSent = true;
                    tcp.close(c);
                }
            }
        }

        @Override
        public void accepted(long conn, int localPort, int remoteIp, int remotePort) {
            flows.put(conn, new Flow());
        }

        @Override
        public void connected(long conn, int status) {
            assertThat(status).isZero();
        }

        @Override
        public void recv(long conn, MemorySegment region, long offset, int length) {
            Flow f = flows.get(conn);
            MemorySegment.copy(region, ValueLayout.JAVA_BYTE, offset, chunk, 0, length);
            f.rx.update(chunk, 0, length);
            f.received += length;
            tcp.recvDone(conn, length);
        }

        @Override
        public void eof(long conn) {
            flows.get(conn).eof = true;
        }

        @Override
        public void sent(long conn, int bytes) {
            flows.get(conn).acked += bytes;
        }

        @Override
        public void dead(long conn, int reason) {
            flows.get(conn).dead = reason;
        }

        boolean allDead() {
            for (Flow f : flows.values()) {
                if (f.dead == 1) {
                    return false;
                }
            }
            return true;
        }
    }

    @Test
    void fiftyConnectionsWithLossReorderDuplicationCorruption() {
        int conns = 50;
        int size = 256 * 1024;
        Faults faults = Faults.builder().seed(99).drop(0.05).duplicate(0.02).reorder(0.05, 8).corrupt(0.001).build();
        TcpConfig cfg = new TcpConfig(256, 64 * 1024, 64 * 1024, 64, 64, 40_000_000L, 60_000_000_000L, 6, 15,
                100_000, false);
        try (Arena arena = Arena.ofConfined();
             Wire wire = Wire.create(WireConfig.builder().frames(8192).ringSlots(2048).faults(faults).build())) {
            long now = 1_000_000_000L;
            NetStack sa = new NetStack(wire.a(), NetStackConfig.builder(wire.a().mac(), "198.18.0.3", 24)
                    .gratuitousArp(false).build(), now);
            NetStack sb = new NetStack(wire.b(), NetStackConfig.builder(wire.b().mac(), "198.18.0.4", 24)
                    .gratuitousArp(false).build(), now);
            sa.addStaticArp(B, wire.b().mac());
            sb.addStaticArp(Ipv4.parse("198.18.0.3"), wire.a().mac());
            Side client = new Side(TcpWireTest.random(arena, size, 5));
            Side server = new Side(TcpWireTest.random(arena, size, 6));
            client.tcp = new TcpLayer(sa, cfg, client, new IsnGenerator(1, 2), new SynCookies(1, 2));
            server.tcp = new TcpLayer(sb, cfg, server, new IsnGenerator(3, 4), new SynCookies(3, 4));
            server.tcp.listen(80, 128);
            for (int i = 0; i < conns; i++) {
                long c = client.tcp.connect(B, 80);
                assertThat(c).isNotNegative();
                client.flows.put(c, new Flow());
            }
            int rounds = 0;
            while (rounds++ < 3_000_000) {
                now += 20_000;
                sa.poll(now);
                client.tcp.poll(now);
                sb.poll(now);
                server.tcp.poll(now);
                client.pump();
                server.pump();
                if (server.flows.size() == conns && client.allDead() && server.allDead()) {
                    break;
                }
            }
            byte[] clientSum = TcpWireTest.digest(client.data);
            byte[] serverSum = TcpWireTest.digest(server.data);
            assertThat(server.flows).hasSize(conns);
            for (Flow f : client.flows.values()) {
                assertThat(f.received).isEqualTo(size);
                assertThat(f.rx.digest()).isEqualTo(serverSum);
                assertThat(f.eof).isTrue();
                assertThat(f.dead).isZero();
            }
            for (Flow f : server.flows.values()) {
                assertThat(f.received).isEqualTo(size);
                assertThat(f.rx.digest()).isEqualTo(clientSum);
                assertThat(f.eof).isTrue();
                assertThat(f.dead).isZero();
            }
            System.err.println("50 connections: rounds " + rounds + " retransmits " + client.tcp.retransmits + "/"
                    + server.tcp.retransmits);
        }
    }
}
