package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.wire.Wire;
import io.jix.nic.wire.WireConfig;
import io.jix.stack.NetStack;
import io.jix.stack.NetStackConfig;
import io.jix.stack.ip.Ipv4;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** Steady-state bulk transfer through two TcpLayers allocates nothing on the heap. */
class TcpAllocationTest {

    private static final com.sun.management.ThreadMXBean MX =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** Sends a ring of bytes forever; returns what it receives at once. */
    static final class Sink implements TcpEvents {
        TcpLayer tcp;
        long conn = -1;
        MemorySegment data;
        long offered;
        long received;

        void pump() {
            if (conn < 0 || data == null) {
                return;
            }
            while (true) {
                long at = offered % data.byteSize();
                int n = (int) Math.min(16 * 1024, data.byteSize() - at);
                int took = tcp.send(conn, data, at, n);
                if (took == 0) {
                    return;
                }
                offered += took;
            }
        }

        @Override
        public void accepted(long c, int localPort, int remoteIp, int remotePort) {
            conn = c;
        }

        @Override
        public void connected(long c, int status) {
            pump();
        }

        @Override
        public void recv(long c, MemorySegment region, long offset, int length) {
            received += length;
            tcp.recvDone(c, length);
        }

        @Override
        public void sent(long c, int bytes) {
        }

        @Override
        public void dead(long c, int reason) {
        }
    }

    @Test
    void bulkTransferAllocatesNothing() {
        try (Arena arena = Arena.ofConfined();
             Wire wire = Wire.create(WireConfig.builder().frames(4096).ringSlots(1024).build())) {
            long[] now = {1_000_000_000L};
            NetStack sa = new NetStack(wire.a(), NetStackConfig.builder(wire.a().mac(), "198.18.0.3", 24)
                    .gratuitousArp(false).build(), now[0]);
            NetStack sb = new NetStack(wire.b(), NetStackConfig.builder(wire.b().mac(), "198.18.0.4", 24)
                    .gratuitousArp(false).build(), now[0]);
            sa.addStaticArp(Ipv4.parse("198.18.0.4"), wire.b().mac());
            sb.addStaticArp(Ipv4.parse("198.18.0.3"), wire.a().mac());
            Sink client = new Sink();
            Sink server = new Sink();
            client.data = arena.allocate(1 << 20);
            client.tcp = new TcpLayer(sa, TcpConfig.defaults(), client, new IsnGenerator(1, 2), new SynCookies(1, 2));
            server.tcp = new TcpLayer(sb, TcpConfig.defaults(), server, new IsnGenerator(3, 4), new SynCookies(3, 4));
            server.tcp.listen(80, 16);
            client.conn = client.tcp.connect(Ipv4.parse("198.18.0.4"), 80);
            Runnable round = () -> {
                now[0] += 20_000;
                sa.poll(now[0]);
                client.tcp.poll(now[0]);
                sb.poll(now[0]);
                server.tcp.poll(now[0]);
                client.pump();
            };
            for (int i = 0; i < 100_000; i++) {
                round.run();
            }
            long receivedBefore = server.received;
            long before = MX.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 50_000; i++) {
                round.run();
            }
            long allocated = MX.getCurrentThreadAllocatedBytes() - before;
            assertThat(server.received - receivedBefore).as("bytes moved while measuring").isGreaterThan(10_000_000L);
            assertThat(allocated).as("bytes allocated").isZero();
        }
    }
}
