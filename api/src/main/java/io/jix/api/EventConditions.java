package io.jix.api;

import java.lang.foreign.MemorySegment;

/**
 * The event conditions of one elastic thread, IX's upcalls. They arrive in batches, between
 * {@link #batchStart()} and {@link #batchEnd()}, always on the elastic thread; the application
 * answers with {@link Calls} while handling them. A callback that throws costs only its own
 * connection: the dataplane resets it, counts it and carries on with the rest of the batch.
 *
 * <p>{@code cookie} is whatever the application attached with {@link Calls#accept} or
 * {@link Calls#connect}: its own per-connection state, handed back with every event.
 */
public interface EventConditions {

    /**
     * A peer wants to connect. Answer in this batch with {@link Calls#accept} or
     * {@link Calls#reject}; a knock left unanswered when the batch ends is rejected.
     *
     * @param handle    the new connection's handle
     * @param remote    the peer's address; valid only during this call (copy it to keep it)
     * @param localPort the port the peer connected to
     */
    void knock(long handle, Endpoint remote, int localPort);

    /**
     * An outgoing {@link Calls#connect} finished.
     *
     * @param status {@link Status#OK}, or why it failed (the handle is then already released)
     */
    default void connected(Object cookie, long handle, int status) {
    }

    /**
     * Bytes arrived. {@code data} is read-only and stays valid, and these bytes stay counted
     * against the receive window, until the application returns them with {@link Calls#recvDone}.
     */
    void recv(Object cookie, long handle, MemorySegment data, long offset, int length);

    /**
     * The dataplane no longer references {@code bytes} more bytes of what was given to
     * {@link Calls#send}, in order, and the connection can take more. {@code bytes} may be 0 when
     * only the send window reopened after a short send.
     */
    default void sent(Object cookie, long handle, long bytes) {
    }

    /**
     * The connection is over: the peer closed it ({@link Status#PEER_CLOSED}), reset it
     * ({@link Status#RESET}) or it failed. The application must still {@link Calls#close} the
     * handle; received bytes stay valid until then.
     */
    void dead(Object cookie, long handle, int reason);

    /**
     * A datagram arrived on one of the application's UDP ports. {@code data} is read-only and
     * valid only during this call; so is {@code from}.
     */
    default void udpRecv(MemorySegment data, long offset, int length, Endpoint from, int localPort) {
    }

    /** A {@link Calls#udpSend} that carried a cookie is done with its buffer. */
    default void udpSent(Object cookie, int status) {
    }

    /** A timer armed with {@link Calls#armTimer} expired. */
    default void timer(Object cookie, long timer) {
    }

    /** A batch begins. */
    default void batchStart() {
    }

    /** The batch is over; calls made here leave with this batch's transmissions. */
    default void batchEnd() {
    }
}
