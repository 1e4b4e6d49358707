package io.jix.dataplane.loop;

import static io.jix.sys.Net.EFD_CLOEXEC;
import static io.jix.sys.Net.EFD_NONBLOCK;
import static io.jix.sys.Net.EPOLLIN;
import static io.jix.sys.Net.EPOLL_CTL_ADD;
import static io.jix.sys.Net.EPOLL_CTL_DEL;

import io.jix.dataplane.Counter;
import io.jix.dataplane.Idle;
import io.jix.sys.Affinity;
import io.jix.sys.EpollEvents;
import io.jix.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * One elastic thread: runs IX's loop over the flow groups it owns until stopped. Each iteration
 * takes over groups handed to it, gives up groups the control plane moved away, then runs each
 * owned group once ({@link FlowGroup#runOnce}: tasks, timers, one batch to completion, transmit).
 * When nothing happened for a while it parks in one {@code epoll_wait} over all its groups'
 * readiness descriptors; a thread that owns no group parks until it is given one, and costs no CPU.
 *
 * <p>Migration: the control plane asks the owner to release a group ({@link #requestRelease}). The
 * owner does it between two iterations — no batch is open then, and the group's NIC queue keeps
 * buffering whatever arrives meanwhile — and passes the group to the target thread's arrival queue,
 * whose release/acquire ordering publishes every write. Only one thread ever polls a queue at a
 * time, so no packet is reordered, and no packet is dropped unless its ring overflows during the
 * few microseconds of the hand-over.
 */
public final class ElasticThread implements Runnable {

    /**
     * How long an idle thread keeps polling before it parks (backoff). Long enough to catch the
     * next request of a busy connection without a wake-up; short enough that a lightly loaded
     * thread sleeps most of the time. No yield phase: on a shared CPU a yield hands the core away
     * for a whole time slice, and costs a syscall per try.
     */
    public static final long SPIN_NANOS = 20_000;
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    private static final long WAKE_TAG = -1;

    /** A request to move {@code group} to {@code target}; {@code done} completes once the target owns it. */
    public record Move(FlowGroup group, ElasticThread target, long deadlineNanos, CompletableFuture<Void> done) {
    }

    private final int index;
    private final int cpu;
    private final Idle idle;
    private final Counters counters;
    private final Topology topology;
    private final List<FlowGroup> groups = new ArrayList<>();
    private final ConcurrentLinkedQueue<Move> arrivals = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Move> departures = new ConcurrentLinkedQueue<>();
    private final List<Move> waiting = new ArrayList<>(); // departures held back until the group is quiescent
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private final Syscalls sys = new Syscalls();
    private final Syscalls wakeSys = new Syscalls(); // wakers on other threads share it; they all write the same value
    private final Arena arena = Arena.ofShared();
    private final EpollEvents events = new EpollEvents(arena, 16);
    private final int epfd;
    private final int wakeFd;
    private volatile boolean running = true;
    private volatile boolean parked;
    private volatile long spinNanos = SPIN_NANOS;
    private volatile Thread thread;
    private int next; // the group the next iteration starts with, so none is always last

    /**
     * @param cpu the CPU to pin to, or -1 to leave placement to the kernel
     * @param counters this thread's block of the stats file
     * @param topology where it publishes the groups it takes and gives up
     */
    public ElasticThread(int index, int cpu, Idle idle, Counters counters, Topology topology) {
        this.index = index;
        this.cpu = cpu;
        this.idle = idle;
        this.counters = counters;
        this.topology = topology;
        this.epfd = sys.epollCreate();
        this.wakeFd = sys.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        sys.epollCtl(epfd, EPOLL_CTL_ADD, wakeFd, EPOLLIN, WAKE_TAG);
    }

    /** This thread's index in its dataplane. */
    public int index() {
        return index;
    }

    /** Completes when the loop has ended. */
    public CompletableFuture<Void> stopped() {
        return stopped;
    }

    /** The Java thread running this loop, once started. */
    public Thread thread() {
        return thread;
    }

    /** Asks the loop to end after its current iteration. Any thread. */
    public void stop() {
        running = false;
        wake();
    }

    /** Gives this thread a group that no thread runs yet (before or after it started). Any thread. */
    public void assign(FlowGroup group, CompletableFuture<Void> done) {
        arrivals.offer(new Move(group, this, 0, done));
        wakeIfParked();
    }

    /** Asks this thread, the group's owner, to hand {@code move.group()} to {@code move.target()}. Any thread. */
    public void requestRelease(Move move) {
        departures.offer(move);
        wakeIfParked();
    }

    /**
     * How long the thread keeps polling after its last work before it parks, with backoff idling.
     * The control plane sets it: 0 at light load, where sleeping between requests saves the CPU
     * that polling would burn; {@link #SPIN_NANOS} under load. Any thread.
     */
    public void spinNanos(long nanos) {
        spinNanos = Math.max(0, nanos);
    }

    MemorySegment block() {
        return counters.block();
    }

    void wakeIfParked() {
        if (parked) {
            wake();
        }
    }

    private void wake() {
        wakeSys.eventfdWrite(wakeFd, 1);
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        try {
            if (cpu >= 0) {
                Affinity.pinCurrentThread(cpu);
            }
            loop();
        } finally {
            // Closed here, on the thread that made their checked views; the dataplane closes the rest.
            for (FlowGroup g : groups) {
                try {
                    g.close();
                } catch (RuntimeException e) {
                    System.err.println("jix: closing flow group " + g.groupIndex() + " failed: " + e);
                }
            }
            groups.clear();
            failWaiting();
            sys.close(wakeFd);
            sys.close(epfd);
            arena.close();
            stopped.complete(null);
        }
    }

    private void loop() {
        long lastWork = System.nanoTime();
        while (running) {
            long start = System.nanoTime();
            int work = 0;
            if (!arrivals.isEmpty()) {
                work += adoptArrivals();
            }
            if (!departures.isEmpty() || !waiting.isEmpty()) {
                work += releaseDepartures(start);
            }
            int n = groups.size();
            int first = next < n ? next : 0;
            next = first + 1;
            for (int k = 0; k < n; k++) {
                int i = first + k;
                work += groups.get(i < n ? i : i - n).runOnce(start);
            }
            long end = System.nanoTime();
            counters.increment(Counter.LOOPS);
            if (work > 0) {
                counters.add(Counter.BUSY_NANOS, end - start);
                lastWork = end;
                continue;
            }
            if (n == 0) {
                park(end, true);
                end = System.nanoTime();
            } else if (idle == Idle.SPIN || end - lastWork < spinNanos) {
                Thread.onSpinWait();
            } else {
                park(end, false);
                end = System.nanoTime();
            }
            counters.add(Counter.IDLE_NANOS, end - start);
        }
    }

    /** Waits in the kernel until a group's descriptor is ready, a timer is due, or someone wakes us. */
    private void park(long now, boolean noGroups) {
        long timeout = MAX_PARK_NANOS;
        for (int i = 0; i < groups.size(); i++) { // indexed: an iterator would allocate on this path
            FlowGroup g = groups.get(i);
            timeout = Math.min(timeout, Math.min(g.backend.parkLimitNanos(), g.timers.nextDeadline() - now));
        }
        parked = true;
        // Re-check after announcing the park: a producer that missed the flag left its work behind.
        if (!running || !arrivals.isEmpty() || !departures.isEmpty() || !waiting.isEmpty() || anyTasks()) {
            timeout = 0;
        }
        if (timeout > 0) {
            for (int i = 0; i < groups.size(); i++) {
                groups.get(i).backend.parking();
            }
            if (noGroups) {
                counters.increment(Counter.IDLE_PARKS);
            }
            int ms = (int) Math.max(1, (timeout + 999_999) / 1_000_000);
            int ready = sys.epollWait(epfd, events, events.capacity(), ms);
            for (int i = 0; i < ready; i++) {
                if (events.data(i) == WAKE_TAG) {
                    sys.eventfdRead(wakeFd);
                }
            }
        }
        parked = false;
    }

    private boolean anyTasks() {
        for (int i = 0; i < groups.size(); i++) {
            if (groups.get(i).hasTasks()) {
                return true;
            }
        }
        return false;
    }

    private int adoptArrivals() {
        int adopted = 0;
        Move m;
        while ((m = arrivals.poll()) != null) {
            FlowGroup g = m.group();
            g.adopt(this);
            groups.add(g);
            int fd = g.backend.readinessFd();
            if (fd >= 0) {
                sys.epollCtl(epfd, EPOLL_CTL_ADD, fd, EPOLLIN, g.groupIndex());
            }
            counters.increment(Counter.GROUPS_ADOPTED);
            counters.add(Counter.GROUPS_OWNED, 1);
            topology.groupOwner(g.groupIndex(), index);
            if (groups.size() == 1) {
                topology.threadRunning(index, true);
            }
            adopted++;
            m.done().complete(null);
        }
        return adopted;
    }

    private int releaseDepartures(long now) {
        Move m;
        while ((m = departures.poll()) != null) {
            waiting.add(m);
        }
        int released = 0;
        for (int i = 0; i < waiting.size(); i++) {
            Move w = waiting.get(i);
            FlowGroup g = w.group();
            if (!groups.contains(g)) {
                w.done().completeExceptionally(new IllegalStateException(
                        "flow group " + g.groupIndex() + " is not owned by elastic thread " + index));
            } else if (w.target() == this) {
                w.done().complete(null);
            } else if (g.backend.readyToMove()) {
                release(g);
                w.target().arrivals.offer(w);
                w.target().wakeIfParked();
                released++;
            } else if (now - w.deadlineNanos() < 0) {
                counters.increment(Counter.MIGRATION_WAITS);
                continue; // the application still holds views made on this thread; try next iteration
            } else {
                g.backend.moveEnded(); // it stays here: deliver checked views again
                w.done().completeExceptionally(new IllegalStateException("flow group " + g.groupIndex()
                        + " did not become movable in time: its application holds checked receive views"));
            }
            waiting.remove(i--);
        }
        return released;
    }

    private void release(FlowGroup g) {
        groups.remove(g);
        int fd = g.backend.readinessFd();
        if (fd >= 0) {
            sys.epollCtl(epfd, EPOLL_CTL_DEL, fd, 0, 0);
        }
        g.release();
        counters.increment(Counter.GROUPS_RELEASED);
        counters.add(Counter.GROUPS_OWNED, -1);
        topology.groupOwner(g.groupIndex(), -1);
        if (groups.isEmpty()) {
            topology.threadRunning(index, false);
        }
    }

    private void failWaiting() {
        Move m;
        while ((m = departures.poll()) != null) {
            waiting.add(m);
        }
        while ((m = arrivals.poll()) != null) {
            m.done().completeExceptionally(new IllegalStateException("elastic thread " + index + " stopped"));
        }
        for (Move w : waiting) {
            w.done().completeExceptionally(new IllegalStateException("elastic thread " + index + " stopped"));
        }
        waiting.clear();
    }
}
