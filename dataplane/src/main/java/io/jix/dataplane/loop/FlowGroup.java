package io.jix.dataplane.loop;

import io.jix.api.Application;
import io.jix.api.Calls;
import io.jix.api.ElasticContext;
import io.jix.api.EventConditions;
import io.jix.dataplane.Counter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * A flow group: the unit an elastic thread owns and the control plane moves. It holds everything
 * that must stay together for a group's packets to be processed in order by one thread — the
 * backend (a NIC queue with its stack instance, its connections, its pending events), the
 * application's timers, tasks handed to it, the application's per-group half and its batch.
 * {@link #runOnce} is one pass of IX's loop body over it: tasks, timers, one batch polled and run
 * to completion, then the backend settles and transmits.
 *
 * <p>Only the owning thread touches a group. Ownership passes through {@link ElasticThread}'s
 * hand-over queues, whose release/acquire ordering makes everything the old owner wrote visible to
 * the new one; there is no lock on the data path.
 */
public final class FlowGroup implements ElasticContext {

    private static final int TASKS_PER_ITERATION = 64;
    private static final int LOGGED_EXCEPTIONS = 5;

    private final int index;
    private final int count;
    final Backend backend;
    final Counters counters;
    private final EventBatch batch;
    final TimerQueue timers;
    private final TaskQueue tasks = new TaskQueue(4096);
    private final ElasticCalls calls;
    private final Application application;
    private final Executor background;
    private final Executor elastic = this::handOver;
    private final CompletableFuture<Void> started = new CompletableFuture<>();
    private EventConditions app;
    private boolean closed;
    /** The thread running this group, or null while it moves between threads. */
    volatile ElasticThread owner;

    /**
     * @param counters the group's view of the stats file; it follows the group from thread to thread
     */
    public FlowGroup(int index, int count, int batchCap, int timerSlots, Backend backend, Counters counters,
                     Application application, Executor background) {
        this.index = index;
        this.count = count;
        this.backend = backend;
        this.counters = counters;
        this.batch = new EventBatch(batchCap);
        this.timers = new TimerQueue(index, timerSlots);
        this.calls = new ElasticCalls(backend, timers, counters);
        this.application = application;
        this.background = background;
    }

    /** Completes when the application has started on this group, or fails with why it did not. */
    public CompletableFuture<Void> started() {
        return started;
    }

    /** The elastic thread running this group now, or -1 while it is moving. */
    public int ownerIndex() {
        ElasticThread t = owner;
        return t == null ? -1 : t.index();
    }

    /** Releases the backend's resources, once: by its last owner as it stops, or by the dataplane after every thread ended. */
    public void close() {
        if (!closed) {
            closed = true;
            backend.close();
        }
    }

    /** Called by the thread that has just taken the group over. */
    void adopt(ElasticThread thread) {
        calls.bind(Thread.currentThread());
        counters.attach(thread.block());
        backend.moveEnded();
        owner = thread;
        if (app == null && !started.isDone()) {
            try {
                app = application.start(this);
                if (app == null) {
                    throw new IllegalStateException("Application.start returned null for flow group " + index);
                }
                started.complete(null);
            } catch (Throwable t) {
                started.completeExceptionally(t);
            }
        }
    }

    /** Called by the thread giving the group up, before it hands the group on. */
    void release() {
        owner = null;
        calls.bind(null);
        counters.detach();
    }

    /**
     * Runs one pass of the loop body over this group.
     *
     * @return how much work it found: tasks run plus events delivered
     */
    int runOnce(long now) {
        if (app == null) {
            return 0;
        }
        calls.now = now;
        int ran = runTasks();
        timers.expire(now, batch);
        backend.poll(batch);
        int n = batch.size();
        if (n > 0) {
            deliver(n);
        }
        return ran + n;
    }

    /** Whether tasks wait to run (a claimed but unpublished one counts). */
    boolean hasTasks() {
        return !tasks.isEmpty();
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
            System.err.println("jix: flow group " + index + ": application threw (" + consequence + "):");
            t.printStackTrace();
        } else if (Long.bitCount(seen) == 1) {
            System.err.println("jix: flow group " + index + ": " + seen + " application exceptions so far, latest: " + t);
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
            throw new RejectedExecutionException("flow group " + index + " hand-off queue is full");
        }
        // In transit (null) the new owner finds the task when it adopts the group.
        ElasticThread t = owner;
        if (t != null) {
            t.wakeIfParked();
        }
    }

    // ---- ElasticContext ----

    @Override
    public Calls calls() {
        return calls;
    }

    @Override
    public int groupIndex() {
        return index;
    }

    @Override
    public int groupCount() {
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
