package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jix.nic.FlowSteering;
import io.jix.nic.Frame;
import io.jix.nic.FrameBurst;
import io.jix.nic.wire.Wire;
import io.jix.stack.NetStack;
import io.jix.stack.NetStackConfig;
import io.jix.stack.ip.Ipv4;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ephemeral port of {@link TcpLayer#connect} is chosen so that the peer's replies arrive on the
 * stack's own queue by the port's {@link FlowSteering} (IX's choice), read from the SYNs on the wire.
 */
class TcpPortChoiceTest {

    private static final String OURS = "198.18.0.3";
    private static final int PEER = Ipv4.parse("198.18.0.4");

    /** Ignores every event. */
    static final class Quiet implements TcpEvents {
        @Override
        public void accepted(long conn, int localPort, int remoteIp, int remotePort) {
        }

        @Override
        public void connected(long conn, int status) {
        }

        @Override
        public void recv(long conn, MemorySegment region, long offset, int length) {
        }

        @Override
        public void sent(long conn, int bytes) {
        }

        @Override
        public void dead(long conn, int reason) {
        }
    }

    /** Connects {@code n} times to {@code PEER:remotePort(i)} and returns the source ports of the SYNs sent. */
    private static List<Integer> synPorts(FlowSteering steering, int queue, int queues, int n,
            java.util.function.IntUnaryOperator remotePort) {
        List<Integer> ports = new ArrayList<>();
        try (Wire wire = Wire.create()) {
            NetStack stack = new NetStack(wire.a(), NetStackConfig.builder(wire.a().mac(), OURS, 24)
                    .gratuitousArp(false).steering(steering, queue, queues).build(), 0);
            stack.addStaticArp(PEER, wire.b().mac());
            TcpLayer tcp = new TcpLayer(stack, TcpConfig.defaults(), new Quiet());
            FrameBurst burst = new FrameBurst(64);
            Frame f = new Frame();
            for (int i = 0; i < n; i++) {
                long conn = tcp.connect(PEER, remotePort.applyAsInt(i));
                if (conn < 0) {
                    break;
                }
                stack.flush();
                burst.clear();
                assertThat(wire.b().receive(burst, 64)).as("one SYN per connect").isEqualTo(1);
                f.wrap(wire.b().pool(), burst.frame(0), burst.offset(0), burst.length(0));
                assertThat(f.u8(23)).as("TCP").isEqualTo(6);
                assertThat(f.u16(36)).isEqualTo(remotePort.applyAsInt(i));
                ports.add(f.u16(34));
                wire.b().pool().release(burst.frame(0));
            }
        }
        return ports;
    }

    @Test
    void withoutSteeringThePortsAreConsecutiveAsBefore() {
        assertThat(synPorts(FlowSteering.UNKNOWN, 0, 1, 5, i -> 80)).containsExactly(32768, 32769, 32770, 32771, 32772);
        assertThat(synPorts(FlowSteering.UNKNOWN, 1, 2, 3, i -> 80)).containsExactly(32768, 32769, 32770);
    }

    @Test
    void portXorOnTwoQueuesGivesEachQueueThePortsThatHashToIt() {
        // Remote port 80 (low byte 0x50: its nibbles fold to 0x5, odd): queue 0 gets the odd local
        // ports around 32768, queue 1 the even ones, the next free in turn.
        assertThat(synPorts(FlowSteering.PORT_XOR, 0, 2, 4, i -> 80)).containsExactly(32769, 32771, 32773, 32775);
        assertThat(synPorts(FlowSteering.PORT_XOR, 1, 2, 4, i -> 80)).containsExactly(32768, 32770, 32772, 32774);
        // Remote port 8081 (low byte 0x91: folds to 0x8, even): the other way round.
        assertThat(synPorts(FlowSteering.PORT_XOR, 0, 2, 2, i -> 8081)).containsExactly(32768, 32770);
    }

    @Test
    void everyReplyHashesToTheCallersQueueWhateverTheRemotePort() {
        for (int queues : new int[] {2, 4, 8}) {
            for (int q = 0; q < queues; q++) {
                List<Integer> ports = synPorts(FlowSteering.PORT_XOR, q, queues, 300, i -> 1000 + i * 7);
                assertThat(ports).hasSize(300).doesNotHaveDuplicates();
                for (int i = 0; i < ports.size(); i++) {
                    int remote = 1000 + i * 7;
                    assertThat(FlowSteering.PORT_XOR.queueOf(PEER, remote, Ipv4.parse(OURS), ports.get(i), queues))
                            .as("reply to %d from %d, %d queues", ports.get(i), remote, queues).isEqualTo(q);
                }
            }
        }
    }

    @Test
    void noPortWhenNoneLandsOnOurQueue() {
        FlowSteering elsewhere = (srcIp, srcPort, dstIp, dstPort, queues) -> 0;
        assertThat(synPorts(elsewhere, 1, 2, 3, i -> 80)).isEmpty();
        assertThat(synPorts(elsewhere, 0, 2, 1, i -> 80)).containsExactly(32768);
    }

    @Test
    void theConfigRejectsAQueueOutsideThePort() {
        byte[] mac = {2, 0, 0, 0, 0, 1};
        assertThatThrownBy(() -> NetStackConfig.builder(mac, OURS, 24).steering(FlowSteering.PORT_XOR, 2, 2).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NetStackConfig.builder(mac, OURS, 24).steering(null, 0, 1).build())
                .isInstanceOf(IllegalArgumentException.class);
    }
}
