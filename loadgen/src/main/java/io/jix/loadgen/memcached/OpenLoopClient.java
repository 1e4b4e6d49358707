package io.jix.loadgen.memcached;

import io.jix.loadgen.LoadGenerator;
import io.jix.loadgen.Targets;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * An open-loop memcached load generator in the manner of mutilate: {@code connections} TCP
 * connections over {@code threads} NIO selector threads; in each rate step every connection sends
 * on its own {@link PoissonSchedule} at {@code rate / connections}, pipelining whenever requests
 * fall due before earlier ones are answered (memcached answers in order), and each latency is
 * measured from when the request was due — so a server (or a client) that falls behind shows as
 * latency instead of as fewer requests (no coordinated omission).
 *
 * <p>Use: {@link #connect}, {@link #preload} (SETs every key, so GETs hit), then {@link #step} per
 * rate, then {@link #close}. Every phase is bounded in time and stops by itself.
 */
public final class OpenLoopClient implements AutoCloseable {

    /**
     * How the client connects.
     *
     * @param target         server address; loopback or 198.18.0.0/15 only ({@link Targets})
     * @param connections    TCP connections in all
     * @param threads        client threads (selectors); connection {@code i} is on thread {@code i % threads}
     * @param mix            the workload
     * @param seed           seeds every connection's schedule and choices
     * @param connectTimeout how long each connection may take to connect
     */
    public record Config(InetSocketAddress target, int connections, int threads, KeyValueMix mix, long seed,
                         Duration connectTimeout) {
        /** Checks every bound. */
        public Config {
            if (target.isUnresolved()) {
                throw new IllegalArgumentException("unresolved address: " + target);
            }
            Targets.check(target.getAddress());
            if (connections < 1 || connections > 10_000) {
                throw new IllegalArgumentException("connections must be 1..10000, got " + connections);
            }
            if (threads < 1 || threads > connections) {
                throw new IllegalArgumentException("threads must be 1.." + connections + ", got " + threads);
            }
        }
    }

    /** The server's CPU meters for a step: the reported one, its source's name, and the process's. */
    public record ServerCpu(CpuMeter meter, String source, CpuMeter process) {
        /** No meters. */
        public static final ServerCpu NONE = new ServerCpu(CpuMeter.NONE, "none", CpuMeter.NONE);
    }

    private final Config config;
    private final OpenLoopDriver[] drivers;
    private final CpuMeter self = ProcessCpu.self();
    private int steps;

    private OpenLoopClient(Config config, OpenLoopDriver[] drivers) {
        this.config = config;
        this.drivers = drivers;
    }

    /**
     * Opens every connection.
     *
     * @throws IllegalStateException when one cannot be made (the message says why)
     */
    public static OpenLoopClient connect(Config config) {
        int threads = config.threads();
        List<List<OpenLoopDriver.Conn>> byThread = new ArrayList<>();
        List<Selector> selectors = new ArrayList<>();
        List<SocketChannel> opened = new ArrayList<>();
        int tx = 64 * 1024 + TextProtocol.maxRequestBytes(config.mix());
        int rx = Math.max(64 * 1024, 4 * TextProtocol.maxReplyBytes(config.mix()));
        try {
            for (int t = 0; t < threads; t++) {
                selectors.add(Selector.open());
                byThread.add(new ArrayList<>());
            }
            for (int i = 0; i < config.connections(); i++) {
                SocketChannel ch = SocketChannel.open();
                opened.add(ch);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.socket().connect(config.target(), (int) Math.max(1, config.connectTimeout().toMillis()));
                ch.configureBlocking(false);
                OpenLoopDriver.Conn c = new OpenLoopDriver.Conn(i, ch, config.seed() * 31 + i, tx, rx);
                ch.register(selectors.get(i % threads), SelectionKey.OP_READ, c);
                byThread.get(i % threads).add(c);
            }
        } catch (IOException | RuntimeException e) {
            for (SocketChannel ch : opened) {
                closeQuietly(ch);
            }
            for (Selector s : selectors) {
                closeQuietly(s);
            }
            throw new IllegalStateException("could not connect to " + config.target().getAddress().getHostAddress()
                    + ":" + config.target().getPort() + ": " + (e.getMessage() == null ? e : e.getMessage()), e);
        }
        OpenLoopDriver[] drivers = new OpenLoopDriver[threads];
        for (int t = 0; t < threads; t++) {
            drivers[t] = new OpenLoopDriver(config.mix(), config.connections(), selectors.get(t),
                    byThread.get(t).toArray(OpenLoopDriver.Conn[]::new));
        }
        return new OpenLoopClient(config, drivers);
    }

    /** The configuration. */
    public Config config() {
        return config;
    }

    /**
     * SETs every key of the key space once (each connection its share, 64 in flight), within
     * {@code limit}.
     *
     * @return keys stored
     * @throws IllegalStateException when a SET failed or the time ran out (the message says which)
     */
    public long preload(Duration limit) throws InterruptedException {
        long start = System.nanoTime();
        long end = start + limit.toNanos();
        runPhase(new OpenLoopDriver.Phase(true, start, start, end, end, 0, config.seed()), end);
        long stored = 0;
        long errors = 0;
        String first = null;
        for (OpenLoopDriver d : drivers) {
            stored += d.stored;
            errors += d.errors;
            first = first != null ? first : d.firstError;
        }
        if (errors > 0 || stored < config.mix().keys()) {
            throw new IllegalStateException("preload stored " + stored + " of " + config.mix().keys() + " keys in "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms" + (errors > 0 ? ", " + errors
                    + " errors, the first: " + first : ""));
        }
        return stored;
    }

    /**
     * One rate step: schedules {@code rate} requests per second for {@code warmup + duration},
     * measures the last {@code duration}, then waits up to {@code drain} for replies still owed.
     * The server's CPU meters are read at the start and the end of the measured window.
     */
    public StepResult step(double rate, Duration warmup, Duration duration, Duration drain, ServerCpu cpu)
            throws InterruptedException {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("rate must be positive, got " + rate);
        }
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
        long measureFrom = start + warmup.toNanos();
        long end = measureFrom + duration.toNanos();
        long drainBy = end + drain.toNanos();
        OpenLoopDriver.Phase phase = new OpenLoopDriver.Phase(false, start, measureFrom, end, drainBy,
                rate / config.connections(), config.seed() + ++steps);
        long[] before = new long[3];
        long[] after = new long[3];
        List<Thread> running = start(phase);
        sleepUntil(measureFrom);
        sample(cpu, before);
        sleepUntil(end);
        sample(cpu, after);
        join(running, drainBy);
        Histogram all = new Histogram(LoadGenerator.MAX_LATENCY_NANOS, 3);
        long inWindow = 0;
        long errors = 0;
        long lost = 0;
        long late = 0;
        long gets = 0;
        long hits = 0;
        long sets = 0;
        long busy = 0;
        for (OpenLoopDriver d : drivers) {
            busy += d.busyNanos;
            all.add(d.latency);
            inWindow += d.inWindow;
            errors += d.errors;
            lost += d.lost;
            late += d.late;
            gets += d.gets;
            hits += d.hits;
            sets += d.sets;
        }
        double seconds = duration.toNanos() / 1e9;
        return new StepResult(rate, inWindow / seconds, seconds, all.getTotalCount(), micros(all, 50),
                micros(all, 90), micros(all, 99), micros(all, 99.9), all.getTotalCount() == 0 ? 0
                : all.getMaxValue() / 1e3, errors, lost, late, gets, hits, sets,
                perRequest(before[0], after[0], inWindow), cpu.source(), perRequest(before[1], after[1], inWindow),
                perRequest(before[2], after[2], inWindow), busy / (double) duration.toNanos() / drivers.length,
                config.connections(), config.threads());
    }

    /** The first error message of the last phase, or {@code null}. */
    public String firstError() {
        for (OpenLoopDriver d : drivers) {
            if (d.firstError != null) {
                return d.firstError;
            }
        }
        return null;
    }

    @Override
    public void close() {
        for (OpenLoopDriver d : drivers) {
            d.close();
        }
    }

    private void runPhase(OpenLoopDriver.Phase phase, long deadline) throws InterruptedException {
        join(start(phase), deadline);
    }

    private List<Thread> start(OpenLoopDriver.Phase phase) {
        List<Thread> running = new ArrayList<>(drivers.length);
        for (int t = 0; t < drivers.length; t++) {
            OpenLoopDriver d = drivers[t];
            running.add(Thread.ofPlatform().name("loadgen-mc-" + t).daemon().start(() -> d.run(phase)));
        }
        return running;
    }

    private static void join(List<Thread> running, long deadline) throws InterruptedException {
        long joinBy = deadline + TimeUnit.SECONDS.toNanos(10);
        for (Thread th : running) {
            th.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinBy - System.nanoTime())));
            if (th.isAlive()) {
                throw new IllegalStateException(th.getName() + " did not stop 10 s after its phase's end");
            }
        }
    }

    private void sample(ServerCpu cpu, long[] into) {
        into[0] = cpu.meter().nanos();
        into[1] = cpu.process().nanos();
        into[2] = self.nanos();
    }

    private static double perRequest(long before, long after, long requests) {
        return before < 0 || after < 0 || requests == 0 ? -1 : (double) (after - before) / requests;
    }

    private static double micros(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1e3;
    }

    private static void sleepUntil(long deadline) throws InterruptedException {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // best effort
        }
    }
}
