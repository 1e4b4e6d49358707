package io.jix.dataplane;

import io.jix.api.Calls;
import io.jix.api.ElasticContext;
import io.jix.api.Endpoint;
import io.jix.api.EventConditions;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An echo that answers through transmit buffers: each received piece is written into buffers
 * from {@code txBuffer} and handed over with {@code sendBuffer} — on the native backends the reply
 * leaves from the very frame it was written into. Test helper; counts what could not be sent.
 */
class BufferEcho implements EventConditions {

    final Calls calls;
    final AtomicLong refused = new AtomicLong();

    BufferEcho(ElasticContext context) {
        this.calls = context.calls();
    }

    @Override
    public void knock(long handle, Endpoint remote, int localPort) {
        calls.accept(handle, null);
    }

    @Override
    public void recv(Object cookie, long handle, MemorySegment data, long offset, int length) {
        int done = 0;
        while (done < length) {
            MemorySegment buffer = calls.txBuffer(handle);
            if (buffer == null) {
                refused.incrementAndGet();
                break;
            }
            int n = (int) Math.min(length - done, buffer.byteSize());
            MemorySegment.copy(data, offset + done, buffer, 0, n);
            if (calls.sendBuffer(handle, buffer, n) != n) {
                calls.releaseBuffer(handle, buffer);
                refused.incrementAndGet();
                break;
            }
            done += n;
        }
        calls.recvDone(handle, length);
    }

    @Override
    public void dead(Object cookie, long handle, int reason) {
        calls.close(handle);
    }
}
