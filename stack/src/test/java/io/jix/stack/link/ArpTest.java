package io.jix.stack.link;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.Frame;
import io.jix.nic.wire.Wire;
import io.jix.nic.wire.WireConfig;
import io.jix.stack.NetStack;
import io.jix.stack.NetStackConfig;
import io.jix.stack.StackCounter;
import io.jix.stack.ip.Ipv4;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArpTest {

    private static final long SECOND = 1_000_000_000L;

    /** Two stacks on one wire: a is 198.18.0.3, b is 198.18.0.4. */
    private static final class Pair implements AutoCloseable {
        final Wire wire = Wire.create(WireConfig.builder().frames(1024).build());
        final NetStack a;
        final NetStack b;
        final List<String> atB = new ArrayList<>();
        long now = SECOND;

        Pair(int holdPerEntry) {
            a = new NetStack(wire.a(), NetStackConfig.builder(wire.a().mac(), "198.18.0.3", 24)
                    .arp(16, holdPerEntry, 64).build(), now);
            b = new NetStack(wire.b(), NetStackConfig.builder(wire.b().mac(), "198.18.0.4", 24).build(), now);
            b.bindUdp(9, (s, f, off, len, src, sp, dp) -> {
                byte[] p = new byte[len];
                for (int i = 0; i < len; i++) {
                    p[i] = (byte) f.u8(off + i);
                }
                atB.add(new String(p, StandardCharsets.US_ASCII));
                return false;
            });
        }

        void send(NetStack from, int dst, String text) {
            Frame f = from.allocate(new Frame());
            byte[] p = text.getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < p.length; i++) {
                f.u8(NetStack.UDP_PAYLOAD_OFFSET + i, p[i]);
            }
            from.sendUdp(f, NetStack.UDP_PAYLOAD_OFFSET, p.length, 1000, dst, 9);
        }

        void run(int rounds) {
            for (int i = 0; i < rounds; i++) {
                a.poll(now);
                b.poll(now);
            }
        }

        @Override
        public void close() {
            wire.close();
        }
    }

    @Test
    void heldPacketsAreReleasedInOrderOnTheAnswer() {
        try (Pair p = new Pair(8)) {
            p.run(1); // gratuitous ARP both ways
            for (int i = 0; i < 5; i++) {
                p.send(p.a, Ipv4.parse("198.18.0.4"), "m" + i);
            }
            assertThat(p.a.counters().get(StackCounter.ARP_HELD)).isEqualTo(5);
            p.run(3);
            assertThat(p.atB).containsExactly("m0", "m1", "m2", "m3", "m4");
            assertThat(p.a.arpLookup(Ipv4.parse("198.18.0.4"))).isEqualTo(Ethernet.mac(p.wire.b().mac()));
            // b learned a from a's request to it.
            assertThat(p.b.arpLookup(Ipv4.parse("198.18.0.3"))).isEqualTo(Ethernet.mac(p.wire.a().mac()));
            assertThat(p.b.counters().get(StackCounter.ARP_LEARNED)).isEqualTo(1);
            assertThat(p.a.counters().get(StackCounter.ARP_REQUESTS_SENT)).isEqualTo(2); // gratuitous + one
            // Now resolved: sent at once.
            p.send(p.a, Ipv4.parse("198.18.0.4"), "m5");
            p.run(1);
            assertThat(p.atB).endsWith("m5");
            assertThat(p.a.counters().get(StackCounter.ARP_HELD)).isEqualTo(5);
        }
    }

    @Test
    void aMappingLearnedByAnotherQueuesStackReleasesWhatThisOneHeldAndIsPublished() {
        try (Pair p = new Pair(8)) {
            List<String> published = new ArrayList<>();
            p.a.onArpLearned((address, mac) -> published.add(Ipv4.toString(address) + " " + Long.toHexString(mac)));
            int peer = Ipv4.parse("198.18.0.4");
            for (int i = 0; i < 3; i++) {
                p.send(p.a, peer, "h" + i); // held: no answer comes (b is not polled)
            }
            assertThat(p.a.counters().get(StackCounter.ARP_HELD)).isEqualTo(3);
            // As if a sibling stack of the same port had seen b's ARP answer on its own queue:
            p.a.arpLearned(peer, Ethernet.mac(p.wire.b().mac()));
            p.a.arpLearned(Ipv4.parse("10.0.0.1"), 0x0200_0000_0001L); // not on our subnet: ignored
            p.a.flush();
            p.b.poll(p.now);
            assertThat(p.atB).containsExactly("h0", "h1", "h2");
            assertThat(p.a.arpLookup(peer)).isEqualTo(Ethernet.mac(p.wire.b().mac()));
            assertThat(p.a.arpCache().find(Ipv4.parse("10.0.0.1"))).isEqualTo(ArpCache.MISSING);
            assertThat(published).as("applying a shared entry publishes nothing again").isEmpty();
            // What a stack learns from ARP traffic itself is published for its siblings.
            p.run(2); // b's gratuitous ARP reaches a
            assertThat(published).contains("198.18.0.4 " + Long.toHexString(Ethernet.mac(p.wire.b().mac())));
        }
    }

    @Test
    void holdLimitDropsTheExcessAndUnansweredRequestsDropTheHeld() {
        try (Pair p = new Pair(3)) {
            int free = p.a.pool().available();
            int nobody = Ipv4.parse("198.18.0.99");
            for (int i = 0; i < 5; i++) {
                p.send(p.a, nobody, "x" + i);
            }
            assertThat(p.a.counters().get(StackCounter.ARP_HELD)).isEqualTo(3);
            assertThat(p.a.counters().get(StackCounter.ARP_HOLD_FULL)).isEqualTo(2);
            for (int s = 0; s < 5; s++) {
                p.now += SECOND + 1_000_000;
                p.run(1);
            }
            assertThat(p.a.counters().get(StackCounter.ARP_REQUESTS_SENT)).isEqualTo(1 + 3); // gratuitous + 3 tries
            assertThat(p.a.counters().get(StackCounter.ARP_UNRESOLVED)).isEqualTo(3);
            assertThat(p.a.arpCache().find(nobody)).isEqualTo(ArpCache.MISSING);
            p.run(2);
            assertThat(p.a.pool().available()).isEqualTo(free);
        }
    }

    @Test
    void unusedEntriesExpireAndUsedOnesAreRefreshed() {
        try (Pair p = new Pair(8)) {
            int bIp = Ipv4.parse("198.18.0.4");
            p.send(p.a, bIp, "hello");
            p.run(3);
            assertThat(p.a.arpLookup(bIp)).isNotEqualTo(-1);
            int e = p.a.arpCache().find(bIp);
            // Used after confirmation: at expiry it is refreshed by a unicast request b answers.
            p.now += 30 * SECOND;
            p.send(p.a, bIp, "again");
            p.run(2);
            p.now += 31 * SECOND;
            p.run(1);
            assertThat(p.a.arpCache().state(e)).isEqualTo(ArpCache.REFRESHING);
            assertThat(p.a.arpLookup(bIp)).isNotEqualTo(-1); // still usable while refreshing
            p.run(3);
            assertThat(p.a.arpCache().state(e)).isEqualTo(ArpCache.REACHABLE);
            // Unused for a whole period: removed.
            p.now += 61 * SECOND;
            p.run(1);
            assertThat(p.a.arpLookup(bIp)).isEqualTo(-1);
            assertThat(p.a.counters().get(StackCounter.ARP_EXPIRED)).isEqualTo(1);
        }
    }

    @Test
    void staticEntriesSendWithoutAskingAndIgnoreArpTraffic() {
        try (Peer p = new Peer(b -> b)) {
            p.stack.addStaticArp(Ipv4.of(Peer.PEER_IP), Peer.PEER_MAC);
            byte[] liar = {0x02, 0, 0, 0, 0, 0x66};
            p.exchange(Peer.arp(2, Peer.STACK_MAC, liar, Peer.PEER_IP, Peer.STACK_MAC, Peer.STACK_IP));
            assertThat(p.stack.arpLookup(Ipv4.of(Peer.PEER_IP))).isEqualTo(Ethernet.mac(Peer.PEER_MAC));
            p.stack.bindUdp(7, (s, f, off, len, src, sp, dp) -> s.sendUdp(f, off, len, dp, src, sp));
            List<byte[]> out = p.exchange(Peer.udpFrame(5000, 7, new byte[] {1, 2, 3}));
            assertThat(out).hasSize(1);
            assertThat(Peer.slice(out.getFirst(), 0, 6)).isEqualTo(Peer.PEER_MAC);
            assertThat(p.count(StackCounter.ARP_REQUESTS_SENT)).isZero();
            p.now += 3600 * SECOND;
            p.poll();
            assertThat(p.stack.arpLookup(Ipv4.of(Peer.PEER_IP))).isEqualTo(Ethernet.mac(Peer.PEER_MAC));
        }
    }

    @Test
    void requestsForUsAreAnsweredAndOthersIgnored() {
        try (Peer p = new Peer(b -> b.gratuitousArp(true))) {
            List<byte[]> out = p.exchange(Peer.arpRequest(Peer.STACK_IP));
            // gratuitous announcement first, then the reply
            assertThat(out).hasSize(2);
            byte[] g = out.get(0);
            assertThat(Peer.slice(g, 0, 6)).isEqualTo(Peer.BROADCAST);
            assertThat(Peer.slice(g, 28, 4)).isEqualTo(Peer.STACK_IP);
            assertThat(Peer.slice(g, 38, 4)).isEqualTo(Peer.STACK_IP);
            byte[] r = out.get(1);
            assertThat(r).hasSize(60);
            assertThat(Peer.slice(r, 0, 6)).isEqualTo(Peer.PEER_MAC);
            assertThat(Peer.u16(r, 20)).isEqualTo(2);
            assertThat(Peer.slice(r, 22, 6)).isEqualTo(Peer.STACK_MAC);
            assertThat(Peer.slice(r, 28, 4)).isEqualTo(Peer.STACK_IP);
            assertThat(Peer.slice(r, 32, 6)).isEqualTo(Peer.PEER_MAC);
            assertThat(Peer.slice(r, 38, 4)).isEqualTo(Peer.PEER_IP);
            assertThat(p.exchange(Peer.arpRequest(new byte[] {(byte) 198, 18, 0, 77}))).isEmpty();
            assertThat(p.count(StackCounter.ARP_NOT_FOR_US)).isZero(); // merged: the sender was known
            byte[] bad = Peer.arpRequest(Peer.STACK_IP);
            bad[15] = 6; // htype 6
            assertThat(p.exchange(bad)).isEmpty();
            assertThat(p.count(StackCounter.ARP_BAD)).isEqualTo(1);
        }
    }
}
