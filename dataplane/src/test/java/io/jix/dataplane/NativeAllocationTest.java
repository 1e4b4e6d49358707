package io.jix.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.wire.Wire;
import io.jix.nic.wire.WireConfig;
import io.jix.testkit.Allocations;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The native backend's steady state allocates nothing on the elastic thread: over 1,000,000 echo
 * requests (the ixev echo, 16 connections ping-ponging 64-byte messages through jix's stack over
 * the in-memory wire), after warm-up, measured with the JVM's per-thread allocation counter.
 * Receive views are unchecked here: a checked view costs an arena per received frame by design.
 */
class NativeAllocationTest {

    private static final int CONNECTIONS = 16;
    private static final int MESSAGE = 64;
    private static final int WINDOW = 100_000;
    private static final int MEASURED = 1_000_000;

    @Test
    void millionEchoRequestsAllocateZeroBytesOnTheElasticThread() throws Exception {
        try (Wire wire = Wire.create(WireConfig.builder().frames(8192).ringSlots(2048).build());
             Arena arena = Arena.ofConfined()) {
            Dataplane dataplane = Dataplane.builder().nicQueues(List.of(wire.a()), wire.a().mac())
                    .address(InetAddress.getByName("198.18.0.3")).tcpPorts(7).threads(1).pin(false)
                    .idle(Idle.SPIN).checkedViews(false).name("native-alloc").start(NativeBackendTest.ixevEcho());
            try (WirePeer peer = new WirePeer(wire.b(), "198.18.0.4")) {
                peer.countOnly = true;
                List<WirePeer.Conn> conns = new ArrayList<>();
                for (int i = 0; i < CONNECTIONS; i++) {
                    conns.add(peer.connect("198.18.0.3", 7));
                }
                assertThat(peer.drive(() -> conns.stream().allMatch(WirePeer.Conn::connected),
                        Duration.ofSeconds(10))).isTrue();
                // One request buffer per connection, resent only after its echo came back (so acknowledged).
                MemorySegment requests = arena.allocate((long) CONNECTIONS * MESSAGE);
                long elastic = dataplane.elasticThreadIds()[0];
                long eventsBefore = dataplane.counter(Counter.EVENTS);
                long allocated = Allocations.steadyState(() -> pingPong(peer, conns, requests, WINDOW),
                        () -> Allocations.ofThread(elastic), 3, 60, MEASURED / WINDOW);
                long events = dataplane.counter(Counter.EVENTS) - eventsBefore;
                assertThat(events).as("events delivered").isGreaterThanOrEqualTo(MEASURED);
                assertThat(allocated).as("bytes the elastic thread allocated over %d echo requests", MEASURED)
                        .isZero();
            } finally {
                dataplane.close();
            }
        }
    }

    /** {@code requests} echo round trips spread over the connections, each at most one in flight. */
    private static void pingPong(WirePeer peer, List<WirePeer.Conn> conns, MemorySegment buffers, int requests) {
        int n = conns.size();
        long[] expected = new long[n];
        int[] issued = {0};
        for (int i = 0; i < n; i++) {
            expected[i] = conns.get(i).receivedBytes;
        }
        boolean done = peer.drive(() -> {
            boolean idle = true;
            for (int i = 0; i < n; i++) {
                WirePeer.Conn c = conns.get(i);
                if (c.receivedBytes == expected[i] && issued[0] < requests) {
                    if (peer.send(c, buffers, (long) i * MESSAGE, MESSAGE) != MESSAGE) {
                        throw new IllegalStateException("peer send buffer full");
                    }
                    expected[i] += MESSAGE;
                    issued[0]++;
                }
                idle &= c.receivedBytes == expected[i];
            }
            return idle && issued[0] == requests;
        }, Duration.ofSeconds(120));
        if (!done) {
            throw new IllegalStateException("echo stalled after " + issued[0] + " of " + requests);
        }
    }
}
