package io.jix.nic.tools;

import static io.jix.nic.tools.Packets.checksum;
import static io.jix.nic.tools.Packets.slice;
import static io.jix.nic.tools.Packets.u16;
import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.FrameBurst;
import io.jix.nic.QueueCounter;
import io.jix.nic.wire.Wire;
import io.jix.nic.wire.WireConfig;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * 200,000 seeded frames — random bytes, and valid ARP, ICMP echo and UDP frames truncated,
 * bit-flipped or with a header field set to garbage (sometimes with the IPv4 checksum fixed up so
 * the garbage gets past it) — through a wire into a responder. Nothing may throw, every frame must
 * be either answered or counted as a drop, no frame may leak, and every reply that comes out must
 * be well formed, checked with the test's own checksum.
 */
class ResponderFuzzTest {

    private static final byte[] PEER_IP = ResponderTest.PEER_IP;
    private static final byte[] OUR_IP = ResponderTest.OUR_IP;
    private static final int PORT = ResponderTest.PORT;

    @Test
    void survivesAndAccountsForEveryMangledFrame() {
        int frames = 200_000;
        SplittableRandom rnd = new SplittableRandom(20261124);
        try (Wire wire = Wire.create(WireConfig.builder().frames(512).ringSlots(128).build())) {
            byte[] peerMac = wire.a().mac();
            byte[] ourMac = wire.b().mac();
            Responder responder = new Responder(wire.b(), ourMac, OUR_IP, PORT);
            FrameBurst tx = new FrameBurst(32);
            long replies = 0;
            long unmodified = 0;
            for (int sent = 0; sent < frames; ) {
                for (int i = 0; i < 32 && sent < frames; i++, sent++) {
                    byte[] f;
                    if (rnd.nextInt(4) == 0) {
                        f = random(rnd, ourMac);
                    } else {
                        f = valid(rnd, peerMac, ourMac);
                        if (!mutate(rnd, f)) {
                            unmodified++;
                        }
                        f = rnd.nextInt(4) == 0 ? slice(f, 0, 1 + rnd.nextInt(f.length)) : f;
                    }
                    assertThat(Packets.send(wire.a(), tx, f)).isTrue();
                }
                wire.a().transmit(tx);
                assertThat(tx.count()).isZero();
                while (responder.poll() > 0) {
                    // drain
                }
                List<byte[]> got = Packets.receive(wire.a());
                for (byte[] r : got) {
                    checkReply(r, peerMac, ourMac);
                }
                replies += got.size();
            }
            long answered = responder.arpReplies() + responder.icmpReplies() + responder.udpReflected();
            assertThat(wire.b().counters().get(QueueCounter.RX_FRAMES)).isEqualTo(frames);
            assertThat(answered + responder.dropped()).as("every frame answered or dropped").isEqualTo(frames);
            assertThat(replies).isEqualTo(answered);
            assertThat(responder.dropped(Responder.Drop.TX_FULL)).isZero();
            assertThat(wire.b().pool().available()).as("no frame leaked").isEqualTo(512);
            for (Responder.Drop d : new Responder.Drop[] {Responder.Drop.TRUNCATED, Responder.Drop.NOT_FOR_US,
                    Responder.Drop.BAD_CHECKSUM, Responder.Drop.FRAGMENT, Responder.Drop.OTHER}) {
                assertThat(responder.dropped(d)).as(d.name()).isGreaterThan(100);
            }
            assertThat(responder.arpReplies()).isGreaterThan(1000);
            assertThat(responder.icmpReplies()).isGreaterThan(1000);
            assertThat(responder.udpReflected()).isGreaterThan(1000);
            assertThat(answered).isGreaterThanOrEqualTo(unmodified / 2);
        }
    }

    private static byte[] random(SplittableRandom rnd, byte[] ourMac) {
        int len = rnd.nextInt(20) == 0 ? 1 + rnd.nextInt(1900) : 1 + rnd.nextInt(120);
        byte[] f = new byte[len];
        rnd.nextBytes(f);
        if (len >= 14 && rnd.nextBoolean()) {
            System.arraycopy(ourMac, 0, f, 0, 6);
            f[6] &= (byte) 0xfe;
            f[12] = 0x08;
            f[13] = rnd.nextBoolean() ? (byte) 0x00 : (byte) 0x06;
            if (f[13] == 0 && len > 14) {
                f[14] = (byte) (0x40 | 5 + rnd.nextInt(11));
            }
        }
        return f;
    }

    private static byte[] valid(SplittableRandom rnd, byte[] peerMac, byte[] ourMac) {
        byte[] options = rnd.nextInt(4) == 0 ? new byte[4 * (1 + rnd.nextInt(10))] : new byte[0];
        byte[] payload = new byte[rnd.nextInt(4) == 0 ? rnd.nextInt(1400) : rnd.nextInt(64)];
        rnd.nextBytes(payload);
        return switch (rnd.nextInt(3)) {
            case 0 -> Packets.arpRequest(peerMac, PEER_IP, OUR_IP);
            case 1 -> Packets.ipv4(peerMac, ourMac, PEER_IP, OUR_IP, 1, options,
                    Packets.icmpEcho(rnd.nextInt(65536), rnd.nextInt(65536), payload));
            default -> Packets.ipv4(peerMac, ourMac, PEER_IP, OUR_IP, 17, options,
                    Packets.udp(PEER_IP, OUR_IP, 1 + rnd.nextInt(65535), rnd.nextInt(8) == 0 ? 9 : PORT, payload,
                            rnd.nextBoolean()));
        };
    }

    /** Mangles {@code f} in place half the time; returns whether it did. */
    private static boolean mutate(SplittableRandom rnd, byte[] f) {
        switch (rnd.nextInt(8)) {
            case 0, 1 -> { // flip bits anywhere
                for (int n = 1 + rnd.nextInt(3); n > 0; n--) {
                    f[rnd.nextInt(f.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
                return true;
            }
            case 2, 3 -> { // garbage in a header field, checksum fixed half the time
                int at = 14 + rnd.nextInt(Math.min(28, f.length - 14));
                f[at] = (byte) rnd.nextInt(256);
                if (rnd.nextInt(4) == 0) {
                    f[at + 1 < f.length ? at + 1 : at] = (byte) rnd.nextInt(256);
                }
                if (u16(f, 12) == 0x0800 && rnd.nextBoolean() && (f[14] & 0xf) >= 5 && 14 + (f[14] & 0xf) * 4 <= f.length) {
                    Packets.fixIpChecksum(f);
                }
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    private static void checkReply(byte[] r, byte[] peerMac, byte[] ourMac) {
        assertThat(r.length).isGreaterThanOrEqualTo(42);
        assertThat(slice(r, 6, 12)).isEqualTo(ourMac);
        int type = u16(r, 12);
        if (type == 0x0806) {
            assertThat(u16(r, 20)).isEqualTo(2);
            assertThat(slice(r, 22, 28)).isEqualTo(ourMac);
            assertThat(slice(r, 28, 32)).isEqualTo(OUR_IP);
            assertThat(slice(r, 0, 6)).isEqualTo(slice(r, 32, 38));
            return;
        }
        assertThat(type).isEqualTo(0x0800);
        assertThat(r[14]).isEqualTo((byte) 0x45);
        int total = u16(r, 16);
        assertThat(r.length).isEqualTo(14 + total);
        assertThat(checksum(r, 14, 20, 0)).as("IPv4 checksum").isZero();
        assertThat(slice(r, 26, 30)).isEqualTo(OUR_IP);
        int proto = r[23];
        if (proto == 1) {
            assertThat(r[34]).isZero();
            assertThat(checksum(r, 34, total - 20, 0)).as("ICMP checksum").isZero();
        } else {
            assertThat(proto).isEqualTo(17);
            assertThat(u16(r, 34)).isEqualTo(PORT);
            assertThat(u16(r, 38)).isEqualTo(total - 20);
            if (u16(r, 40) != 0) {
                byte[] dst = slice(r, 30, 34);
                assertThat(checksum(r, 34, total - 20, Packets.pseudo(OUR_IP, dst, 17, total - 20)))
                        .as("UDP checksum").isZero();
            }
        }
    }
}
