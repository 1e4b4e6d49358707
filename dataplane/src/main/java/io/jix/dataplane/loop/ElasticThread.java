package io.jix.dataplane.loop;

import io.jix.api.Application;
import io.jix.api.Calls;
import io.jix.api.ElasticContext;
import io.jix.api.EventConditions;
import io.jix.dataplane.Counter;
import io.jix.dataplane.Idle;
import io.jix.sys.Affinity;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One elastic thread: owns a backend, a timer queue and the application's per-thread half, and
 * runs IX's loop on them until stopped. Each iteration runs handed-over tasks, expires timers,
 * polls the backend for at most one batch (never waiting for a batch to fill), delivers the batch
 * to the application in one pass, and lets the backend settle and transmit. An exception from
 * the application costs the connection it concerned and nothing else.
 */
public final class ElasticThread implements ElasticContext, Runnable {

    private static final int SPIN_ITERATIONS = 200;
    private static final int YIELD_ITERATIONS = 50;
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final int TASKS_PER_ITERATION = 64;
    private static final int LOGGED_EXCEPTIONS = 5;

    private final int index;
    private final int count;
    private final int cpu;
    private final Idle idle;
    private final Backend backend;
    private final Counters counters;
    private final EventBatch batch;
    private final TimerQueue timers;
    private final TaskQueue tasks = new TaskQueue(4096);
    private final ElasticCalls calls;
    private final Application application;
    private final Executor background;
    private final Executor elastic = this::handOver;
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private volatile boolean running = true;
    private volatile boolean parked;
    private volatile Thread thread;
    private EventConditions app;

    /**
     * @param cpu the CPU to pin to, or -1 to leave placement to the kernel
     */
    public ElasticThread(int index, int count, int cpu, Idle idle, int batchCap, int timerSlots, Backend backend,
                         Counters counters, Application application, Executor background) {
        this.index = index;
        this.count = count;
        this.cpu = cpu;
        this.idle = idle;
        this.backend = backend;
        this.counters = counters;
        this.batch = new EventBatch(batchCap);
        this.timers = new TimerQueue(index, timerSlots);
        this.calls = new ElasticCalls(backend, timers, counters);
        this.application = application;
        this.background = background;
    }

    /** Completes when the application has started on this thread, or fails with why it did not. */
    public CompletableFuture<Void> started() {
        return started;
    }

    /** Completes when the loop has ended and the backend is closed. */
    public CompletableFuture<Void> stopped() {
        return stopped;
    }

    /** Asks the loop to end after its current iteration. Any thread. */
    public void stop() {
        running = false;
        backend.wakeup();
    }

    /** The Java thread running this loop, once started. */
    public Thread thread() {
        return thread;
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        calls.bind(thread);
        try {
            if (cpu >= 0) {
                Affinity.pinCurrentThread(cpu);
            }
            app = application.start(this);
            if (app == null) {
                throw new IllegalStateException("Application.start returned null on elastic thread " + index);
            }
        } catch (Throwable t) {
            started.completeExceptionally(t);
            closeBackend();
            return;
        }
        started.complete(null);
        try {
            loop();
        } finally {
            closeBackend();
        }
    }

    private void loop() {
        long emptyIterations = 0;
        while (running) {
            long start = System.nanoTime();
            calls.now = start;
            int ran = runTasks();
            timers.expire(start, batch);
            long timeout = 0;
            boolean parking = false;
            if (batch.size() == 0 && ran == 0 && idle == Idle.BACKOFF
                    && emptyIterations >= SPIN_ITERATIONS + YIELD_ITERATIONS) {
                timeout = Math.clamp(timers.nextDeadline() - start, 0, MAX_PARK_NANOS);
                parking = true;
                parked = true;
                // Re-check after announcing the park: a producer that missed the flag left a task.
                if (!tasks.isEmpty() || !running) {
                    timeout = 0;
                }
            }
            backend.poll(batch, timeout);
            if (parking) {
                parked = false;
            }
            int n = batch.size();
            if (n > 0) {
                deliver(n);
            }
            long end = System.nanoTime();
            counters.increment(Counter.LOOPS);
            if (n == 0 && ran == 0) {
                counters.add(Counter.IDLE_NANOS, end - start);
                emptyIterations++;
                if (idle == Idle.SPIN || emptyIterations < SPIN_ITERATIONS) {
                    Thread.onSpinWait();
                } else if (emptyIterations < SPIN_ITERATIONS + YIELD_ITERATIONS) {
                    Thread.yield();
                }
            } else {
                counters.add(Counter.BUSY_NANOS, end - start);
                emptyIterations = 0;
            }
        }
    }

    private void deliver(int n) {
        counters.increment(Counter.BATCHES);
        counters.add(Counter.EVENTS, n);
        counters.batch(n);
        try {
            app.batchStart();
        } catch (Throwable t) {
            contained(t, "batchStart");
        }
        for (int i = 0; i < n; i++) {
            try {
                dispatch(i);
            } catch (Throwable t) {
                contain(i, t);
            }
        }
        try {
            app.batchEnd();
        } catch (Throwable t) {
            contained(t, "batchEnd");
        }
        backend.endBatch(batch);
        batch.clear();
    }

    private void dispatch(int i) {
        long h = batch.handle(i);
        switch (batch.type(i)) {
            case EventBatch.KNOCK -> {
                if (backend.isLive(h)) {
                    app.knock(h, batch.endpoint(i), batch.aux(i));
                }
            }
            case EventBatch.CONNECTED -> app.connected(batch.cookie(i), h, batch.aux(i));
            case EventBatch.RECV -> {
                if (backend.isLive(h)) {
                    app.recv(batch.cookie(i), h, batch.data(i), batch.value(i), batch.length(i));
                }
            }
            case EventBatch.SENT -> {
                if (backend.isLive(h)) {
                    app.sent(batch.cookie(i), h, batch.value(i));
                }
            }
            case EventBatch.DEAD -> {
                if (backend.isLive(h)) {
                    app.dead(batch.cookie(i), h, batch.aux(i));
                }
            }
            case EventBatch.UDP_RECV ->
                    app.udpRecv(batch.data(i), batch.value(i), batch.length(i), batch.endpoint(i), batch.aux(i));
            case EventBatch.UDP_SENT -> app.udpSent(batch.cookie(i), batch.aux(i));
            case EventBatch.TIMER -> {
                counters.increment(Counter.TIMERS);
                app.timer(batch.cookie(i), h);
            }
            default -> throw new IllegalStateException("unknown event type " + batch.type(i));
        }
    }

    private void contain(int i, Throwable t) {
        if (t instanceof OutOfMemoryError oom) {
            throw oom;
        }
        byte type = batch.type(i);
        long h = batch.handle(i);
        boolean connectionEvent = type != EventBatch.UDP_RECV && type != EventBatch.UDP_SENT && type != EventBatch.TIMER;
        if (connectionEvent && backend.isLive(h)) {
            backend.abort(h);
        }
        contained(t, connectionEvent ? "connection 0x" + Long.toHexString(h) + " reset" : "event dropped");
    }

    private void contained(Throwable t, String consequence) {
        counters.increment(Counter.APP_EXCEPTIONS);
        long seen = counters.get(Counter.APP_EXCEPTIONS);
        if (seen <= LOGGED_EXCEPTIONS) {
            System.err.println("jix: elastic thread " + index + ": application threw (" + consequence + "):");
            t.printStackTrace();
        } else if (Long.bitCount(seen) == 1) {
            System.err.println("jix: elastic thread " + index + ": " + seen + " application exceptions so far, latest: " + t);
        }
    }

    private int runTasks() {
        int ran = 0;
        Runnable task;
        while (ran < TASKS_PER_ITERATION && (task = tasks.poll()) != null) {
            ran++;
            try {
                task.run();
            } catch (Throwable t) {
                if (t instanceof OutOfMemoryError oom) {
                    throw oom;
                }
                contained(t, "task dropped");
            }
        }
        if (ran > 0) {
            counters.add(Counter.TASKS, ran);
        }
        return ran;
    }

    private void handOver(Runnable task) {
        if (!tasks.offer(task)) {
            throw new RejectedExecutionException("elastic thread " + index + " hand-off queue is full");
        }
        if (parked) {
            backend.wakeup();
        }
    }

    private void closeBackend() {
        try {
            backend.close();
        } finally {
            stopped.complete(null);
        }
    }

    // ---- ElasticContext ----

    @Override
    public Calls calls() {
        return calls;
    }

    @Override
    public int threadIndex() {
        return index;
    }

    @Override
    public int threadCount() {
        return count;
    }

    @Override
    public int[] tcpPorts() {
        return backend.tcpPorts().clone();
    }

    @Override
    public int[] udpPorts() {
        return backend.udpPorts().clone();
    }

    @Override
    public Executor elastic() {
        return elastic;
    }

    @Override
    public Executor background() {
        return background;
    }
}
