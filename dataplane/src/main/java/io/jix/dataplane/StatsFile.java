package io.jix.dataplane;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A running dataplane's counters in a memory-mapped file that other processes read while it runs,
 * in the manner of Aeron's CnC file: a 256-byte header, then one block per elastic thread holding
 * every {@link Counter} and the batch-size histogram as 8-byte native-order longs. Each block has
 * a single writer (its thread); readers see each long whole and the values at most one loop
 * iteration old.
 */
public final class StatsFile implements AutoCloseable {

    /** Histogram buckets: batch sizes 0 to 64, the last one for 64 and above. */
    public static final int HISTOGRAM_BUCKETS = 65;

    private static final long MAGIC = 0x31544154_53584a4aL; // "JXSTAT1" in a native-order long
    private static final int VERSION = 1;
    private static final int HEADER = 256;
    private static final int NAME_OFFSET = 48;
    private static final int NAME_MAX = 128;
    private static final int COUNTERS = Counter.values().length;
    private static final long BLOCK = align64((long) (COUNTERS + HISTOGRAM_BUCKETS) * 8);

    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;
    private final int threads;
    private final boolean owner;

    private StatsFile(Path path, Arena arena, MemorySegment segment, int threads, boolean owner) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
        this.threads = threads;
        this.owner = owner;
    }

    /** Where stats files live: {@code /dev/shm/jix} when there is a /dev/shm, else the temp dir. */
    public static Path directory() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) ? shm.resolve("jix") : Path.of(System.getProperty("java.io.tmpdir"), "jix");
    }

    /** Creates (replacing) the stats file of a dataplane with {@code threads} elastic threads. */
    public static StatsFile create(Path path, String name, long pid, int threads) {
        try {
            Files.createDirectories(path.getParent());
            long size = HEADER + threads * BLOCK;
            Arena arena = Arena.ofShared();
            MemorySegment s;
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                s = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            }
            s.fill((byte) 0);
            s.set(JAVA_INT, 8, VERSION);
            s.set(JAVA_INT, 12, threads);
            s.set(JAVA_INT, 16, COUNTERS);
            s.set(JAVA_INT, 20, HISTOGRAM_BUCKETS);
            s.set(JAVA_LONG, 24, pid);
            s.set(JAVA_LONG, 32, System.currentTimeMillis());
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            int len = Math.min(n.length, NAME_MAX);
            s.set(JAVA_INT, 40, len);
            MemorySegment.copy(n, 0, s, JAVA_BYTE, NAME_OFFSET, len);
            // The magic goes last: a reader that sees it sees a complete header.
            s.set(JAVA_LONG, 0, MAGIC);
            return new StatsFile(path, arena, s, threads, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create stats file " + path, e);
        }
    }

    /** Opens another process's stats file for reading. */
    public static StatsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            if (ch.size() < HEADER) {
                throw new IOException(path + " is too small to be a jix stats file");
            }
            MemorySegment s = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            if (s.get(JAVA_LONG, 0) != MAGIC
                    || s.get(JAVA_INT, 8) != VERSION) {
                arena.close();
                throw new IOException(path + " is not a jix stats file of version " + VERSION);
            }
            int threads = s.get(JAVA_INT, 12);
            if (s.get(JAVA_INT, 16) != COUNTERS || s.byteSize() < HEADER + threads * BLOCK) {
                arena.close();
                throw new IOException(path + " was written by a jix with other counters");
            }
            return new StatsFile(path, arena, s, threads, false);
        }
    }

    /** The file. */
    public Path path() {
        return path;
    }

    /** Number of elastic threads. */
    public int threads() {
        return threads;
    }

    /** The process that writes the file. */
    public long pid() {
        return segment.get(JAVA_LONG, 24);
    }

    /** When the dataplane started, in epoch milliseconds. */
    public long startMillis() {
        return segment.get(JAVA_LONG, 32);
    }

    /** The dataplane's name (the application it serves). */
    public String name() {
        int len = segment.get(JAVA_INT, 40);
        byte[] b = new byte[len];
        MemorySegment.copy(segment, JAVA_BYTE, NAME_OFFSET, b, 0, len);
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Counter {@code c} of thread {@code thread}. */
    public long get(int thread, Counter c) {
        return segment.get(JAVA_LONG, blockOffset(thread) + c.ordinal() * 8L);
    }

    /** Counter {@code c} summed over all threads. */
    public long sum(Counter c) {
        long total = 0;
        for (int t = 0; t < threads; t++) {
            total += get(t, c);
        }
        return total;
    }

    /** How many batches of {@code size} events thread {@code thread} has run (size 64 = 64 or more). */
    public long histogram(int thread, int size) {
        return segment.get(JAVA_LONG, blockOffset(thread) + (COUNTERS + Math.min(size, HISTOGRAM_BUCKETS - 1)) * 8L);
    }

    /**
     * The writable block of one thread: counters by ordinal, then the histogram. For the
     * dataplane's own counters only.
     */
    public MemorySegment threadBlock(int thread) {
        if (!owner) {
            throw new IllegalStateException("stats file opened read-only");
        }
        return segment.asSlice(blockOffset(thread), BLOCK);
    }

    /** Offset of the histogram within a thread block. */
    public static long histogramOffset() {
        return COUNTERS * 8L;
    }

    @Override
    public void close() {
        arena.close();
        if (owner) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException ignored) {
                // Best effort: a reader treats the file of a dead process as stale anyway.
            }
        }
    }

    private long blockOffset(int thread) {
        if (thread < 0 || thread >= threads) {
            throw new IndexOutOfBoundsException("thread " + thread + " of " + threads);
        }
        return HEADER + thread * BLOCK;
    }

    private static long align64(long n) {
        return (n + 63) & ~63L;
    }
}
