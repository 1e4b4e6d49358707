package io.jix.nic.tools;

import io.jix.testkit.Allocations;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.wire.Wire;
import io.jix.nic.wire.WireConfig;
import io.jix.nic.wire.WireQueue;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** {@link Responder#poll()} answers ARP, ICMP and UDP and drops garbage without allocating. */
class ResponderAllocationTest {


    @Test
    void pollAllocatesNothingInSteadyState() {
        try (Wire wire = Wire.create(WireConfig.builder().frames(512).ringSlots(128).build());
             Arena arena = Arena.ofConfined()) {
            WireQueue peer = wire.a();
            byte[] pm = peer.mac();
            byte[] om = wire.b().mac();
            byte[][] requests = {
                Packets.arpRequest(pm, ResponderTest.PEER_IP, ResponderTest.OUR_IP),
                Packets.ipv4(pm, om, ResponderTest.PEER_IP, ResponderTest.OUR_IP, 1, new byte[4],
                        Packets.icmpEcho(1, 2, new byte[56])),
                Packets.ipv4(pm, om, ResponderTest.PEER_IP, ResponderTest.OUR_IP, 17, new byte[0],
                        Packets.udp(ResponderTest.PEER_IP, ResponderTest.OUR_IP, 999, ResponderTest.PORT, new byte[100], true)),
                new byte[] {1, 2, 3},
            };
            MemorySegment[] templates = new MemorySegment[requests.length];
            for (int i = 0; i < requests.length; i++) {
                templates[i] = arena.allocate(requests[i].length);
                MemorySegment.copy(requests[i], 0, templates[i], ValueLayout.JAVA_BYTE, 0, requests[i].length);
            }
            Responder responder = new Responder(wire.b(), om, ResponderTest.OUR_IP, ResponderTest.PORT);
            FrameBurst tx = new FrameBurst(32);
            FrameBurst rx = new FrameBurst(32);
            FramePool pool = peer.pool();

            long[] frames = {0};
            Runnable round = () -> {
                for (int i = 0; i < 32; i++) {
                    MemorySegment t = templates[(int) (frames[0]++ % templates.length)];
                    int f = pool.allocate();
                    MemorySegment.copy(t, 0, pool.region(), pool.offset(f), t.byteSize());
                    tx.add(f, 0, (int) t.byteSize());
                }
                peer.transmit(tx);
                responder.poll();
                rx.clear();
                int n = peer.receive(rx, 32);
                for (int i = 0; i < n; i++) {
                    pool.release(rx.frame(i));
                }
            };
            Runnable window = () -> {
                for (int r = 0; r < 50_000; r += 32) {
                    round.run();
                }
            };
            long allocated = Allocations.steadyState(window, Allocations::ofCurrentThread, 20, 200, 2);
            assertThat(allocated).as("bytes allocated over 100,000 frames").isZero();
            assertThat(responder.arpReplies()).isPositive();
            assertThat(responder.icmpReplies()).isPositive();
            assertThat(responder.udpReflected()).isPositive();
            assertThat(responder.dropped(Responder.Drop.TRUNCATED)).isPositive();
            assertThat(responder.dropped(Responder.Drop.TX_FULL)).isZero();
        }
    }

}
