package io.jix.dataplane.loop;

import io.jix.api.BadHandleException;
import io.jix.api.Calls;
import io.jix.api.Endpoint;
import io.jix.api.IoVector;
import io.jix.dataplane.Counter;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * The application's side of the boundary: every call is checked to come from the owning elastic
 * thread, refused handles are counted, and the rest goes to the backend or the timer queue.
 */
final class ElasticCalls implements Calls {

    private final Backend backend;
    private final TimerQueue timers;
    private final Counters counters;
    private Thread owner;
    long now;

    ElasticCalls(Backend backend, TimerQueue timers, Counters counters) {
        this.backend = backend;
        this.timers = timers;
        this.counters = counters;
    }

    void bind(Thread thread) {
        this.owner = thread;
    }

    @Override
    public void accept(long handle, Object cookie) {
        check();
        try {
            backend.accept(handle, cookie);
        } catch (BadHandleException e) {
            throw refused(e);
        }
    }

    @Override
    public void reject(long handle) {
        check();
        try {
            backend.reject(handle);
        } catch (BadHandleException e) {
            throw refused(e);
        }
    }

    @Override
    public long connect(Object cookie, InetSocketAddress remote) {
        check();
        return backend.connect(cookie, remote);
    }

    @Override
    public long send(long handle, MemorySegment data, long offset, long length) {
        check();
        try {
            return backend.send(handle, data, offset, length);
        } catch (BadHandleException e) {
            throw refused(e);
        }
    }

    @Override
    public long sendv(long handle, IoVector vector) {
        check();
        try {
            return backend.sendv(handle, vector);
        } catch (BadHandleException e) {
            throw refused(e);
        }
    }

    @Override
    public MemorySegment txBuffer(long handle) {
        check();
        try {
            return backend.txBuffer(handle);
        } catch (BadHandleException e) {
            throw refused(e);
        }
    }

    @Override
    public long sendBuffer(long handle, MemorySegment buffer, int length) {
        check();
        try {
            return backend.sendBuffer(handle, buffer, length);
        } catch (BadHandleException e) {
            throw refused(e);
        }
    }

    @Override
    public void releaseBuffer(long handle, MemorySegment buffer) {
        check();
        try {
            backend.releaseBuffer(handle, buffer);
        } catch (BadHandleException e) {
            throw refused(e);
        }
    }

    @Override
    public void recvDone(long handle, long bytes) {
        check();
        try {
            backend.recvDone(handle, bytes);
        } catch (BadHandleException e) {
            throw refused(e);
        }
    }

    @Override
    public void close(long handle) {
        check();
        try {
            backend.close(handle);
        } catch (BadHandleException e) {
            throw refused(e);
        }
    }

    @Override
    public int udpSend(Object cookie, MemorySegment data, long offset, int length, Endpoint to, int fromPort) {
        check();
        return backend.udpSend(cookie, data, offset, length, to, fromPort);
    }

    @Override
    public long armTimer(Object cookie, long delayNanos) {
        check();
        if (delayNanos < 0) {
            throw new IllegalArgumentException("negative timer delay: " + delayNanos);
        }
        long t = timers.arm(cookie, System.nanoTime() + delayNanos);
        if (t < 0) {
            throw new IllegalStateException("all timer slots in use");
        }
        return t;
    }

    @Override
    public boolean cancelTimer(long timer) {
        check();
        return timers.cancel(timer);
    }

    @Override
    public long nanoTime() {
        return now;
    }

    private void check() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("jix calls must be made on their elastic thread (" + owner
                    + "), not on " + Thread.currentThread() + "; hand work over with ElasticContext.elastic()");
        }
    }

    private BadHandleException refused(BadHandleException e) {
        counters.increment(Counter.BAD_HANDLES);
        return e;
    }
}
