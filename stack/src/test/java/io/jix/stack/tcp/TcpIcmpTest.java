package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.stack.ip.Ipv4;
import io.jix.stack.link.Peer;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ICMP errors quoting our SYN: a port unreachable ends the attempt; a forged quote does not. */
class TcpIcmpTest {

    private final List<String> events = new ArrayList<>();

    private final TcpEvents sink = new TcpEvents() {
        @Override
        public void accepted(long c, int lp, int rip, int rp) {
        }

        @Override
        public void connected(long c, int status) {
            events.add("connected " + status);
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

    /** An ICMP destination unreachable (code) quoting the IP header and 8 bytes of {@code syn} (an Ethernet frame). */
    private static byte[] unreachable(byte[] syn, int code, int seqDelta) {
        byte[] quote = Arrays.copyOfRange(syn, 14, 14 + 28);
        int seq = ((quote[24] & 0xff) << 24 | (quote[25] & 0xff) << 16 | (quote[26] & 0xff) << 8 | (quote[27] & 0xff))
                + seqDelta;
        quote[24] = (byte) (seq >>> 24);
        quote[25] = (byte) (seq >>> 16);
        quote[26] = (byte) (seq >>> 8);
        quote[27] = (byte) seq;
        byte[] icmp = new byte[8 + quote.length];
        icmp[0] = 3;
        icmp[1] = (byte) code;
        System.arraycopy(quote, 0, icmp, 8, quote.length);
        int sum = Peer.checksum(icmp, 0, icmp.length, 0);
        icmp[2] = (byte) (sum >> 8);
        icmp[3] = (byte) sum;
        return Peer.ipv4(1, icmp);
    }

    private byte[] connectAndCaptureSyn(Peer peer, TcpLayer tcp) {
        long c = tcp.connect(Ipv4.parse("198.18.0.2"), 80);
        assertThat(c).isNotNegative();
        peer.poll();
        List<byte[]> out = peer.received();
        assertThat(out).hasSize(1);
        return out.get(0);
    }

    @Test
    void portUnreachableEndsTheConnectAttempt() {
        try (Peer peer = new Peer(b -> b)) {
            peer.stack.addStaticArp(Ipv4.parse("198.18.0.2"), Peer.PEER_MAC);
            TcpLayer tcp = new TcpLayer(peer.stack, TcpConfig.defaults(), sink, new IsnGenerator(1, 1),
                    new SynCookies(1, 1));
            byte[] syn = connectAndCaptureSyn(peer, tcp);
            peer.send(unreachable(syn, 3, 0));
            peer.poll();
            assertThat(events).containsExactly("connected " + TcpEvents.UNREACHABLE);
            assertThat(tcp.connections()).isZero();
        }
    }

    @Test
    void forgedQuoteOrSoftErrorIsIgnored() {
        try (Peer peer = new Peer(b -> b)) {
            peer.stack.addStaticArp(Ipv4.parse("198.18.0.2"), Peer.PEER_MAC);
            TcpLayer tcp = new TcpLayer(peer.stack, TcpConfig.defaults(), sink, new IsnGenerator(1, 1),
                    new SynCookies(1, 1));
            byte[] syn = connectAndCaptureSyn(peer, tcp);
            peer.send(unreachable(syn, 3, 100_000)); // sequence number we never sent
            peer.send(unreachable(syn, 1, 0));       // host unreachable: soft
            peer.poll();
            assertThat(events).isEmpty();
            assertThat(tcp.connections()).isEqualTo(1);
        }
    }
}
