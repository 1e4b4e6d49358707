package io.jix.stack.tcp;

import java.lang.foreign.MemorySegment;

/**
 * What a {@link TcpLayer} tells its application, one method per IX event condition. Connections
 * are named by generation-tagged handles ({@code long}); a handle is valid from the event that
 * introduces it ({@link #accepted}, or {@link TcpLayer#connect}'s return) until {@link #dead}.
 * Every method is called on the stack's thread, from inside {@link TcpLayer} calls or
 * {@code poll}; the application may call back into the layer from an event.
 */
public interface TcpEvents {

    /** {@link #dead} reason: orderly close completed (both FINs exchanged, or ours acknowledged). */
    int CLOSED = 0;
    /** {@link #dead} / {@link #connected} reason: the peer reset the connection (or refused it). */
    int RESET = -1;
    /** {@link #dead} / {@link #connected} reason: retransmissions ran out. */
    int TIMED_OUT = -2;
    /** {@link #dead} reason: the application aborted it. */
    int ABORTED = -3;
    /** {@link #connected} reason: no connection slot, port or frame was available. */
    int NO_RESOURCES = -4;
    /** {@link #connected} reason: an ICMP protocol or port unreachable answered the SYN. */
    int UNREACHABLE = -5;

    /** A passive open completed on a listening port: {@code conn} is ESTABLISHED and the application's. */
    void accepted(long conn, int localPort, int remoteIp, int remotePort);

    /** An active open finished: {@code status} 0 (ESTABLISHED) or a negative reason; on failure the handle is dead. */
    void connected(long conn, int status);

    /**
     * In-order data, zero copy: {@code length} bytes at {@code offset} of {@code region} stay valid
     * until the application returns them with {@link TcpLayer#recvDone}; until then they count
     * against the receive window.
     */
    void recv(long conn, MemorySegment region, long offset, int length);

    /** The peer sent its FIN: no more data will arrive (it may still receive). */
    default void eof(long conn) {
    }

    /** {@code bytes} more of the data passed to {@link TcpLayer#send} were acknowledged; those segments are free. */
    void sent(long conn, int bytes);

    /**
     * The connection is ending while the application still holds received data in frame
     * {@code frameId}: return true to take the frame over (the application then releases it with
     * {@link io.jix.stack.NetStack#release} when done with its data), false to let the layer free it
     * now. A dataplane that hands out views of received frames adopts them, so that a view never
     * reads a frame the pool has given to someone else while the application may still use it.
     */
    default boolean adopt(long conn, int frameId) {
        return false;
    }

    /** The connection is gone ({@link #CLOSED} or a negative reason); the handle is invalid from now on. */
    void dead(long conn, int reason);
}
