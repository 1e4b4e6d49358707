package io.jix.apps.memcached;

import io.jix.api.Application;
import io.jix.api.ev.EvLoop;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * A memcached server (text protocol) on the ixev layer, over TCP on every backend. One
 * {@link MemcachedStore} is built here and shared by every elastic thread; each thread has its
 * own {@link EvLoop}, reply scratch space and counters. UDP is not served: memcached's UDP
 * protocol answers a small request with a large reply to an address nobody verified, the
 * amplification that made memcached off UDP by default too.
 */
public final class MemcachedServer {

    /** memcached's port. */
    public static final int DEFAULT_PORT = 11211;
    /** The version reported; a memcached version so clients that parse it are content. */
    static final String VERSION = "1.6.0-jix";

    private MemcachedServer() {
    }

    /**
     * memcached's settings that apply here.
     *
     * @param memoryMegabytes {@code -m}: the item memory, in MiB
     * @param maxConnections  {@code -c}: connections beyond this are told so and closed
     * @param itemLimit       {@code -I}: the largest value, in bytes
     */
    public record Config(long memoryMegabytes, int maxConnections, int itemLimit) {
        /** memcached's defaults: 64 MiB, 1024 connections, 1 MiB items. */
        public static Config defaults() {
            return new Config(64, 1024, 1 << 20);
        }

        /** The longest command line (without a data block) accepted. */
        static final int MAX_LINE = 2048;

        /**
         * Staging buffer size, for unconsumed input and for unsent output alike. Input needs a
         * command line (a long retrieval line is served in parts) and one delivery after it;
         * values stream into their items, and replies stream out through the ring, so neither
         * needs to fit.
         */
        int bufferSize() {
            return 64 * 1024;
        }
    }

    /** The application with memcached's defaults and the wall clock. */
    public static Application application() {
        return application(Config.defaults());
    }

    /** The application with the given settings and the wall clock. */
    public static Application application(Config config) {
        return application(config, System::currentTimeMillis);
    }

    /** The application; {@code clock} (ms since the epoch) drives expiry. */
    public static Application application(Config config, LongSupplier clock) {
        return application(config, new MemcachedStore(config.memoryMegabytes() << 20, config.itemLimit(), clock), clock);
    }

    /** The application over a store made by the caller (tests look into it). */
    static Application application(Config config, MemcachedStore store, LongSupplier clock) {
        Shared shared = new Shared(config, store, clock);
        return context -> {
            Worker worker = new Worker(shared);
            shared.workers.add(worker);
            return new EvLoop(context, (remote, port) -> new MemcachedConnection(worker), null, config.bufferSize());
        };
    }

    /** What every elastic thread shares. */
    static final class Shared {
        final Config config;
        final MemcachedStore store;
        final LongSupplier clock;
        final long started;
        final AtomicInteger connections = new AtomicInteger();
        final AtomicInteger totalConnections = new AtomicInteger();
        final CopyOnWriteArrayList<Worker> workers = new CopyOnWriteArrayList<>();

        Shared(Config config, MemcachedStore store, LongSupplier clock) {
            this.config = config;
            this.store = store;
            this.clock = clock;
            this.started = clock.getAsLong();
        }
    }

    /** One elastic thread's scratch space and counters. */
    static final class Worker {
        final Shared shared;
        final MemcachedStore store;
        /** Part of a value copied out of the store (at most an output ring's worth), or digits. */
        final MemorySegment value;
        /** Reply lines. */
        final MemorySegment line = Arena.ofAuto().allocate(8192, 64);
        final MemcachedStore.Found found = new MemcachedStore.Found();
        final MetaFlags meta = new MetaFlags();
        final long[] stats = new long[Stat.values().length];
        // Token positions of the current command line, relative to the segment's start.
        final long[] tokenAt = new long[MemcachedConnection.MAX_TOKENS];
        final int[] tokenLength = new int[MemcachedConnection.MAX_TOKENS];

        Worker(Shared shared) {
            this.shared = shared;
            this.store = shared.store;
            this.value = Arena.ofAuto().allocate(shared.config.bufferSize() + 64L, 64);
        }
    }

    /** Per-thread counters reported by {@code stats}. */
    enum Stat {
        cmd_get, cmd_set, cmd_flush, cmd_touch, get_hits, get_misses, delete_misses, delete_hits,
        incr_misses, incr_hits, decr_misses, decr_hits, cas_misses, cas_hits, cas_badval, touch_hits, touch_misses,
        bytes_read, bytes_written, rejected_connections
    }
}
