package io.jix.apps.sockperf;

import io.jix.api.Application;
import io.jix.api.Endpoint;
import io.jix.api.ev.EvConnection;
import io.jix.api.ev.EvLoop;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A server for the sockperf latency tool that answers as {@code sockperf sr} does, over TCP and
 * UDP. Every sockperf message starts with a 14-byte header: an 8-byte sequence number, 16 bits of
 * flags and the 32-bit total message length, big-endian. A message whose flags ask for a pong goes
 * back unchanged but for the client flag, cleared; every other message is read and dropped.
 */
public final class SockperfServer {

    /** sockperf's own default port. */
    public static final int DEFAULT_PORT = 11111;
    /** Header size. */
    static final int HEADER = 14;
    /** Set by the client on what it sends. */
    static final int FLAG_CLIENT = 1;
    /** The client wants this message back. */
    static final int FLAG_PONG_REQUEST = 2;
    /** The largest message accepted: sockperf's own limit is 64 KiB. */
    static final int MAX_MESSAGE = 65_536;

    private static final ValueLayout.OfShort FLAGS = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt LENGTH = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private SockperfServer() {
    }

    /** The application: one {@link EvLoop} and one reply buffer per elastic thread. */
    public static Application application() {
        return context -> {
            MemorySegment reply = Arena.ofAuto().allocate(MAX_MESSAGE, 64);
            return new EvLoop(context, (remote, port) -> new SockperfConnection(reply),
                    (loop, data, offset, length, from, port) -> datagram(loop, reply, data, offset, length, from, port),
                    2 * MAX_MESSAGE);
        };
    }

    /**
     * The length of the message at {@code offset}, or -1 if the header is garbage (shorter than
     * itself or longer than {@link #MAX_MESSAGE}).
     */
    static int messageLength(MemorySegment data, long offset) {
        int length = data.get(LENGTH, offset + 10);
        return length < HEADER || length > MAX_MESSAGE ? -1 : length;
    }

    static boolean wantsPong(MemorySegment data, long offset) {
        return (data.get(FLAGS, offset + 8) & FLAG_PONG_REQUEST) != 0;
    }

    /** Copies the message into {@code reply} with the client flag cleared. */
    static void prepareReply(MemorySegment data, long offset, int length, MemorySegment reply) {
        MemorySegment.copy(data, offset, reply, 0, length);
        reply.set(FLAGS, 8, (short) (reply.get(FLAGS, 8) & ~FLAG_CLIENT));
    }

    private static void datagram(EvLoop loop, MemorySegment reply, MemorySegment data, long offset, int length,
                                 Endpoint from, int port) {
        if (length < HEADER || messageLength(data, offset) != length || !wantsPong(data, offset)) {
            return;
        }
        prepareReply(data, offset, length, reply);
        loop.sendDatagram(reply, 0, length, from, port);
    }

    /** A TCP client: a stream of messages, answered in order. */
    static final class SockperfConnection extends EvConnection {
        private final MemorySegment reply;

        SockperfConnection(MemorySegment reply) {
            this.reply = reply;
        }

        @Override
        protected int onData(MemorySegment data, long offset, int length) {
            int consumed = 0;
            while (length - consumed >= HEADER) {
                long at = offset + consumed;
                int size = messageLength(data, at);
                if (size < 0) {
                    close();
                    return length;
                }
                if (length - consumed < size) {
                    break;
                }
                if (wantsPong(data, at)) {
                    prepareReply(data, at, size, reply);
                    if (write(reply, 0, size) < size) {
                        // The client is not reading its pongs: it no longer measures anything.
                        close();
                        return length;
                    }
                }
                consumed += size;
            }
            return consumed;
        }
    }
}
