package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.stack.ip.Ipv4;
import io.jix.stack.link.Peer;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Hostile input: seeded random segments (flags, sequence and acknowledgment numbers near and far
 * from the windows, random and truncated options, payloads) at a listener and its connections.
 * Nothing may throw, and once everything is aborted every frame is back in the pool.
 */
class TcpFuzzTest {

    private int callbackAborts;
    private int recvEvents;

    @Test
    void randomSegmentsAreSurvivedAndLeakNoFrames() {
        for (long seed = 1; seed <= 4; seed++) {
            run(seed);
        }
        System.err.println("fuzz: recv events " + recvEvents + ", aborts from inside recv " + callbackAborts);
        assertThat(callbackAborts).as("aborts from inside recv").isPositive();
    }

    private void run(long seed) {
        Random r = new Random(seed);
        try (Peer peer = new Peer(b -> b)) {
            peer.stack.addStaticArp(Ipv4.parse("198.18.0.2"), Peer.PEER_MAC);
            long[] last = {-1};
            java.util.List<Long> all = new java.util.ArrayList<>();
            int[] held = {0};
            TcpLayer[] layer = new TcpLayer[1];
            Random inCallback = new Random(seed * 31);
            TcpEvents ev = new TcpEvents() {
                @Override
                public void accepted(long c, int lp, int rip, int rp) {
                    last[0] = c;
                    held[0] = 0;
                    all.add(c);
                }

                @Override
                public void connected(long c, int status) {
                }

                @Override
                public void recv(long c, MemorySegment region, long offset, int length) {
                    recvEvents++;
                    if (inCallback.nextInt(4) == 0) {
                        // abort from inside the event (perhaps mid-drain of the out-of-order queue),
                        // and sometimes reuse the slot at once
                        layer[0].abort(c);
                        callbackAborts++;
                        if (inCallback.nextBoolean()) {
                            long n = layer[0].connect(Ipv4.parse("198.18.0.2"), 9);
                            if (n >= 0) {
                                all.add(n);
                            }
                        }
                        return;
                    }
                    if (c == last[0]) {
                        held[0] += length;
                    }
                }

                @Override
                public void sent(long c, int bytes) {
                }

                @Override
                public void dead(long c, int reason) {
                }
            };
            TcpLayer tcp = new TcpLayer(peer.stack, TcpConfig.defaults().withTimeWait(100_000_000L), ev,
                    new IsnGenerator(1, 1), new SynCookies(2, 2));
            layer[0] = tcp;
            tcp.listen(8080, 4);
            MemorySegment data = MemorySegment.ofArray(new byte[4096]);
            int[] peerSeq = new int[8];
            int[] ourSeq = new int[8];
            for (int i = 0; i < 20_000; i++) {
                int port = 40000 + r.nextInt(8);
                int k = port - 40000;
                int flags = switch (r.nextInt(6)) {
                    case 0 -> 0x02;
                    case 1, 2 -> 0x10 | (r.nextBoolean() ? 0x08 : 0) | (r.nextInt(20) == 0 ? 0x01 : 0);
                    default -> r.nextInt(256);
                };
                int seq = switch (r.nextInt(4)) {
                    case 0 -> r.nextInt();
                    case 1 -> peerSeq[k];
                    default -> peerSeq[k] + r.nextInt(3000) - 1000;
                };
                int ack = switch (r.nextInt(4)) {
                    case 0 -> r.nextInt();
                    case 1, 2 -> ourSeq[k];
                    default -> ourSeq[k] + r.nextInt(2000) - 200;
                };
                byte[] options = new byte[r.nextInt(3) == 0 ? r.nextInt(11) * 4 : 0];
                r.nextBytes(options);
                if (options.length >= 4 && r.nextBoolean()) {
                    options[0] = (byte) (2 + r.nextInt(7));
                    options[1] = (byte) r.nextInt(40);
                }
                int payload = r.nextInt(4) == 0 ? r.nextInt(1400) : 0;
                byte[] l4 = new byte[20 + options.length + payload];
                ByteBuffer b = ByteBuffer.wrap(l4);
                int hlWords = r.nextInt(50) == 0 ? r.nextInt(16) : (20 + options.length) / 4;
                b.putShort((short) port).putShort((short) 8080).putInt(seq).putInt(ack)
                        .put((byte) (hlWords << 4)).put((byte) flags).putShort((short) r.nextInt(65536))
                        .putShort((short) 0).putShort((short) 0).put(options);
                int sum = Peer.checksum(l4, 0, l4.length, Peer.pseudo(Peer.PEER_IP, Peer.STACK_IP, 6, l4.length));
                l4[16] = (byte) (sum >> 8);
                l4[17] = (byte) sum;
                if ((flags & 0x02) != 0) {
                    peerSeq[k] = seq + 1;
                }
                peer.send(Peer.ipv4(6, l4));
                peer.now += 1_000_000L;
                peer.poll();
                tcp.poll(peer.now);
                for (byte[] f : peer.received()) {
                    if (f.length >= 54 && f[23] == 6) {
                        int dp = Peer.u16(f, 36) - 40000;
                        if (dp >= 0 && dp < 8 && (f[47] & 0x12) == 0x12) {
                            ourSeq[dp] = ByteBuffer.wrap(f).getInt(38) + 1;
                        }
                    }
                }
                if (last[0] >= 0 && tcp.valid(last[0])) {
                    if (r.nextInt(10) == 0) {
                        tcp.send(last[0], data, 0, 1 + r.nextInt(4096));
                    }
                    if (held[0] > 0 && r.nextBoolean()) {
                        tcp.recvDone(last[0], held[0]);
                        held[0] = 0;
                    }
                    if (r.nextInt(200) == 0) {
                        tcp.close(last[0]);
                    }
                    if (r.nextInt(300) == 0) {
                        tcp.abort(last[0]);
                        held[0] = 0;
                    }
                } else {
                    held[0] = 0;
                }
            }
            assertThat(tcp.segmentsIn).isEqualTo(20_000);
            assertThat(tcp.challengeAcks + tcp.resetsSent).isPositive();
            assertThat(last[0]).as("some connection was accepted").isNotNegative();
            System.err.println("fuzz: in " + tcp.segmentsIn + " out " + tcp.segmentsOut + " bad " + tcp.badSegments
                    + " resets " + tcp.resetsSent + " challenge ACKs " + tcp.challengeAcks + " cookies "
                    + tcp.synCookiesSent + "/" + tcp.synCookiesAccepted + " accepted-last " + last[0]);
            // established connections live until the application ends them: abort those; then let
            // every timer run out (retries, TIME-WAIT)
            for (long c : all) {
                if (tcp.valid(c)) {
                    tcp.abort(c);
                }
            }
            for (int i = 0; i < 4000; i++) {
                peer.now += 100_000_000L;
                peer.poll();
                tcp.poll(peer.now);
                peer.received();
            }
            assertThat(tcp.connections()).isZero();
            peer.poll();
            assertThat(peer.stack.pool().available()).isEqualTo(peer.stack.pool().capacity());
        }
    }

    @Test
    void synFloodStaysWithinTheBacklogAndIsAnsweredWithCookies() {
        Random r = new Random(77);
        try (Peer peer = new Peer(b -> b)) {
            peer.stack.addStaticArp(Ipv4.parse("198.18.0.2"), Peer.PEER_MAC);
            TcpEvents ev = new TcpEvents() {
                @Override
                public void accepted(long c, int lp, int rip, int rp) {
                }

                @Override
                public void connected(long c, int status) {
                }

                @Override
                public void recv(long c, MemorySegment region, long offset, int length) {
                }

                @Override
                public void sent(long c, int bytes) {
                }

                @Override
                public void dead(long c, int reason) {
                }
            };
            TcpLayer tcp = new TcpLayer(peer.stack, TcpConfig.defaults(), ev, new IsnGenerator(5, 5),
                    new SynCookies(6, 6));
            tcp.listen(8080, 64);
            int synackReplies = 0;
            for (int i = 0; i < 30_000; i++) {
                byte[] l4 = new byte[24];
                ByteBuffer b = ByteBuffer.wrap(l4);
                b.putShort((short) (1024 + r.nextInt(60000))).putShort((short) 8080).putInt(r.nextInt()).putInt(0)
                        .put((byte) (6 << 4)).put((byte) 0x02).putShort((short) 65535).putShort((short) 0)
                        .putShort((short) 0).putInt(0x020405b4);
                int sum = Peer.checksum(l4, 0, l4.length, Peer.pseudo(Peer.PEER_IP, Peer.STACK_IP, 6, l4.length));
                l4[16] = (byte) (sum >> 8);
                l4[17] = (byte) sum;
                peer.send(Peer.ipv4(6, l4));
                if (i % 32 == 31) {
                    peer.now += 100_000L;
                    peer.poll();
                    tcp.poll(peer.now);
                    synackReplies += peer.received().size();
                }
                assertThat(tcp.connections()).isLessThanOrEqualTo(64);
            }
            peer.poll();
            tcp.poll(peer.now);
            synackReplies += peer.received().size();
            assertThat(tcp.synCookiesSent).isGreaterThan(29_000);
            assertThat(synackReplies).isGreaterThan(29_000);
            // the half-open connections give up after their SYN-ACK retries; nothing is left
            for (int i = 0; i < 2000; i++) {
                peer.now += 100_000_000L;
                peer.poll();
                tcp.poll(peer.now);
                peer.received();
            }
            assertThat(tcp.connections()).isZero();
            assertThat(peer.stack.pool().available()).isEqualTo(peer.stack.pool().capacity());
        }
    }
}
