package io.jix.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.stack.ip.Ipv4;
import io.jix.stack.link.Peer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** Steady-state UDP echo (plus ARP and ICMP echo) through {@link NetStack#poll} allocates nothing. */
class NetStackAllocationTest {

    private static final com.sun.management.ThreadMXBean MX =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @Test
    void udpEchoAllocatesNothingInSteadyState() {
        try (Peer p = new Peer(b -> b); Arena arena = Arena.ofConfined()) {
            p.stack.bindUdp(7, (s, f, off, len, src, sp, dp) -> s.sendUdp(f, off, len, dp, src, sp));
            p.stack.addStaticArp(Ipv4.of(Peer.PEER_IP), Peer.PEER_MAC);
            byte[][] requests = {
                Peer.udpFrame(5000, 7, new byte[100]),
                Peer.udpFrame(5001, 7, new byte[1000]),
                Peer.ipv4(1, Peer.icmpEcho(8, 1, 2, new byte[56])),
                Peer.arpRequest(Peer.STACK_IP),
                Peer.udpFrame(5000, 7, new byte[10]),
            };
            MemorySegment[] templates = new MemorySegment[requests.length];
            for (int i = 0; i < requests.length; i++) {
                templates[i] = arena.allocate(requests[i].length);
                MemorySegment.copy(requests[i], 0, templates[i], ValueLayout.JAVA_BYTE, 0, requests[i].length);
            }
            FrameBurst tx = new FrameBurst(32);
            FrameBurst rx = new FrameBurst(64);
            FramePool pool = p.peer.pool();
            long[] frames = {0};
            Runnable round = () -> {
                for (int i = 0; i < 32; i++) {
                    MemorySegment t = templates[(int) (frames[0]++ % templates.length)];
                    int f = pool.allocate();
                    MemorySegment.copy(t, 0, pool.region(), pool.offset(f), t.byteSize());
                    tx.add(f, 0, (int) t.byteSize());
                }
                p.peer.transmit(tx);
                p.peer.reclaim();
                p.now += 1_000;
                p.stack.poll(p.now);
                rx.clear();
                int n = p.peer.receive(rx, 64);
                for (int i = 0; i < n; i++) {
                    pool.release(rx.frame(i));
                }
            };
            int quiet = 0;
            for (int w = 0; w < 200 && (w < 20 || quiet < 2); w++) {
                quiet = allocatedOver(round, 50_000) == 0 ? quiet + 1 : 0;
            }
            assertThat(quiet).as("quiet warm-up windows at the end").isGreaterThanOrEqualTo(2);
            assertThat(allocatedOver(round, 100_000)).as("bytes allocated over 100,000 frames").isZero();
            assertThat(p.count(StackCounter.UDP_SENT)).isPositive();
            assertThat(p.count(StackCounter.ICMP_ECHO_REPLIES)).isPositive();
            assertThat(p.count(StackCounter.ARP_REPLIES_SENT)).isPositive();
            assertThat(p.count(StackCounter.TX_FULL)).isZero();
        }
    }

    private static long allocatedOver(Runnable round, int frames) {
        long before = MX.getCurrentThreadAllocatedBytes();
        for (int r = 0; r < frames; r += 32) {
            round.run();
        }
        return MX.getCurrentThreadAllocatedBytes() - before;
    }
}
