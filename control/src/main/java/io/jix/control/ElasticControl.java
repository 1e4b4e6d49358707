package io.jix.control;

import io.jix.dataplane.Dataplane;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The control loop beside one dataplane: every interval it samples the load ({@link LoadMeter}),
 * asks the {@link CorePolicy} how many elastic threads should run, and applies the answer with
 * {@link Dataplane#resize}, which moves flow groups so that the threads beyond the count own
 * none and park. It runs on its own daemon thread, never on the data path; a resize in progress
 * finishes before the next decision is applied.
 */
public final class ElasticControl implements AutoCloseable {

    /** One interval's sample and the decision taken on it, for logs, tests and benchmarks. */
    public record Step(LoadSample sample, int threads) {
    }

    private final Dataplane dataplane;
    private final CorePolicy policy;
    private final LoadMeter meter;
    private final ScheduledExecutorService timer;
    private final Consumer<Step> listener;
    private int threads; // control thread only
    private volatile long resizes;
    private long spin = -1;
    private CompletableFuture<Void> resizing = CompletableFuture.completedFuture(null);

    private ElasticControl(Dataplane dataplane, CorePolicy policy, Duration interval, Consumer<Step> listener) {
        this.dataplane = dataplane;
        this.policy = policy;
        this.listener = listener;
        this.meter = new LoadMeter(dataplane);
        this.threads = dataplane.activeThreads();
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
                .name("jix-control").factory());
        long nanos = interval.toNanos();
        timer.scheduleAtFixedRate(this::step, nanos, nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * Starts controlling {@code dataplane} with {@code policy}, deciding every {@code interval}.
     *
     * @param listener told of every step (on the control thread); may be null
     */
    public static ElasticControl start(Dataplane dataplane, CorePolicy policy, Duration interval,
                                       Consumer<Step> listener) {
        return new ElasticControl(dataplane, policy, interval, listener == null ? s -> { } : listener);
    }

    /** How many times the thread count changed. */
    public long resizes() {
        return resizes;
    }

    private void step() {
        try {
            LoadSample sample = meter.sample();
            if (!resizing.isDone()) {
                return; // groups are still moving: the sample straddles two configurations
            }
            int want = Math.clamp(policy.decide(sample), dataplane.minThreads(), dataplane.threadCount());
            long spin = policy.spinNanos(sample);
            if (spin >= 0 && spin != this.spin) {
                this.spin = spin;
                dataplane.spinNanos(spin);
            }
            if (want != threads) {
                threads = want;
                resizes++;
                resizing = dataplane.resize(want);
            }
            listener.accept(new Step(sample, want));
        } catch (RuntimeException e) {
            System.err.println("jix: control loop: " + e);
        }
    }

    /** Stops deciding; the dataplane keeps the threads it has. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
