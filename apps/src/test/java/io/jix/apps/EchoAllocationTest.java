package io.jix.apps;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.apps.echo.EchoServer;
import io.jix.dataplane.Counter;
import io.jix.dataplane.Dataplane;
import io.jix.dataplane.Idle;
import io.jix.testkit.Allocations;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;

/**
 * The steady-state echo path allocates nothing on the elastic thread: 100,000 request/response
 * round trips after warm-up, measured with the JVM's per-thread allocation counter.
 */
class EchoAllocationTest {

    private static final int WINDOW = 25_000;
    private static final int MEASURED = 100_000;
    private static final int MESSAGE = 64;

    @Test
    void echoPathAllocatesZeroBytesPerRequest() throws Exception {
        for (Idle idle : Idle.values()) {
            try (Dataplane dataplane = Dataplane.builder().threads(1).pin(false).idle(idle).tcpPorts(0)
                    .name("alloc-test").start(EchoServer.application());
                 SocketChannel client = SocketChannel.open(
                         new InetSocketAddress(InetAddress.getLoopbackAddress(), dataplane.tcpPorts()[0]))) {
                client.socket().setTcpNoDelay(true);
                long elastic = dataplane.elasticThreadIds()[0];
                ByteBuffer out = ByteBuffer.allocateDirect(MESSAGE);
                ByteBuffer in = ByteBuffer.allocateDirect(MESSAGE);
                long eventsBefore = dataplane.counter(Counter.EVENTS);
                long allocated = Allocations.steadyState(() -> pingPong(client, out, in, WINDOW),
                        () -> Allocations.ofThread(elastic), 2, 40, MEASURED / WINDOW);
                long events = dataplane.counter(Counter.EVENTS) - eventsBefore;
                assertThat(events).as("events the dataplane delivered (%s)", idle).isGreaterThanOrEqualTo(MEASURED);
                assertThat(allocated).as("bytes allocated by the elastic thread over %d requests (%s idle)",
                        MEASURED, idle).isZero();
            }
        }
    }

    private static void pingPong(SocketChannel client, ByteBuffer out, ByteBuffer in, int rounds) {
        try {
            exchange(client, out, in, rounds);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void exchange(SocketChannel client, ByteBuffer out, ByteBuffer in, int rounds)
            throws java.io.IOException {
        for (int i = 0; i < rounds; i++) {
            out.clear();
            out.putLong(0, i);
            while (out.hasRemaining()) {
                client.write(out);
            }
            in.clear();
            while (in.hasRemaining()) {
                if (client.read(in) < 0) {
                    throw new IllegalStateException("server closed");
                }
            }
            if (in.getLong(0) != i) {
                throw new IllegalStateException("echo out of order at " + i);
            }
        }
    }
}
