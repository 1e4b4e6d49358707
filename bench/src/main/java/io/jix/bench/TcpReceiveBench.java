package io.jix.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The receive path, per full-sized segment: the peer puts one in-order 1448-byte segment (with
 * timestamps) in the queue; {@code NetStack.poll} takes it, checks Ethernet, IPv4 (header
 * checksum) and TCP (checksum over the whole segment), the connection's state machine accepts it
 * and delivers it as a {@code recv} event, the application returns it with {@code recvDone} (the
 * frame goes back to the pool), and the stack sends a pure ACK for every second segment (its
 * delayed-ACK rule), which the peer reads.
 *
 * <ul>
 *   <li>{@link #segment}: one segment per loop iteration (a poll that finds one frame);
 *   <li>{@link #burst32}: 32 segments per poll, as a loaded elastic thread sees them (score per segment);
 *   <li>{@link #segmentChecksumOffloaded}: as {@link #segment}, but the stack is told the NIC
 *       verified the TCP checksum ({@code NetStackConfig.rxChecksumVerified}), so it skips the
 *       one pass over the payload; this is what receive checksum offload would save;
 *   <li>{@link #peerOnly}: what the peer costs alone (write the frame, hand it over, free it),
 *       to subtract from the others.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow") // JMH 1.37 still uses sun.misc.Unsafe
public class TcpReceiveBench {

    /** Payload of a full-sized segment: MSS 1460 less 12 bytes of timestamps. */
    static final int PAYLOAD = 1448;
    static final int BURST = 32;
    /** Virtual time per segment: 1 µs, about 12 Gbit/s of 1514-byte frames. */
    static final long NANOS_PER_SEGMENT = 1_000;

    TcpFixture f;

    @Setup(Level.Trial)
    public void open() {
        f = new TcpFixture();
    }

    @TearDown(Level.Trial)
    public void close() {
        checkAndClose(f);
    }

    /** The connection of {@link #segmentChecksumOffloaded}: a stack that trusts the NIC's TCP checksum check. */
    @State(Scope.Thread)
    public static class Offloaded {
        TcpFixture f;

        @Setup(Level.Trial)
        public void open() {
            f = new TcpFixture(true);
        }

        @TearDown(Level.Trial)
        public void close() {
            checkAndClose(f);
        }
    }

    static void checkAndClose(TcpFixture f) {
        try {
            f.check();
            if (f.recvEvents != f.peer.dataSegmentsIn || f.received != (long) PAYLOAD * f.recvEvents) {
                throw new IllegalStateException("sent " + f.peer.dataSegmentsIn + " segments, delivered "
                        + f.recvEvents + " (" + f.received + " bytes)");
            }
        } finally {
            f.close();
        }
    }

    @Benchmark
    public long segment() {
        f.peer.segment(PAYLOAD, f.now);
        f.step(NANOS_PER_SEGMENT);
        return f.received;
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public long burst32() {
        for (int i = 0; i < BURST; i++) {
            f.peer.segment(PAYLOAD, f.now);
        }
        f.step(BURST * NANOS_PER_SEGMENT);
        return f.received;
    }

    @Benchmark
    public long segmentChecksumOffloaded(Offloaded o) {
        o.f.peer.segment(PAYLOAD, o.f.now);
        o.f.step(NANOS_PER_SEGMENT);
        return o.f.received;
    }

    @Benchmark
    public long peerOnly() {
        f.peer.segment(PAYLOAD, f.now);
        f.queue.discard();
        f.peer.rewind(PAYLOAD);
        return f.peer.seq();
    }
}
