package io.jix.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.stack.ip.Ipv4;
import io.jix.stack.link.Peer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** 200,000 seeded mutations of valid frames: poll never throws, drops are counted, no frame leaks. */
class NetStackFuzzTest {

    @Test
    void mutatedFramesAreCountedAndSurvived() {
        try (Peer p = new Peer(b -> b.reassembly(4, 1_000_000_000L))) {
            p.stack.addStaticArp(Ipv4.of(Peer.PEER_IP), Peer.PEER_MAC);
            p.stack.bindUdp(9, (s, f, off, len, src, sp, dp) -> s.sendUdp(f, off, len, dp, src, sp));
            p.stack.registerTransport(6, (s, f, off, len, src, dst) -> false);
            byte[] udp = Peer.udp(Peer.PEER_IP, Peer.STACK_IP, 4000, 9, new byte[64], true);
            List<byte[]> templates = new ArrayList<>(List.of(
                    Peer.arpRequest(Peer.STACK_IP),
                    Peer.udpFrame(4000, 9, new byte[100]),
                    Peer.udpFrame(4000, 99, new byte[10]),
                    Peer.ipv4(1, Peer.icmpEcho(8, 1, 2, new byte[56])),
                    Peer.ipv4(6, new byte[40]),
                    Peer.ipv4(1, Peer.icmpEcho(3, 0, 0, new byte[36])),
                    Peer.ipv4(Peer.PEER_MAC, Peer.STACK_MAC, Peer.PEER_IP, Peer.STACK_IP, 17, 5, Ipv4.MF, 64,
                            new byte[] {1, 1, 1, 0}, Arrays.copyOf(udp, 40)),
                    Peer.ipv4(Peer.PEER_MAC, Peer.STACK_MAC, Peer.PEER_IP, Peer.STACK_IP, 17, 5, 5, 64, new byte[0],
                            Arrays.copyOfRange(udp, 40, udp.length))));
            SplittableRandom r = new SplittableRandom(2024);
            int free = p.stack.pool().available();
            int frames = 0;
            long totalRx = 0;
            while (frames < 200_000) {
                byte[][] batch = new byte[32][];
                for (int i = 0; i < batch.length; i++) {
                    byte[] t = templates.get(r.nextInt(templates.size()));
                    byte[] m = Arrays.copyOf(t, r.nextInt(4) == 0 ? 1 + r.nextInt(Math.min(t.length + 20, 1400))
                            : t.length);
                    int flips = 1 + r.nextInt(4);
                    for (int k = 0; k < flips; k++) {
                        int at = r.nextInt(4) == 0 ? r.nextInt(m.length) : Math.min(m.length - 1, 12 + r.nextInt(40));
                        m[at] = (byte) r.nextInt(256);
                    }
                    if (r.nextBoolean() && m.length > 34 && m[12] == 8 && m[13] == 0 && m.length >= 14 + (m[14] & 0xf) * 4) {
                        Peer.fixIpChecksum(m); // reach past the header checksum half of the time
                    }
                    batch[i] = m;
                }
                p.send(batch);
                p.now += 50_000;
                p.poll();
                p.received();
                frames += batch.length;
            }
            totalRx = p.count(StackCounter.RX_FRAMES);
            for (int i = 0; i < 10; i++) { // past every ARP retry and reassembly timeout
                p.now += 1_000_000_000L;
                p.poll();
                p.received();
            }
            assertThat(p.stack.arpCache().heldTotal()).isZero();
            System.out.println("fuzz: " + p.stack.counters());
            assertThat(totalRx).isEqualTo(200_000);
            assertThat(p.count(StackCounter.HANDLER_FAILED)).isZero();
            assertThat(p.stack.reassembling()).isZero();
            assertThat(p.stack.pool().available()).isEqualTo(free);
            long drops = 0;
            for (StackCounter c : new StackCounter[] {StackCounter.ETH_NOT_FOR_US, StackCounter.ETH_UNKNOWN_TYPE,
                StackCounter.IP_BAD_CHECKSUM, StackCounter.IP_BAD_VERSION, StackCounter.UDP_BAD_CHECKSUM,
                StackCounter.ARP_BAD, StackCounter.IP_TRUNCATED}) {
                assertThat(p.count(c)).as(c.name()).isPositive();
                drops += p.count(c);
            }
            assertThat(drops).isGreaterThan(50_000);
            assertThat(p.count(StackCounter.UDP_DELIVERED)).isPositive();
        }
    }
}
