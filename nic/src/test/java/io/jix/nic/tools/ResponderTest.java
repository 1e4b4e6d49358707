package io.jix.nic.tools;

import static io.jix.nic.tools.Packets.checksum;
import static io.jix.nic.tools.Packets.slice;
import static io.jix.nic.tools.Packets.u16;
import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.Frame;
import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.wire.Wire;
import io.jix.nic.wire.WireConfig;
import io.jix.nic.wire.WireQueue;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The responder on endpoint b of a wire; the test plays the peer on endpoint a. */
class ResponderTest {

    static final byte[] PEER_IP = {(byte) 198, 18, 0, 1};
    static final byte[] OUR_IP = {(byte) 198, 18, 0, 2};
    static final byte[] OTHER_IP = {(byte) 198, 18, 0, 3};
    static final int PORT = 7;

    private final Wire wire = Wire.create(WireConfig.builder().frames(256).ringSlots(64).build());
    private final WireQueue peer = wire.a();
    private final byte[] peerMac = peer.mac();
    private final byte[] ourMac = wire.b().mac();
    private final Responder responder = new Responder(wire.b(), ourMac, OUR_IP, PORT);

    @AfterEach
    void close() {
        wire.close();
    }

    private List<byte[]> exchange(byte[]... frames) {
        FrameBurst tx = new FrameBurst(64);
        for (byte[] f : frames) {
            assertThat(Packets.send(peer, tx, f)).isTrue();
        }
        assertThat(peer.transmit(tx)).isEqualTo(frames.length);
        while (responder.poll() > 0) {
            // until b's ring is empty
        }
        return Packets.receive(peer);
    }

    private byte[] one(byte[] request) {
        List<byte[]> replies = exchange(request);
        assertThat(replies).hasSize(1);
        return replies.get(0);
    }

    @Test
    void answersAnArpRequestForItsAddress() {
        byte[] r = one(Packets.arpRequest(peerMac, PEER_IP, OUR_IP));
        assertThat(slice(r, 0, 6)).isEqualTo(peerMac);
        assertThat(slice(r, 6, 12)).isEqualTo(ourMac);
        assertThat(u16(r, 12)).isEqualTo(0x0806);
        assertThat(u16(r, 14)).isEqualTo(1);
        assertThat(u16(r, 16)).isEqualTo(0x0800);
        assertThat(r[18]).isEqualTo((byte) 6);
        assertThat(r[19]).isEqualTo((byte) 4);
        assertThat(u16(r, 20)).as("op: reply").isEqualTo(2);
        assertThat(slice(r, 22, 28)).isEqualTo(ourMac);
        assertThat(slice(r, 28, 32)).isEqualTo(OUR_IP);
        assertThat(slice(r, 32, 38)).isEqualTo(peerMac);
        assertThat(slice(r, 38, 42)).isEqualTo(PEER_IP);
        assertThat(responder.arpReplies()).isEqualTo(1);
        assertThat(responder.dropped()).isZero();
    }

    @Test
    void ignoresArpForOthersAndArpReplies() {
        byte[] reply = Packets.arpRequest(peerMac, PEER_IP, OUR_IP);
        reply[21] = 2;
        assertThat(exchange(Packets.arpRequest(peerMac, PEER_IP, OTHER_IP), reply)).isEmpty();
        assertThat(responder.dropped(Responder.Drop.NOT_FOR_US)).isEqualTo(1);
        assertThat(responder.dropped(Responder.Drop.OTHER)).isEqualTo(1);
        assertThat(wire.b().pool().available()).isEqualTo(256);
    }

    @Test
    void answersAnIcmpEchoWithValidChecksums() {
        byte[] payload = new byte[56];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 7 + 3);
        }
        byte[] icmp = Packets.icmpEcho(0xbeef, 42, payload);
        byte[] r = one(Packets.ipv4(peerMac, ourMac, PEER_IP, OUR_IP, 1, new byte[0], icmp));
        checkEchoReply(r, icmp);
    }

    @Test
    void answersAnIcmpEchoWithIpOptionsWithoutThem() {
        byte[] icmp = Packets.icmpEcho(7, 1, new byte[] {1, 2, 3, 4, 5}); // odd length too
        byte[] options = {1, 1, 1, 1, 7, 3, 4, 0}; // NOPs, an empty record route, end of options
        byte[] r = one(Packets.ipv4(peerMac, ourMac, PEER_IP, OUR_IP, 1, options, icmp));
        checkEchoReply(r, icmp);
    }

    private void checkEchoReply(byte[] r, byte[] request) {
        assertThat(r).hasSize(14 + 20 + request.length);
        assertThat(slice(r, 0, 6)).isEqualTo(peerMac);
        assertThat(slice(r, 6, 12)).isEqualTo(ourMac);
        assertThat(u16(r, 12)).isEqualTo(0x0800);
        assertThat(r[14]).isEqualTo((byte) 0x45);
        assertThat(u16(r, 16)).isEqualTo(20 + request.length);
        assertThat(r[23]).isEqualTo((byte) 1);
        assertThat(slice(r, 26, 30)).isEqualTo(OUR_IP);
        assertThat(slice(r, 30, 34)).isEqualTo(PEER_IP);
        assertThat(checksum(r, 14, 20, 0)).as("IPv4 header checksum").isZero();
        assertThat(r[34]).as("echo reply").isEqualTo((byte) 0);
        assertThat(r[35]).isEqualTo((byte) 0);
        assertThat(checksum(r, 34, request.length, 0)).as("ICMP checksum").isZero();
        assertThat(slice(r, 38, r.length)).as("id, sequence and data").isEqualTo(slice(request, 4, request.length));
        assertThat(responder.icmpReplies()).isEqualTo(1);
    }

    @Test
    void reflectsUdpToItsPortWithAValidChecksum() {
        byte[] payload = "hello, wire!".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] udp = Packets.udp(PEER_IP, OUR_IP, 40000, PORT, payload, true);
        byte[] r = one(Packets.ipv4(peerMac, ourMac, PEER_IP, OUR_IP, 17, new byte[0], udp));
        assertThat(r).as("Ethernet padding cut").hasSize(14 + 20 + 8 + payload.length);
        assertThat(slice(r, 0, 6)).isEqualTo(peerMac);
        assertThat(slice(r, 6, 12)).isEqualTo(ourMac);
        assertThat(slice(r, 26, 30)).isEqualTo(OUR_IP);
        assertThat(slice(r, 30, 34)).isEqualTo(PEER_IP);
        assertThat(checksum(r, 14, 20, 0)).isZero();
        assertThat(u16(r, 34)).isEqualTo(PORT);
        assertThat(u16(r, 36)).isEqualTo(40000);
        assertThat(u16(r, 38)).isEqualTo(8 + payload.length);
        assertThat(u16(r, 40)).isNotZero();
        assertThat(checksum(r, 34, 8 + payload.length, Packets.pseudo(OUR_IP, PEER_IP, 17, 8 + payload.length)))
                .as("UDP checksum").isZero();
        assertThat(slice(r, 42, r.length)).isEqualTo(payload);
        assertThat(responder.udpReflected()).isEqualTo(1);
    }

    @Test
    void reflectsUdpWithoutChecksumAndWithOptionsAndIgnoresOtherPorts() {
        byte[] payload = new byte[301];
        byte[] udp = Packets.udp(PEER_IP, OUR_IP, 5555, PORT, payload, false);
        byte[] r = one(Packets.ipv4(peerMac, ourMac, PEER_IP, OUR_IP, 17, new byte[] {1, 1, 1, 0}, udp));
        assertThat(r).hasSize(14 + 20 + udp.length);
        assertThat(r[14]).isEqualTo((byte) 0x45);
        assertThat(checksum(r, 14, 20, 0)).isZero();
        assertThat(u16(r, 40)).as("no checksum stays no checksum").isZero();
        assertThat(u16(r, 34)).isEqualTo(PORT);
        assertThat(u16(r, 36)).isEqualTo(5555);

        byte[] other = Packets.udp(PEER_IP, OUR_IP, 5555, PORT + 1, payload, true);
        assertThat(exchange(Packets.ipv4(peerMac, ourMac, PEER_IP, OUR_IP, 17, new byte[0], other))).isEmpty();
        assertThat(responder.dropped(Responder.Drop.NOT_FOR_US)).isEqualTo(1);
    }

    @Test
    void dropsBadChecksumsFragmentsTruncationAndStrangers() {
        byte[] icmp = Packets.icmpEcho(1, 1, new byte[32]);
        byte[] good = Packets.ipv4(peerMac, ourMac, PEER_IP, OUR_IP, 1, new byte[0], icmp);

        byte[] badIp = good.clone();
        badIp[22]--; // TTL, checksum not fixed
        byte[] badIcmp = good.clone();
        badIcmp[50] ^= 0x10;
        byte[] fragment = good.clone();
        fragment[20] = 0x20; // more fragments
        Packets.fixIpChecksum(fragment);
        byte[] offset = good.clone();
        offset[20] = 0x40;
        offset[21] = 0x01; // DF plus an offset
        Packets.fixIpChecksum(offset);
        byte[] truncated = slice(good, 0, 14 + 20 + 20); // total length says more
        byte[] shortHeader = slice(good, 0, 30);
        byte[] tiny = slice(good, 0, 13);
        byte[] toOther = Packets.ipv4(peerMac, ourMac, PEER_IP, OTHER_IP, 1, new byte[0], icmp);
        byte[] otherMac = Packets.ipv4(peerMac, peerMac, PEER_IP, OUR_IP, 1, new byte[0], icmp);
        byte[] tcp = Packets.ipv4(peerMac, ourMac, PEER_IP, OUR_IP, 6, new byte[0], new byte[20]);
        byte[] ipv6 = good.clone();
        ipv6[12] = (byte) 0x86;
        ipv6[13] = (byte) 0xdd;

        assertThat(exchange(badIp, badIcmp, fragment, offset, truncated, shortHeader, tiny, toOther, otherMac, tcp,
                ipv6)).isEmpty();
        assertThat(responder.dropped(Responder.Drop.BAD_CHECKSUM)).isEqualTo(2);
        assertThat(responder.dropped(Responder.Drop.FRAGMENT)).isEqualTo(2);
        assertThat(responder.dropped(Responder.Drop.TRUNCATED)).isEqualTo(3);
        assertThat(responder.dropped(Responder.Drop.NOT_FOR_US)).isEqualTo(2);
        assertThat(responder.dropped(Responder.Drop.OTHER)).isEqualTo(2);
        assertThat(responder.dropped()).isEqualTo(11);
        assertThat(wire.b().pool().available()).isEqualTo(256);
    }

    @Test
    void countsRepliesThatFindTheRingFull() {
        try (Wire small = Wire.create(WireConfig.builder().frames(64).ringSlots(4).build())) {
            Responder r = new Responder(small.b(), small.b().mac(), OUR_IP, PORT);
            FrameBurst tx = new FrameBurst(8);
            for (int i = 0; i < 4; i++) {
                Packets.send(small.a(), tx, Packets.arpRequest(small.a().mac(), PEER_IP, OUR_IP));
            }
            small.a().transmit(tx);
            assertThat(r.poll()).isEqualTo(4);
            assertThat(r.arpReplies()).isEqualTo(4);
            for (int i = 0; i < 4; i++) {
                Packets.send(small.a(), tx, Packets.arpRequest(small.a().mac(), PEER_IP, OUR_IP));
            }
            small.a().transmit(tx);
            assertThat(r.poll()).isEqualTo(4);
            assertThat(r.dropped(Responder.Drop.TX_FULL)).isEqualTo(4);
            assertThat(small.b().pool().available()).isEqualTo(64);
            assertThat(Packets.receive(small.a())).hasSize(4);
        }
    }

    @Test
    void buildsAGratuitousArp() {
        FramePool pool = new FramePool(Arena.ofAuto().allocate(2048, 64), 2048, 1);
        Frame f = new Frame().wrap(pool, pool.allocate(), 0, 0);
        assertThat(Responder.gratuitousArp(f, ourMac, OUR_IP)).isEqualTo(60);
        assertThat(f.length()).isEqualTo(60);
        byte[] b = new byte[60];
        java.lang.foreign.MemorySegment.copy(f.region(), java.lang.foreign.ValueLayout.JAVA_BYTE, f.base(), b, 0, 60);
        byte[] expected = Packets.arpRequest(ourMac, OUR_IP, OUR_IP);
        assertThat(b).isEqualTo(expected);
    }

    @Test
    void runsOnItsOwnThreadUntilToldToStop() throws Exception {
        AtomicBoolean go = new AtomicBoolean(true);
        long[] total = new long[1];
        Thread t = Thread.ofPlatform().start(() -> total[0] = responder.run(go::get, Responder.Idle.BACKOFF));
        try {
            for (int i = 0; i < 100; i++) {
                byte[] icmp = Packets.icmpEcho(1, i, new byte[16]);
                FrameBurst tx = new FrameBurst(1);
                Packets.send(peer, tx, Packets.ipv4(peerMac, ourMac, PEER_IP, OUR_IP, 1, new byte[0], icmp));
                peer.transmit(tx);
                long deadline = System.nanoTime() + 5_000_000_000L;
                List<byte[]> got = List.of();
                while (got.isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(0, 100_000);
                    got = Packets.receive(peer);
                }
                assertThat(got).hasSize(1);
                assertThat(u16(got.get(0), 40)).isEqualTo(i);
            }
        } finally {
            go.set(false);
            t.join(5_000);
        }
        assertThat(t.isAlive()).isFalse();
        assertThat(total[0]).isEqualTo(100);
    }
}
