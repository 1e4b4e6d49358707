package io.jix.dataplane;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A running dataplane's counters in a memory-mapped file that other processes read while it runs,
 * in the manner of Aeron's CnC file. Layout (native-order, offsets in bytes):
 *
 * <pre>
 *   0  header (512): magic, version, threads, counters, buckets, pid, start time, groups,
 *                    name, the command channel's path, the topology version
 * 512  topology: threads × int state (0 parked, 1 running), then groups × int owner thread
 *                (-1 while the group moves)
 *   …  one block per elastic thread, 64-byte aligned: every {@link Counter} by ordinal, then the
 *                    batch-size histogram, all 8-byte longs
 * </pre>
 *
 * Each block has a single writer (its thread) using plain stores; readers see each long whole and
 * the values at most one loop iteration old. The topology is written rarely, by whoever moves
 * threads and groups, with volatile stores, each followed by a bump of the topology version.
 */
public final class StatsFile implements AutoCloseable {

    /** Histogram buckets: batch sizes 0 to 64, the last one for 64 and above. */
    public static final int HISTOGRAM_BUCKETS = 65;
    /** A thread's state word: parked (stopped by the control plane, or not started). */
    public static final int PARKED = 0;
    /** A thread's state word: running its loop. */
    public static final int RUNNING = 1;
    /** A flow group's owner while it moves between threads. */
    public static final int IN_TRANSIT = -1;
    /** The most flow groups the topology table holds. */
    public static final int MAX_GROUPS = 256;
    /** The most elastic threads a file holds. */
    public static final int MAX_THREADS = 256;

    private static final long MAGIC = 0x31544154_53584a4aL; // "JXSTAT1" in a native-order long
    private static final int VERSION = 3; // 3: RX_QUEUE_NANOS took RX_BACKLOG's slot
    private static final int HEADER = 512;
    private static final int NAME_OFFSET = 48;
    private static final int NAME_MAX = 128;
    private static final int CHANNEL_LENGTH = 176;
    private static final int TOPOLOGY_VERSION = 184;
    private static final int CHANNEL_OFFSET = 192;
    private static final int CHANNEL_MAX = 256;
    private static final int GROUPS = 44;
    private static final int COUNTERS = Counter.values().length;
    private static final long BLOCK = align64((long) (COUNTERS + HISTOGRAM_BUCKETS) * 8);
    private static final VarHandle LONG = JAVA_LONG.varHandle();
    private static final VarHandle INT = JAVA_INT.varHandle();

    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;
    private final int threads;
    private final int groups;
    private final long blocks;
    private final boolean owner;

    private StatsFile(Path path, Arena arena, MemorySegment segment, int threads, int groups, boolean owner) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
        this.threads = threads;
        this.groups = groups;
        this.blocks = blocksOffset(threads, groups);
        this.owner = owner;
    }

    /** Where stats files live: {@code /dev/shm/jix} when there is a /dev/shm, else the temp dir. */
    public static Path directory() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) ? shm.resolve("jix") : Path.of(System.getProperty("java.io.tmpdir"), "jix");
    }

    /** {@link #create(Path, String, long, int, int)} with one flow group per thread. */
    public static StatsFile create(Path path, String name, long pid, int threads) {
        return create(path, name, pid, threads, threads);
    }

    /**
     * Creates (replacing) the stats file of a dataplane with {@code threads} elastic threads and
     * {@code groups} flow groups. Until the dataplane says otherwise every thread is running and
     * group {@code g} belongs to thread {@code g % threads}.
     */
    public static StatsFile create(Path path, String name, long pid, int threads, int groups) {
        if (threads < 1 || threads > MAX_THREADS) {
            throw new IllegalArgumentException("threads must be 1.." + MAX_THREADS + ", got " + threads);
        }
        if (groups < 0 || groups > MAX_GROUPS) {
            throw new IllegalArgumentException("flow groups must be 0.." + MAX_GROUPS + ", got " + groups);
        }
        try {
            Files.createDirectories(path.getParent());
            long size = blocksOffset(threads, groups) + threads * BLOCK;
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
            s.set(JAVA_INT, GROUPS, groups);
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            int len = Math.min(n.length, NAME_MAX);
            s.set(JAVA_INT, 40, len);
            MemorySegment.copy(n, 0, s, JAVA_BYTE, NAME_OFFSET, len);
            for (int t = 0; t < threads; t++) {
                s.set(JAVA_INT, HEADER + t * 4L, RUNNING);
            }
            for (int g = 0; g < groups; g++) {
                s.set(JAVA_INT, HEADER + (threads + g) * 4L, g % threads);
            }
            // The magic goes last: a reader that sees it sees a complete header.
            LONG.setVolatile(s, 0L, MAGIC);
            return new StatsFile(path, arena, s, threads, groups, true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create stats file " + path, e);
        }
    }

    /** Opens another process's stats file for reading. */
    public static StatsFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            if (ch.size() < HEADER) {
                arena.close();
                throw new IOException(path + " is too small to be a jix stats file of version " + VERSION);
            }
            MemorySegment s = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            String problem = check(s);
            if (problem != null) {
                arena.close();
                throw new IOException(path + " " + problem);
            }
            return new StatsFile(path, arena, s, s.get(JAVA_INT, 12), s.get(JAVA_INT, GROUPS), false);
        } catch (IOException | RuntimeException e) {
            if (arena.scope().isAlive()) {
                arena.close();
            }
            throw e;
        }
    }

    /** Why {@code s} is not a readable stats file, or null if it is one. */
    private static String check(MemorySegment s) {
        if ((long) LONG.getVolatile(s, 0L) != MAGIC || s.get(JAVA_INT, 8) != VERSION) {
            return "is not a jix stats file of version " + VERSION;
        }
        int threads = s.get(JAVA_INT, 12);
        int groups = s.get(JAVA_INT, GROUPS);
        if (threads < 1 || threads > MAX_THREADS || groups < 0 || groups > MAX_GROUPS
                || s.get(JAVA_INT, 40) < 0 || s.get(JAVA_INT, 40) > NAME_MAX) {
            return "has a damaged header";
        }
        if (s.get(JAVA_INT, 16) != COUNTERS || s.get(JAVA_INT, 20) != HISTOGRAM_BUCKETS) {
            return "was written by a jix with other counters";
        }
        if (s.byteSize() < blocksOffset(threads, groups) + threads * BLOCK) {
            return "is truncated";
        }
        return null;
    }

    /** The file. */
    public Path path() {
        return path;
    }

    /** Number of elastic threads (running or parked). */
    public int threads() {
        return threads;
    }

    /** Number of flow groups in the topology table. */
    public int groups() {
        return groups;
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
        return (long) LONG.getOpaque(segment, blockOffset(thread) + c.ordinal() * 8L);
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
        return (long) LONG.getOpaque(segment,
                blockOffset(thread) + (COUNTERS + Math.min(size, HISTOGRAM_BUCKETS - 1)) * 8L);
    }

    /** Thread {@code thread}'s state word: {@link #PARKED} or {@link #RUNNING}. */
    public int threadState(int thread) {
        return (int) INT.getVolatile(segment, stateOffset(thread));
    }

    /** The thread that owns flow group {@code group}, or {@link #IN_TRANSIT}. */
    public int groupOwner(int group) {
        return (int) INT.getVolatile(segment, ownerOffset(group));
    }

    /** Bumped after every topology change: equal before and after a read means nothing moved in between. */
    public long topologyVersion() {
        return (long) LONG.getVolatile(segment, (long) TOPOLOGY_VERSION);
    }

    /** Publishes thread {@code thread}'s state ({@link #PARKED} or {@link #RUNNING}). */
    public void setThreadState(int thread, int state) {
        writable();
        if (state != PARKED && state != RUNNING) {
            throw new IllegalArgumentException("thread state must be PARKED (0) or RUNNING (1), got " + state);
        }
        INT.setVolatile(segment, stateOffset(thread), state);
        LONG.getAndAdd(segment, (long) TOPOLOGY_VERSION, 1L);
    }

    /** Publishes the owner of flow group {@code group}: a thread index, or {@link #IN_TRANSIT}. */
    public void setGroupOwner(int group, int owner) {
        writable();
        if (owner != IN_TRANSIT && (owner < 0 || owner >= threads)) {
            throw new IllegalArgumentException("owner must be a thread 0.." + (threads - 1) + " or -1, got " + owner);
        }
        INT.setVolatile(segment, ownerOffset(group), owner);
        LONG.getAndAdd(segment, (long) TOPOLOGY_VERSION, 1L);
    }

    /** Publishes where the dataplane's command channel listens (see {@code Commands}). */
    public void setCommandChannel(Path socket) {
        writable();
        byte[] b = socket.toString().getBytes(StandardCharsets.UTF_8);
        if (b.length > CHANNEL_MAX) {
            throw new IllegalArgumentException("command channel path longer than " + CHANNEL_MAX + " bytes: " + socket);
        }
        INT.setVolatile(segment, (long) CHANNEL_LENGTH, 0);
        MemorySegment.copy(b, 0, segment, JAVA_BYTE, CHANNEL_OFFSET, b.length);
        INT.setVolatile(segment, (long) CHANNEL_LENGTH, b.length);
    }

    /** Where the dataplane's command channel listens, or null if it has none. */
    public Path commandChannel() {
        int len = (int) INT.getVolatile(segment, (long) CHANNEL_LENGTH);
        if (len <= 0 || len > CHANNEL_MAX) {
            return null;
        }
        byte[] b = new byte[len];
        MemorySegment.copy(segment, JAVA_BYTE, CHANNEL_OFFSET, b, 0, len);
        return Path.of(new String(b, StandardCharsets.UTF_8));
    }

    /**
     * Reads every counter, histogram bucket and the topology now, without stopping the writers:
     * each long is read whole; values of one block may be up to one loop iteration apart. The
     * topology is read again until no change raced the read (at most a few tries).
     */
    public StatsSnapshot snapshot() {
        long now = System.nanoTime();
        long[][] counters = new long[threads][COUNTERS];
        long[][] histograms = new long[threads][HISTOGRAM_BUCKETS];
        for (int t = 0; t < threads; t++) {
            long base = blockOffset(t);
            for (int i = 0; i < COUNTERS; i++) {
                counters[t][i] = (long) LONG.getOpaque(segment, base + i * 8L);
            }
            for (int b = 0; b < HISTOGRAM_BUCKETS; b++) {
                histograms[t][b] = (long) LONG.getOpaque(segment, base + (COUNTERS + b) * 8L);
            }
        }
        int[] states = new int[threads];
        int[] owners = new int[groups];
        for (int attempt = 0; attempt < 4; attempt++) {
            long before = topologyVersion();
            for (int t = 0; t < threads; t++) {
                states[t] = threadState(t);
            }
            for (int g = 0; g < groups; g++) {
                owners[g] = groupOwner(g);
            }
            if (topologyVersion() == before) {
                break;
            }
        }
        return new StatsSnapshot(name(), pid(), startMillis(), now, counters, histograms, states, owners);
    }

    /**
     * The writable block of one thread: counters by ordinal, then the histogram. For the
     * dataplane's own counters only.
     */
    public MemorySegment threadBlock(int thread) {
        writable();
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

    private void writable() {
        if (!owner) {
            throw new IllegalStateException("stats file opened read-only");
        }
    }

    private long blockOffset(int thread) {
        return blocks + checkThread(thread) * BLOCK;
    }

    private long stateOffset(int thread) {
        return HEADER + checkThread(thread) * 4L;
    }

    private long ownerOffset(int group) {
        if (group < 0 || group >= groups) {
            throw new IndexOutOfBoundsException("flow group " + group + " of " + groups);
        }
        return HEADER + (threads + group) * 4L;
    }

    private int checkThread(int thread) {
        if (thread < 0 || thread >= threads) {
            throw new IndexOutOfBoundsException("thread " + thread + " of " + threads);
        }
        return thread;
    }

    private static long blocksOffset(int threads, int groups) {
        return align64(HEADER + (threads + groups) * 4L);
    }

    private static long align64(long n) {
        return (n + 63) & ~63L;
    }
}
