package io.jix.apps.memcached;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.dataplane.Counter;
import io.jix.dataplane.Dataplane;
import io.jix.testkit.Allocations;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Steady-state set, get (hit and miss), incr, delete and the meta commands allocate nothing on
 * the elastic thread:
 * the store and the parser work on the bytes where they lie.
 */
class MemcachedAllocationTest {

    private static final int WINDOW = 5_000;
    private static final int MEASURED = 40_000;

    // One round: eight commands pipelined, their replies read back whole.
    private static final byte[] REQUEST = ("set key:0001 5 0 10\r\n0123456789\r\n"
            + "get key:0001 key:miss\r\n"
            + "incr counter 3\r\n"
            + "delete key:0001\r\n"
            + "ms key:0002 2 T0 F1\r\nhi\r\n"
            + "mg key:0002 v f k s t h l\r\n"
            + "md a2V5OjAwMDI= b q\r\n"
            + "mn\r\n").getBytes(StandardCharsets.US_ASCII);

    @Test
    void textAndMetaCommandsAllocateZeroBytesPerRequest() throws Exception {
        try (Dataplane dataplane = Dataplane.builder().threads(1).pin(false).tcpPorts(0).name("memcached-alloc")
                .start(MemcachedServer.application());
             SocketChannel client = SocketChannel.open(
                     new InetSocketAddress(InetAddress.getLoopbackAddress(), dataplane.tcpPorts()[0]))) {
            client.socket().setTcpNoDelay(true);
            ByteBuffer out = ByteBuffer.allocateDirect(REQUEST.length);
            ByteBuffer in = ByteBuffer.allocateDirect(4096);
            out.put(REQUEST).flip();
            exchange(client, ByteBuffer.wrap("set counter 0 0 1\r\n0\r\n".getBytes(StandardCharsets.US_ASCII)),
                    in, "STORED\r\n".length());
            long eventsBefore = dataplane.counter(Counter.EVENTS);
            long[] counter = {0};
            long elastic = dataplane.elasticThreadIds()[0];
            long allocated = Allocations.steadyState(() -> rounds(client, out, in, WINDOW, counter),
                    () -> Allocations.ofThread(elastic), 2, 40, MEASURED / WINDOW);
            assertThat(dataplane.counter(Counter.EVENTS) - eventsBefore).isGreaterThanOrEqualTo(MEASURED);
            assertThat(allocated).as("bytes allocated by the elastic thread over %d rounds of 8 commands", MEASURED)
                    .isZero();
        }
    }

    private static void rounds(SocketChannel client, ByteBuffer out, ByteBuffer in, int n, long[] counter) {
        try {
            for (int i = 0; i < n; i++) {
                counter[0] += 3;
                String expect = "STORED\r\nVALUE key:0001 5 10\r\n0123456789\r\nEND\r\n" + counter[0] + "\r\nDELETED\r\n"
                        + "HD\r\nVA 2 f1 kkey:0002 s2 t-1 h0 l0\r\nhi\r\nMN\r\n";
                out.rewind();
                String got = exchange(client, out, in, expect.length());
                if (!got.equals(expect)) {
                    throw new IllegalStateException("round " + i + ": " + got);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String exchange(SocketChannel client, ByteBuffer out, ByteBuffer in, int replyLength)
            throws IOException {
        while (out.hasRemaining()) {
            client.write(out);
        }
        in.clear().limit(replyLength);
        while (in.hasRemaining()) {
            if (client.read(in) < 0) {
                throw new IllegalStateException("server closed");
            }
        }
        in.flip();
        byte[] b = new byte[replyLength];
        in.get(b);
        return new String(b, StandardCharsets.US_ASCII);
    }
}
