package io.jix.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The send path, per full-sized segment: the application {@code send}s 1448 bytes of native
 * memory by reference; the stack writes the TCP header with timestamps, copies the payload into
 * a fresh frame, checksums it, writes IPv4 and Ethernet and hands the frame to the queue. Then
 * one loop iteration ({@code NetStack.poll} + {@code TcpLayer.poll}) runs; every second
 * iteration it finds the peer's pure ACK for the last two segments (as Linux's delayed ACK
 * sends them), which the stack validates and applies: {@code sent} event, the referenced data
 * released, an RTT sample from the echoed timestamp, congestion window growth, the
 * retransmission timer cancelled. The window never closes, so every op sends a segment.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow") // JMH 1.37 still uses sun.misc.Unsafe
public class TcpSendBench {

    static final int PAYLOAD = 1448;
    /** The application's send buffer: this many segments' worth, reused round-robin (at most two are in flight). */
    static final int RING = 64;
    static final long NANOS_PER_SEGMENT = 1_000;

    TcpFixture f;
    Arena arena;
    MemorySegment data;
    long offset;
    long sends;

    @Setup(Level.Trial)
    public void open() {
        f = new TcpFixture();
        arena = Arena.ofShared();
        data = arena.allocate((long) PAYLOAD * RING, 64);
        for (long i = 0; i < data.byteSize(); i++) {
            data.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 13));
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        try {
            f.check();
            if (f.peer.dataSegmentsOut != sends || f.peer.bytesOut != sends * PAYLOAD) {
                throw new IllegalStateException(sends + " sends, " + f.peer.dataSegmentsOut + " segments out ("
                        + f.peer.bytesOut + " bytes)");
            }
            if (f.acknowledged < f.peer.bytesOut - 2L * PAYLOAD) {
                throw new IllegalStateException("only " + f.acknowledged + " of " + f.peer.bytesOut
                        + " bytes acknowledged");
            }
        } finally {
            f.close();
            arena.close();
        }
    }

    @Benchmark
    public int segment() {
        int took = f.tcp.send(f.conn, data, offset, PAYLOAD);
        if (took != PAYLOAD) {
            throw new IllegalStateException("send took " + took + " of " + PAYLOAD + " bytes");
        }
        offset = offset + PAYLOAD == data.byteSize() ? 0 : offset + PAYLOAD;
        if ((++sends & 1) == 0) {
            f.peer.segment(0, f.now);
        }
        f.step(NANOS_PER_SEGMENT);
        return took;
    }
}
