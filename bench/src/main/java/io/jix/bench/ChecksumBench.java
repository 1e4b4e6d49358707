package io.jix.bench;

import io.jix.stack.Checksum;
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

/** The Internet checksum over 1460 bytes of native memory (a full TCP segment with a 20-byte header), in cache. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--sun-misc-unsafe-memory-access=allow") // JMH 1.37 still uses sun.misc.Unsafe
public class ChecksumBench {

    static final int LENGTH = 1460;

    Arena arena;
    MemorySegment data;

    @Setup(Level.Trial)
    public void open() {
        arena = Arena.ofShared();
        data = arena.allocate(LENGTH, 64);
        for (int i = 0; i < LENGTH; i++) {
            data.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 131 + 17));
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        arena.close();
    }

    @Benchmark
    public int checksum1460() {
        return Checksum.of(data, 0, LENGTH);
    }
}
