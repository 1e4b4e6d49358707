package io.jix.dataplane.loop;

import io.jix.api.Endpoint;
import io.jix.api.IoVector;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * One flow group's network I/O: the seam where backends plug into the loop, as Netty's
 * {@code IoHandler}. The kernel-socket backend implements it over epoll; the native backend over
 * a NIC queue and jix's own TCP/IP stack. A backend is used by one elastic thread at a time, the
 * one that owns its flow group; when the group migrates, the hand-over between the two threads
 * orders every access. The connection calls mirror {@link io.jix.api.Calls}, which validates the
 * thread and counts refused handles before it forwards to them.
 */
public interface Backend extends AutoCloseable {

    /**
     * Gathers ready work into {@code batch}, at most {@link EventBatch#remaining()} events: first
     * what earlier calls left pending, then fresh I/O. Never waits: an idle thread waits on
     * {@link #readinessFd()} itself, for all its groups at once.
     *
     * @return the number of events added
     */
    int poll(EventBatch batch);

    /** The batch has been delivered: settle what it left open and transmit. */
    void endBatch(EventBatch batch);

    /** Whether {@code handle} is a live connection of this backend (no exception). */
    boolean isLive(long handle);

    /** Resets a live connection without telling the application: its code failed. */
    void abort(long handle);

    /**
     * A descriptor that becomes readable when {@link #poll} would find work (an epoll instance of
     * the backend's own descriptors), or -1 when there is none and the thread must poll.
     */
    int readinessFd();

    /** The longest an idle thread may wait on {@link #readinessFd()} before polling again (the stack's own timers). */
    long parkLimitNanos();

    /**
     * The thread is about to park on {@link #readinessFd()}: the next frame to arrive wakes it, so
     * it does not wait behind the poll interval (a backend that estimates queueing delay needs this).
     */
    default void parking() {
    }

    /**
     * The control plane wants the group on another thread: whether it can go now, that is whether
     * nothing the application holds is tied to this thread (a checked receive view is confined to
     * the thread that made it). Called each iteration until it says yes; a backend may change how
     * it delivers meanwhile so that it gets there.
     */
    boolean readyToMove();

    /**
     * The move is over: the group arrived on its new thread, or was left where it was; called on
     * the thread that runs it now.
     */
    void moveEnded();

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
