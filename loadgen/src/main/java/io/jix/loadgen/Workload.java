package io.jix.loadgen;

import java.nio.ByteBuffer;

/**
 * What one request and its reply are, for {@link LoadGenerator}. The generator owns the sockets,
 * the buffers, the pipelining and the clock; a workload only writes requests and recognises
 * replies. Requests on a connection are numbered 0, 1, 2, ... and replies come back in the same
 * order (a request/reply protocol over one TCP stream).
 *
 * <p>Both methods are on the hot path: they must not allocate.
 */
public interface Workload {

    /** {@link Session#readReply}: not a whole reply yet; call again when more bytes arrived. */
    int NEED_MORE = 0;
    /** {@link Session#readReply}: a whole reply, and the right one. */
    int OK = 1;
    /** {@link Session#readReply}: a whole reply, but not what was asked for (counted as an error). */
    int MISMATCH = 2;
    /** {@link Session#readReply}: bytes that cannot be a reply; the connection is given up. */
    int GARBAGE = 3;

    /** The longest request {@link Session#writeRequest} writes, in bytes. */
    int maxRequestBytes();

    /** The longest reply, in bytes: the receive buffer holds at least a few of them. */
    int maxReplyBytes();

    /** A short name for reports ({@code echo}, {@code memcached}). */
    String name();

    /** A new session for connection {@code connection} (0-based over the whole run). */
    Session session(int connection);

    /** One connection's view of the workload; used by one thread only. */
    interface Session {

        /**
         * Appends request {@code sequence} at {@code out}'s position (there is room for
         * {@link #maxRequestBytes()}) and advances the position past it.
         */
        void writeRequest(ByteBuffer out, long sequence);

        /**
         * Looks for the reply to request {@code sequence} at {@code in}'s position. For {@link #OK}
         * and {@link #MISMATCH} the position is advanced past that reply; otherwise it is left alone.
         *
         * @return {@link #NEED_MORE}, {@link #OK}, {@link #MISMATCH} or {@link #GARBAGE}
         */
        int readReply(ByteBuffer in, long sequence);
    }
}
