package io.jix.stack.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.Frame;
import io.jix.nic.wire.Faults;
import io.jix.nic.wire.Wire;
import io.jix.nic.wire.WireConfig;
import io.jix.stack.NetStack;
import io.jix.stack.NetStackConfig;
import io.jix.stack.StackCounter;
import io.jix.stack.ip.Ipv4;
import io.jix.stack.link.Peer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UdpTest {

    private static final int A = Ipv4.parse("198.18.0.3");
    private static final int B = Ipv4.parse("198.18.0.4");

    private static byte[] payload(int i) {
        byte[] b = new byte[4 + (i * 37) % 1200];
        for (int k = 0; k < b.length; k++) {
            b[k] = (byte) (i * 31 + k);
        }
        b[0] = (byte) (i >>> 24);
        b[1] = (byte) (i >>> 16);
        b[2] = (byte) (i >>> 8);
        b[3] = (byte) i;
        return b;
    }

    @Test
    void echoRoundTripsSurviveFaultsAndCorruptionIsDroppedByChecksums() {
        Faults faults = Faults.builder().seed(42).drop(0.05).duplicate(0.02).reorder(0.05, 4).corrupt(0.05).build();
        try (Wire wire = Wire.create(WireConfig.builder().frames(2048).faults(faults).build())) {
            NetStack a = new NetStack(wire.a(), NetStackConfig.builder(wire.a().mac(), "198.18.0.3", 24).build(), 0);
            NetStack b = new NetStack(wire.b(), NetStackConfig.builder(wire.b().mac(), "198.18.0.4", 24).build(), 0);
            // Static entries: a lost ARP answer must not hold this test up for seconds.
            a.addStaticArp(B, wire.b().mac());
            b.addStaticArp(A, wire.a().mac());
            b.bindUdp(7, (s, f, off, len, src, sp, dp) -> s.sendUdp(f, off, len, dp, src, sp));
            Map<Integer, Integer> got = new HashMap<>();
            int[] bad = {0};
            a.bindUdp(5000, (s, f, off, len, src, sp, dp) -> {
                int i = f.u32(off);
                byte[] want = i >= 0 && i < 2000 ? payload(i) : new byte[0];
                boolean same = len == want.length && src == B && sp == 7;
                for (int k = 0; same && k < len; k++) {
                    same = (byte) f.u8(off + k) == want[k];
                }
                if (same) {
                    got.merge(i, 1, Integer::sum);
                } else {
                    bad[0]++;
                }
                return false;
            });
            Frame f = new Frame();
            long now = 0;
            for (int i = 0; i < 2000; i++) {
                byte[] p = payload(i);
                assertThat(a.allocate(f)).isNotNull();
                for (int k = 0; k < p.length; k++) {
                    f.u8(NetStack.UDP_PAYLOAD_OFFSET + k, p[k]);
                }
                assertThat(a.sendUdp(f, NetStack.UDP_PAYLOAD_OFFSET, p.length, 5000, B, 7)).isTrue();
                now += 10_000;
                a.poll(now);
                b.poll(now);
            }
            for (int r = 0; r < 50; r++) {
                now += 1_000_000;
                a.poll(now);
                b.poll(now);
            }
            long corruptDrops = 0;
            for (NetStack s : List.of(a, b)) {
                corruptDrops += s.counters().get(StackCounter.UDP_BAD_CHECKSUM)
                        + s.counters().get(StackCounter.IP_BAD_CHECKSUM);
            }
            System.out.println("udp faults: delivered " + got.size() + "/2000; a: " + a.counters() + "; b: "
                    + b.counters());
            assertThat(bad[0]).isZero();
            assertThat(got.size()).isBetween(1500, 2000);
            assertThat(got.values().stream().mapToInt(Integer::intValue).sum()).isGreaterThan(got.size()); // duplicates
            assertThat(corruptDrops).isPositive();
            assertThat(a.pool().available())
                    .isEqualTo(a.pool().capacity());
        }
    }

    @Test
    void zeroChecksumIsAcceptedAndBadChecksumOrLengthDropped() {
        try (Peer p = new Peer(b -> b)) {
            int[] n = {0};
            p.stack.bindUdp(9, (s, f, off, len, src, sp, dp) -> {
                n[0]++;
                return false;
            });
            byte[] none = Peer.ipv4(17, Peer.udp(Peer.PEER_IP, Peer.STACK_IP, 1, 9, new byte[] {1, 2, 3}, false));
            byte[] badSum = Peer.udpFrame(1, 9, new byte[] {1, 2, 3});
            badSum[40] ^= 0x10;
            byte[] badLen = Peer.udpFrame(1, 9, new byte[] {1, 2, 3});
            badLen[39] = 100;
            p.exchange(none, badSum, badLen);
            assertThat(n[0]).isEqualTo(1);
            assertThat(p.count(StackCounter.UDP_BAD_CHECKSUM)).isEqualTo(1);
            assertThat(p.count(StackCounter.UDP_BAD_LENGTH)).isEqualTo(1);
        }
        try (Peer p = new Peer(b -> b.rxChecksumVerified(true))) {
            int[] n = {0};
            p.stack.bindUdp(9, (s, f, off, len, src, sp, dp) -> {
                n[0]++;
                return false;
            });
            byte[] badSum = Peer.udpFrame(1, 9, new byte[] {1, 2, 3});
            badSum[40] ^= 0x10;
            p.exchange(badSum);
            assertThat(n[0]).as("the NIC vouched: not verified again").isEqualTo(1);
        }
    }
}
