package io.jix.stack.ip;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.stack.StackCounter;
import io.jix.stack.link.Peer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** IPv4 validation, reassembly and ICMP, against a scripted peer. */
class Ipv4InputTest {

    private static final long SECOND = 1_000_000_000L;
    private Peer p;
    private final List<byte[]> delivered = new ArrayList<>();

    @BeforeEach
    void setUp() {
        p = new Peer(b -> b.reassembly(2, 5 * SECOND).icmpErrors(100, 10));
        p.stack.addStaticArp(Ipv4.of(Peer.PEER_IP), Peer.PEER_MAC);
        p.stack.bindUdp(9, (s, f, off, len, src, sp, dp) -> {
            byte[] b = new byte[len];
            for (int i = 0; i < len; i++) {
                b[i] = (byte) f.u8(off + i);
            }
            delivered.add(b);
            return false;
        });
    }

    @AfterEach
    void tearDown() {
        p.close();
    }

    private static byte[] payload(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7 + seed);
        }
        return b;
    }

    private static byte[] udpTo9(byte[] payload) {
        return Peer.udp(Peer.PEER_IP, Peer.STACK_IP, 4000, 9, payload, true);
    }

    private static byte[] frame(int proto, int ident, int fragWord, byte[] options, byte[] l4) {
        return Peer.ipv4(Peer.PEER_MAC, Peer.STACK_MAC, Peer.PEER_IP, Peer.STACK_IP, proto, ident, fragWord, 64,
                options, l4);
    }

    @Test
    void malformedHeadersAreDroppedByReason() {
        byte[] good = Peer.udpFrame(4000, 9, payload(20, 1));
        byte[] badSum = good.clone();
        badSum[24] ^= 1;
        byte[] badIhl = good.clone();
        badIhl[14] = 0x44;
        Peer.fixIpChecksum(badIhl);
        byte[] v6 = good.clone();
        v6[14] = 0x65;
        byte[] shortTotal = good.clone();
        shortTotal[16] = 0;
        shortTotal[17] = 12;
        Peer.fixIpChecksum(shortTotal);
        byte[] longTotal = good.clone();
        longTotal[16] = 0x05;
        Peer.fixIpChecksum(longTotal);
        byte[] notUs = Peer.ipv4(Peer.PEER_MAC, Peer.STACK_MAC, Peer.PEER_IP, new byte[] {(byte) 198, 18, 0, 9}, 17,
                1, 0, 64, new byte[0], udpTo9(payload(4, 0)));
        byte[] badSource = Peer.ipv4(Peer.PEER_MAC, Peer.STACK_MAC, new byte[] {(byte) 224, 0, 0, 1}, Peer.STACK_IP,
                17, 1, 0, 64, new byte[0], udpTo9(payload(4, 0)));
        byte[] badOption = frame(17, 1, 0, new byte[] {7, 9, 0, 0}, udpTo9(payload(4, 0)));
        byte[] lsrr = frame(17, 1, 0, new byte[] {(byte) 131, 3, 4, 0}, udpTo9(payload(4, 0)));
        assertThat(p.exchange(badSum, badIhl, v6, shortTotal, longTotal, notUs, badSource, badOption, lsrr)).isEmpty();
        assertThat(p.count(StackCounter.IP_BAD_CHECKSUM)).isEqualTo(1);
        assertThat(p.count(StackCounter.IP_BAD_IHL)).isEqualTo(1);
        assertThat(p.count(StackCounter.IP_BAD_VERSION)).isEqualTo(1);
        assertThat(p.count(StackCounter.IP_BAD_LENGTH)).isEqualTo(1);
        assertThat(p.count(StackCounter.IP_TRUNCATED)).isEqualTo(1);
        assertThat(p.count(StackCounter.IP_NOT_FOR_US)).isEqualTo(1);
        assertThat(p.count(StackCounter.IP_BAD_SOURCE)).isEqualTo(1);
        assertThat(p.count(StackCounter.IP_BAD_OPTIONS)).isEqualTo(1);
        assertThat(p.count(StackCounter.IP_SOURCE_ROUTED)).isEqualTo(1);
        assertThat(delivered).isEmpty();
        // Options skipped (NOP, a timestamp-like option, end), TTL 0 and 1 accepted (RFC 1122 3.2.1.7).
        byte[] withOptions = frame(17, 1, 0, new byte[] {1, 68, 4, 5, 0, 0, 0, 0}, udpTo9(payload(5, 2)));
        byte[] ttl0 = Peer.ipv4(Peer.PEER_MAC, Peer.STACK_MAC, Peer.PEER_IP, Peer.STACK_IP, 17, 2, 0, 0, new byte[0],
                udpTo9(payload(6, 3)));
        p.exchange(withOptions, ttl0, good);
        assertThat(delivered).hasSize(3);
        assertThat(delivered.get(0)).isEqualTo(payload(5, 2));
    }

    @Test
    void fragmentsAreReassembledInOrderOutOfOrderWithOverlapsAndDuplicates() {
        byte[] udp = udpTo9(payload(1000, 5));
        // In order, three fragments.
        p.exchange(frag(udp, 1, 0, 400, true), frag(udp, 1, 400, 400, true), frag(udp, 1, 800, udp.length - 800, false));
        assertThat(delivered).hasSize(1);
        assertThat(delivered.getFirst()).isEqualTo(payload(1000, 5));
        // Out of order, with a duplicate and an overlap.
        delivered.clear();
        p.exchange(frag(udp, 2, 800, udp.length - 800, false), frag(udp, 2, 400, 400, true),
                frag(udp, 2, 400, 400, true), frag(udp, 2, 0, 480, true));
        assertThat(delivered).hasSize(1);
        assertThat(delivered.getFirst()).isEqualTo(payload(1000, 5));
        assertThat(p.count(StackCounter.FRAG_DUPLICATE)).isEqualTo(1);
        assertThat(p.count(StackCounter.FRAG_OVERLAP)).isEqualTo(2);
        // An overlapping fragment with different bytes does not rewrite what arrived first.
        delivered.clear();
        byte[] evil = udp.clone();
        evil[500] ^= 0x55;
        p.exchange(frag(udp, 3, 400, 400, true), frag(evil, 3, 0, 800, true), frag(udp, 3, 800, udp.length - 800, false));
        assertThat(delivered).hasSize(1);
        assertThat(delivered.getFirst()).isEqualTo(payload(1000, 5));
        assertThat(p.count(StackCounter.REASM_DONE)).isEqualTo(3);
        assertThat(p.stack.reassembling()).isZero();
    }

    @Test
    void reassemblyIsBoundedInContextsSizeAndTime() {
        int free = p.stack.pool().available();
        byte[] udp = udpTo9(payload(1000, 5));
        p.exchange(frag(udp, 10, 0, 400, true), frag(udp, 11, 0, 400, true), frag(udp, 12, 0, 400, true));
        assertThat(p.stack.reassembling()).isEqualTo(2);
        assertThat(p.count(StackCounter.REASM_FULL)).isEqualTo(1);
        p.now += 6 * SECOND;
        p.poll();
        assertThat(p.stack.reassembling()).isZero();
        assertThat(p.count(StackCounter.REASM_TIMEOUT)).isEqualTo(2);
        assertThat(p.stack.pool().available()).isEqualTo(free);
        // Larger than a frame can hold.
        p.exchange(frag(udp, 13, 0, 8, true), rawFrag(13, 1992, new byte[16], false));
        assertThat(p.count(StackCounter.REASM_TOO_BIG)).isEqualTo(1);
        // Bad: a middle fragment not a multiple of 8.
        p.exchange(frag(udp, 14, 0, 12, true));
        assertThat(p.count(StackCounter.FRAG_BAD)).isEqualTo(1);
        assertThat(delivered).isEmpty();
        assertThat(p.stack.reassembling()).isZero();
        assertThat(p.stack.pool().available()).isEqualTo(free);
    }

    private static byte[] frag(byte[] l4, int ident, int offset, int length, boolean more) {
        return rawFrag(ident, offset, Arrays.copyOfRange(l4, offset, offset + length), more);
    }

    private static byte[] rawFrag(int ident, int offset, byte[] data, boolean more) {
        return frame(17, ident, (more ? Ipv4.MF : 0) | offset / 8, new byte[0], data);
    }

    @Test
    void echoIsAnsweredAndBroadcastEchoIsNot() {
        byte[] echo = Peer.ipv4(1, Peer.icmpEcho(8, 77, 3, payload(56, 9)));
        List<byte[]> out = p.exchange(echo);
        assertThat(out).hasSize(1);
        byte[] r = out.getFirst();
        assertThat(Peer.slice(r, 26, 4)).isEqualTo(Peer.STACK_IP);
        assertThat(Peer.slice(r, 30, 4)).isEqualTo(Peer.PEER_IP);
        assertThat(Peer.checksum(r, 14, 20, 0)).isZero();
        assertThat(r[34]).isEqualTo((byte) 0);
        assertThat(Peer.checksum(r, 34, 64, 0)).isZero();
        assertThat(Peer.slice(r, 38, 60)).isEqualTo(Peer.slice(Peer.icmpEcho(8, 77, 3, payload(56, 9)), 4, 60));
        byte[] bcast = Peer.ipv4(Peer.PEER_MAC, Peer.BROADCAST, Peer.PEER_IP, new byte[] {(byte) 198, 18, 0, (byte) 255},
                1, 5, 0, 64, new byte[0], Peer.icmpEcho(8, 1, 1, new byte[8]));
        assertThat(p.exchange(bcast)).isEmpty();
        assertThat(p.count(StackCounter.ICMP_ECHO_BROADCAST)).isEqualTo(1);
        byte[] badSum = Peer.ipv4(1, Peer.icmpEcho(8, 77, 3, payload(56, 9)));
        badSum[40] ^= 1;
        assertThat(p.exchange(badSum)).isEmpty();
        assertThat(p.count(StackCounter.ICMP_BAD_CHECKSUM)).isEqualTo(1);
    }

    @Test
    void closedPortsAreAnsweredWithPortUnreachableRateLimited() {
        byte[] toClosed = Peer.udpFrame(4000, 999, payload(30, 1));
        byte[][] many = new byte[25][];
        Arrays.fill(many, toClosed);
        List<byte[]> out = p.exchange(many);
        assertThat(out).hasSize(10);
        byte[] u = out.getFirst();
        assertThat(u[34]).isEqualTo((byte) 3);
        assertThat(u[35]).isEqualTo((byte) 3);
        assertThat(Peer.checksum(u, 34, 8 + 28, 0)).isZero();
        assertThat(Peer.slice(u, 42, 28)).isEqualTo(Peer.slice(toClosed, 14, 28));
        assertThat(p.count(StackCounter.ICMP_RATE_LIMITED)).isEqualTo(15);
        assertThat(p.count(StackCounter.UDP_NO_PORT)).isEqualTo(25);
        p.now += SECOND / 10; // 10 more tokens at 100/s
        assertThat(p.exchange(many)).hasSize(10);
        // Never for broadcasts, nor fragments other than the first (they never complete here).
        byte[] bcast = Peer.ipv4(Peer.PEER_MAC, Peer.BROADCAST, Peer.PEER_IP, new byte[] {-1, -1, -1, -1}, 17, 5, 0, 64,
                new byte[0], Peer.udp(Peer.PEER_IP, new byte[] {-1, -1, -1, -1}, 1, 999, new byte[4], true));
        p.now += SECOND;
        assertThat(p.exchange(bcast, rawFrag(40, 8, new byte[8], false))).isEmpty();
        // Unknown protocol: protocol unreachable.
        List<byte[]> proto = p.exchange(Peer.ipv4(99, new byte[8]));
        assertThat(proto).hasSize(1);
        assertThat(proto.getFirst()[35]).isEqualTo((byte) 2);
    }
}
