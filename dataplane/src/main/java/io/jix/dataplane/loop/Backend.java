package io.jix.dataplane.loop;

import io.jix.api.Endpoint;
import io.jix.api.IoVector;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * One elastic thread's network I/O: the seam where backends plug into the loop, as Netty's
 * {@code IoHandler}. The kernel-socket backend implements it over epoll; the native backend over
 * a NIC queue and jix's own TCP/IP stack. Everything but {@link #wakeup} runs on the elastic
 * thread. The connection calls mirror {@link io.jix.api.Calls}, which validates the thread and
 * counts refused handles before it forwards to them.
 */
public interface Backend extends AutoCloseable {

    /**
     * Gathers ready work into {@code batch}, at most {@link EventBatch#remaining()} events: first
     * what earlier calls left pending, then fresh I/O. When there is nothing, waits up to
     * {@code timeoutNanos} (0: do not wait) for I/O or a {@link #wakeup}.
     *
     * @return the number of events added
     */
    int poll(EventBatch batch, long timeoutNanos);

    /** The batch has been delivered: settle what it left open and transmit. */
    void endBatch(EventBatch batch);

    /** Whether {@code handle} is a live connection of this backend (no exception). */
    boolean isLive(long handle);

    /** Resets a live connection without telling the application: its code failed. */
    void abort(long handle);

    /** Interrupts a waiting {@link #poll}; any thread. */
    void wakeup();

    /** The TCP ports this backend listens on, as bound (port 0 resolved). */
    int[] tcpPorts();

    /** The UDP ports this backend receives on, as bound. */
    int[] udpPorts();

    void accept(long handle, Object cookie);

    void reject(long handle);

    long connect(Object cookie, InetSocketAddress remote);

    long send(long handle, MemorySegment data, long offset, long length);

    long sendv(long handle, IoVector vector);

    MemorySegment txBuffer(long handle);

    long sendBuffer(long handle, MemorySegment buffer, int length);

    void releaseBuffer(long handle, MemorySegment buffer);

    void recvDone(long handle, long bytes);

    void close(long handle);

    int udpSend(Object cookie, MemorySegment data, long offset, int length, Endpoint to, int fromPort);

    /** Releases every resource; called on the elastic thread after its loop ends. */
    @Override
    void close();
}
