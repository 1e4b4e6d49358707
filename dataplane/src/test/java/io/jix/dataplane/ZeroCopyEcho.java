package io.jix.dataplane;

import io.jix.api.Calls;
import io.jix.api.ElasticContext;
import io.jix.api.Endpoint;
import io.jix.api.EventConditions;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A low-level echo written straight against the IX contract, for contract tests: it sends the
 * received view itself (zero copy) and returns it with recvDone only when {@code sent} says the
 * bytes are out. Hooks let a test intervene inside callbacks; failures inside hooks are recorded.
 */
class ZeroCopyEcho implements EventConditions {

    /** What a hook sees. */
    record Received(Calls calls, long handle, MemorySegment data, long offset, int length) {
    }

    final ElasticContext context;
    final Calls calls;
    final List<Long> accepted = new CopyOnWriteArrayList<>();
    final List<Long> closed = new CopyOnWriteArrayList<>();
    final List<Object> timers = new CopyOnWriteArrayList<>();
    volatile Consumer<Received> onRecv = r -> { };

    ZeroCopyEcho(ElasticContext context) {
        this.context = context;
        this.calls = context.calls();
    }

    @Override
    public void knock(long handle, Endpoint remote, int localPort) {
        calls.accept(handle, null);
        accepted.add(handle);
    }

    @Override
    public void recv(Object cookie, long handle, MemorySegment data, long offset, int length) {
        onRecv.accept(new Received(calls, handle, data, offset, length));
        long taken = calls.send(handle, data, offset, length);
        if (taken != length) {
            throw new IllegalStateException("test echo assumes the kernel takes small writes whole");
        }
    }

    @Override
    public void sent(Object cookie, long handle, long bytes) {
        calls.recvDone(handle, bytes);
    }

    @Override
    public void dead(Object cookie, long handle, int reason) {
        calls.close(handle);
        closed.add(handle);
    }

    @Override
    public void timer(Object cookie, long timer) {
        timers.add(cookie);
    }
}
