package io.jix.apps.echo;

import io.jix.api.Application;
import io.jix.api.ev.EvConnection;
import io.jix.api.ev.EvLoop;
import java.lang.foreign.MemorySegment;

/**
 * Echoes every TCP byte and every UDP datagram back to its sender, on the ixev layer. Runs on
 * every backend; {@code ./jix serve echo} starts it.
 */
public final class EchoServer {

    /** The port {@code ./jix serve echo} uses unless told otherwise. */
    public static final int DEFAULT_PORT = 7007;

    private EchoServer() {
    }

    /** The application: one {@link EvLoop} per elastic thread. */
    public static Application application() {
        return context -> new EvLoop(context, (remote, port) -> new EchoConnection(),
                (loop, data, offset, length, from, port) -> loop.sendDatagram(data, offset, length, from, port),
                EvLoop.DEFAULT_BUFFER_SIZE);
    }

    /** One connection: write back what arrives; when the output is full, wait for room. */
    static final class EchoConnection extends EvConnection {

        @Override
        protected int onData(MemorySegment data, long offset, int length) {
            return write(data, offset, length);
        }

        @Override
        protected void onWritable() {
            redeliverInput();
        }
    }
}
