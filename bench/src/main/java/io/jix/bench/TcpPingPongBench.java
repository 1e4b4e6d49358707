package io.jix.bench;

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
 * A request-response exchange, per round trip: the peer sends a 64-byte request (acknowledging
 * the previous reply); the stack receives and validates it, delivers it, and the application,
 * from inside the {@code recv} event, returns it with {@code recvDone} and sends a 64-byte reply
 * by reference, which leaves at once carrying the ACK for the request (no separate ACK). The
 * request's ACK field frees the previous reply ({@code sent} event).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow") // JMH 1.37 still uses sun.misc.Unsafe
public class TcpPingPongBench {

    static final int MESSAGE = 64;
    static final long NANOS_PER_ROUND_TRIP = 1_000;

    TcpFixture f;

    @Setup(Level.Trial)
    public void open() {
        f = new TcpFixture();
        f.replyLength = MESSAGE;
    }

    @TearDown(Level.Trial)
    public void close() {
        try {
            f.check();
            long n = f.peer.dataSegmentsIn;
            if (f.recvEvents != n || f.replied != n * MESSAGE || f.peer.dataSegmentsOut != n
                    || f.peer.pureAcksOut != 0) {
                throw new IllegalStateException(n + " requests, " + f.recvEvents + " delivered, " + f.replied
                        + " bytes replied in " + f.peer.dataSegmentsOut + " segments, " + f.peer.pureAcksOut
                        + " pure ACKs");
            }
        } finally {
            f.close();
        }
    }

    @Benchmark
    public long roundTrip() {
        f.peer.segment(MESSAGE, f.now);
        f.step(NANOS_PER_ROUND_TRIP);
        return f.replied;
    }
}
