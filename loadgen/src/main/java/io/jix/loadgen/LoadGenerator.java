package io.jix.loadgen;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * A closed-loop TCP load generator over plain Java NIO: {@code connections} connections spread over
 * {@code threads} threads, each thread with one {@link java.nio.channels.Selector}; every connection
 * keeps up to {@code depth} requests in flight (pipelined) and sends the next one as soon as a reply
 * comes back — or, with a {@code rate}, when the next request is due (latency then counts from when
 * it was due, so a server that falls behind shows it). Latency is recorded per thread in an
 * HdrHistogram and merged at the end.
 *
 * <p>A run is bounded twice: in time (warm-up plus duration) and in count ({@code maxRequests}
 * sent in all); it stops by itself. Replies that complete during the warm-up are not counted.
 * Steady state allocates nothing: buffers are direct and made at connect time.
 */
public final class LoadGenerator {

    /** Longest latency the histograms hold (longer ones are recorded as this). */
    public static final long MAX_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(100);
    /** Longest run accepted (warm-up plus duration). */
    public static final Duration MAX_RUN = Duration.ofHours(1);

    /**
     * One run.
     *
     * @param target         server address; loopback or 198.18.0.0/15 only ({@link Targets})
     * @param connections    TCP connections in all
     * @param threads        generator threads (at most {@code connections}); connection {@code i} is on thread {@code i % threads}
     * @param depth          requests in flight per connection
     * @param warmup         time before measuring
     * @param duration       time measured
     * @param maxRequests    most requests sent in all (the count bound)
     * @param rate           requests per second over all connections; 0: as fast as replies come back
     * @param connectTimeout how long connecting may take
     */
    public record Config(InetSocketAddress target, int connections, int threads, int depth, Duration warmup,
                         Duration duration, long maxRequests, double rate, Duration connectTimeout) {
        /** Checks every bound. */
        public Config {
            if (target.isUnresolved()) {
                throw new IllegalArgumentException("unresolved address: " + target);
            }
            Targets.check(target.getAddress());
            if (connections < 1 || connections > 1_000_000) {
                throw new IllegalArgumentException("connections must be 1..1000000, got " + connections);
            }
            if (threads < 1 || threads > connections) {
                throw new IllegalArgumentException("threads must be 1.." + connections + " (one connection each at"
                        + " least), got " + threads);
            }
            if (depth < 1 || depth > 4096) {
                throw new IllegalArgumentException("depth must be 1..4096, got " + depth);
            }
            if (warmup.isNegative() || duration.isNegative() || duration.isZero()
                    || warmup.plus(duration).compareTo(MAX_RUN) > 0) {
                throw new IllegalArgumentException("need warmup >= 0, duration > 0 and both together at most "
                        + MAX_RUN.toMinutes() + " min; got warmup " + warmup + ", duration " + duration);
            }
            if (maxRequests < connections) {
                throw new IllegalArgumentException("maxRequests must be at least one per connection, got "
                        + maxRequests);
            }
            if (!(rate >= 0) || Double.isInfinite(rate)) {
                throw new IllegalArgumentException("rate must be >= 0 (0: closed loop), got " + rate);
            }
            if (connectTimeout.isNegative() || connectTimeout.isZero()) {
                throw new IllegalArgumentException("connectTimeout must be positive");
            }
        }

        /** A closed-loop run with a 5 s connect timeout and no count bound beyond {@code maxRequests}. */
        public static Config closedLoop(InetSocketAddress target, int connections, int threads, int depth,
                                        Duration warmup, Duration duration, long maxRequests) {
            return new Config(target, connections, threads, depth, warmup, duration, maxRequests, 0,
                    Duration.ofSeconds(5));
        }
    }

    /**
     * What a run measured.
     *
     * @param workload          the workload's name
     * @param config            how it ran
     * @param requests          replies completed in the measured window (mismatched ones included)
     * @param seconds           length of the measured window (shorter than asked when the count bound stopped it)
     * @param errors            replies that did not match their request, plus garbage
     * @param lostConnections   connections that closed, reset or sent garbage during the run
     * @param sent              requests sent, warm-up included
     * @param stoppedByCount    whether {@code maxRequests} ended the run before its time
     * @param latency           round-trip times of the measured replies, in nanoseconds
     */
    public record Result(String workload, Config config, long requests, double seconds, long errors,
                         int lostConnections, long sent, boolean stoppedByCount, Histogram latency) {

        /** Replies per second over the measured window. */
        public double requestsPerSecond() {
            return seconds > 0 ? requests / seconds : 0;
        }

        /** Latency at {@code percentile} (0..100), in microseconds; 0 without samples. */
        public double micros(double percentile) {
            return latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(percentile) / 1e3;
        }

        /** Mean latency in microseconds. */
        public double meanMicros() {
            return latency.getTotalCount() == 0 ? 0 : latency.getMean() / 1e3;
        }

        /** Largest latency in microseconds. */
        public double maxMicros() {
            return latency.getTotalCount() == 0 ? 0 : latency.getMaxValue() / 1e3;
        }
    }

    private LoadGenerator() {
    }

    /**
     * Connects, warms up, measures, closes; returns what it measured.
     *
     * @throws IllegalStateException when the connections could not all be made (the message says why)
     */
    public static Result run(Config config, Workload workload) throws InterruptedException {
        return run(config, workload, Pacing.constant(config), null);
    }

    /** Receives each measured second's latencies while a run goes on (on the thread that called run). */
    @FunctionalInterface
    interface SecondListener {
        /** Second {@code index} (1, 2, ...) of the measured window has ended; {@code latency} is reused after the call. */
        void second(int index, Histogram latency);
    }

    static Result run(Config config, Workload workload, Pacing pacing, SecondListener listener)
            throws InterruptedException {
        int threads = config.threads();
        CountDownLatch connected = new CountDownLatch(threads);
        Driver.Start start = new Driver.Start();
        List<Driver> drivers = new ArrayList<>(threads);
        List<Thread> running = new ArrayList<>(threads);
        long perConnection = config.maxRequests() / config.connections();
        for (int t = 0; t < threads; t++) {
            int mine = config.connections() / threads + (t < config.connections() % threads ? 1 : 0);
            int[] ids = new int[mine];
            for (int k = 0; k < mine; k++) {
                ids[k] = t + k * threads;
            }
            Driver d = new Driver(config, workload, pacing, ids, perConnection, connected, start);
            drivers.add(d);
            Thread th = Thread.ofPlatform().name("loadgen-" + t).daemon().unstarted(d);
            running.add(th);
        }
        running.forEach(Thread::start);
        long connectWait = config.connectTimeout().toMillis() + 5_000;
        boolean allIn = connected.await(connectWait, TimeUnit.MILLISECONDS);
        String failure = null;
        for (Driver d : drivers) {
            if (d.connectFailure() != null) {
                failure = d.connectFailure();
                break;
            }
        }
        if (!allIn && failure == null) {
            failure = "connecting took longer than " + connectWait + " ms";
        }
        long t0 = System.nanoTime();
        long measureFrom = t0 + config.warmup().toNanos();
        long end = measureFrom + config.duration().toNanos();
        start.go(failure == null, t0, measureFrom, end);
        Histogram all = new Histogram(MAX_LATENCY_NANOS, 3);
        if (listener != null && failure == null) {
            reportSeconds(drivers, measureFrom, end, listener, all);
        }
        long joinBy = end + TimeUnit.SECONDS.toNanos(10);
        for (Thread th : running) {
            long left = Math.max(1, (joinBy - System.nanoTime()) / 1_000_000);
            th.join(left);
            if (th.isAlive()) {
                throw new IllegalStateException(th.getName() + " did not stop 10 s after the run's end");
            }
        }
        if (failure != null) {
            throw new IllegalStateException("could not connect to " + config.target().getAddress().getHostAddress()
                    + ":" + config.target().getPort() + ": " + failure);
        }
        long requests = 0;
        long errors = 0;
        long sent = 0;
        int lost = 0;
        long stoppedAt = measureFrom;
        boolean byCount = false;
        for (Driver d : drivers) {
            all.add(d.intervalHistogram(null));
            requests += d.completed();
            errors += d.errors();
            sent += d.sent();
            lost += d.lost();
            stoppedAt = Math.max(stoppedAt, Math.min(end, d.stoppedAt()));
            byCount |= d.stoppedByCount();
        }
        double seconds = (stoppedAt - measureFrom) / 1e9;
        return new Result(workload.name(), config, requests, seconds, errors, lost, sent, byCount, all);
    }

    /**
     * Until the run ends: at each whole second after {@code measureFrom}, hands that second's
     * latencies on (empty seconds too, should every driver have stopped early).
     */
    private static void reportSeconds(List<Driver> drivers, long measureFrom, long end,
                                      SecondListener listener, Histogram all) throws InterruptedException {
        Histogram second = new Histogram(MAX_LATENCY_NANOS, 3);
        Histogram recycle = null;
        long oneSecond = TimeUnit.SECONDS.toNanos(1);
        for (int k = 1; measureFrom + k * oneSecond - end <= 0; k++) {
            long due = measureFrom + k * oneSecond;
            for (long left = due - System.nanoTime(); left > 0; left = due - System.nanoTime()) {
                TimeUnit.NANOSECONDS.sleep(left);
            }
            second.reset();
            for (Driver d : drivers) {
                recycle = d.intervalHistogram(recycle);
                second.add(recycle);
            }
            all.add(second);
            listener.second(k, second);
        }
    }
}
