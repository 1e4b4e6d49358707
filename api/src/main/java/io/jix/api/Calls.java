package io.jix.api;

import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * IX's batched calls for one elastic thread. They may be made only on that thread (any other
 * thread gets an {@link IllegalStateException}): typically while handling a batch of
 * {@link EventConditions}, or from a task run through {@link ElasticContext#elastic()}. Each call
 * is checked and applied at once, so results are known immediately; the packets it causes leave
 * together at the end of the batch.
 *
 * <p>Every handle argument is validated: one that is stale, forged or from another thread gets a
 * {@link BadHandleException}.
 */
public interface Calls {

    /** Accepts a connection announced by {@link EventConditions#knock}, attaching {@code cookie}. */
    void accept(long handle, Object cookie);

    /** Refuses a connection announced by {@link EventConditions#knock}. */
    void reject(long handle);

    /**
     * Opens a connection; {@link EventConditions#connected} reports how it went, on this thread.
     *
     * @return the new connection's handle
     */
    long connect(Object cookie, InetSocketAddress remote);

    /**
     * A transmit buffer for {@code handle}'s connection, carved from the dataplane's own packet
     * memory (on the native backends the NIC's UMEM frames, with room for the headers in front):
     * write a reply into it and pass it to {@link #sendBuffer}, and on the native backends it
     * leaves without being copied at all. At most one TCP segment long ({@code byteSize()}).
     *
     * @return the buffer, or null when none is free (the connection already holds many, or the pool is empty)
     */
    MemorySegment txBuffer(long handle);

    /**
     * Sends the first {@code length} bytes of a buffer from {@link #txBuffer}, all or nothing.
     *
     * @return {@code length} when taken — the buffer is the dataplane's from then on, and
     *     {@code sent} reports the bytes — or 0 when the connection cannot take it now (the buffer
     *     is still the application's: send it later, or {@link #releaseBuffer} it)
     */
    long sendBuffer(long handle, MemorySegment buffer, int length);

    /** Gives back a buffer from {@link #txBuffer} that will not be sent. */
    void releaseBuffer(long handle, MemorySegment buffer);

    /**
     * Offers {@code length} bytes of {@code data} from {@code offset}. The memory must be native
     * (off-heap) and must not change until {@link EventConditions#sent} has reported these bytes.
     *
     * @return how many bytes were taken, possibly fewer than offered (then wait for {@code sent})
     */
    long send(long handle, MemorySegment data, long offset, long length);

    /**
     * Offers a gather list of segments; the same rules as {@link #send}.
     *
     * @return how many bytes were taken, counted from the start of {@code vector}
     */
    long sendv(long handle, IoVector vector);

    /**
     * Returns {@code bytes} received bytes, oldest first: their views become invalid and the
     * receive window reopens by as much. Returning more than was received is an
     * {@link IllegalArgumentException}.
     */
    void recvDone(long handle, long bytes);

    /** Closes the connection gracefully and releases the handle; no events follow for it. */
    void close(long handle);

    /**
     * Sends one datagram from local port {@code fromPort} (one of the application's UDP ports).
     * The payload is taken (copied) before the call returns.
     *
     * @param cookie when not null, a {@link EventConditions#udpSent} reports the outcome
     * @return {@link Status#OK} or why the datagram was not sent
     */
    int udpSend(Object cookie, MemorySegment data, long offset, int length, Endpoint to, int fromPort);

    /**
     * Arms a one-shot timer.
     *
     * @return the timer's handle, for {@link #cancelTimer}
     */
    long armTimer(Object cookie, long delayNanos);

    /**
     * Cancels a timer.
     *
     * @return false when it had already fired or been cancelled
     */
    boolean cancelTimer(long timer);

    /** The elastic thread's clock, read once per batch, in nanoseconds. */
    long nanoTime();
}
