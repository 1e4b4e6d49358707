package io.jix.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.Frame;
import io.jix.stack.ip.Ipv4;
import io.jix.stack.link.Peer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link TransportHandler#poll}: called by every {@link NetStack#poll} after receiving, before the flush. */
class TransportPollTest {

    private static final int PEER = Ipv4.parse("198.18.0.2");

    /** Records receive and poll calls; sends one packet of protocol {@code proto} from poll when asked. */
    static final class Recorder implements TransportHandler {
        final String name;
        final int proto;
        final List<String> log;
        final Frame frame = new Frame();
        boolean sendFromPoll;
        long lastPollNanos;

        Recorder(String name, int proto, List<String> log) {
            this.name = name;
            this.proto = proto;
            this.log = log;
        }

        @Override
        public boolean receive(NetStack stack, Frame f, int l4Offset, int l4Length, int srcIp, int dstIp) {
            log.add(name + " receive " + f.u8(l4Offset));
            return false;
        }

        @Override
        public void poll(NetStack stack, long nowNanos) {
            log.add(name + " poll");
            lastPollNanos = nowNanos;
            if (sendFromPoll) {
                sendFromPoll = false;
                Frame f = stack.allocate(frame);
                f.u8(NetStack.L4_OFFSET, 0x5a);
                stack.sendIpv4(f, NetStack.L4_OFFSET, 1, PEER, proto);
            }
        }
    }

    @Test
    void pollRunsAfterTheFramesReceivedAndWhatItSendsLeavesInTheSameFlush() {
        try (Peer p = new Peer(b -> b)) {
            p.stack.addStaticArp(PEER, Peer.PEER_MAC);
            List<String> log = new ArrayList<>();
            Recorder r = new Recorder("r", 253, log);
            p.stack.registerTransport(253, r);
            p.send(Peer.ipv4(253, new byte[] {7}), Peer.ipv4(253, new byte[] {8}));
            r.sendFromPoll = true;
            p.now += 1_000;
            p.poll();
            assertThat(log).containsExactly("r receive 7", "r receive 8", "r poll");
            assertThat(r.lastPollNanos).isEqualTo(p.now);
            List<byte[]> out = p.received(); // nothing else was polled or flushed since
            assertThat(out).hasSize(1);
            assertThat(out.getFirst()[23]).isEqualTo((byte) 253); // IPv4 protocol
            assertThat(out.getFirst()[34]).isEqualTo((byte) 0x5a);
            p.poll(); // polled even with nothing received
            assertThat(log).containsExactly("r receive 7", "r receive 8", "r poll", "r poll");
        }
    }

    @Test
    void eachRegisteredHandlerOncePerPollAndAReplacedOneNoMore() {
        try (Peer p = new Peer(b -> b)) {
            List<String> log = new ArrayList<>();
            Recorder r = new Recorder("r", 253, log);
            Recorder s = new Recorder("s", 254, log);
            p.stack.registerTransport(253, r);
            p.stack.registerTransport(252, r); // the same object for two protocols: polled once
            p.stack.registerTransport(254, s);
            p.poll();
            assertThat(log).containsExactlyInAnyOrder("r poll", "s poll");
            log.clear();
            Recorder t = new Recorder("t", 254, log);
            p.stack.registerTransport(254, t); // replaces s
            p.poll();
            assertThat(log).containsExactlyInAnyOrder("r poll", "t poll");
            log.clear();
            p.stack.registerTransport(253, t);
            p.stack.registerTransport(252, t); // r is registered nowhere now
            p.poll();
            assertThat(log).containsExactly("t poll");
        }
    }
}
