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

    /**
     * Echo with a service time: for every {@code messageBytes} echoed on a connection the thread
     * computes for {@code workNanos} first — the synthetic "spin server" of the kernel-bypass
     * literature (ZygOS, Shinjuku), for experiments that need requests heavier than an echo.
     */
    public static Application withWork(int messageBytes, long workNanos) {
        if (messageBytes < 1 || workNanos < 0) {
            throw new IllegalArgumentException("need messageBytes >= 1 and workNanos >= 0");
        }
        return context -> new EvLoop(context, (remote, port) -> new WorkingEchoConnection(messageBytes, workNanos),
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

    /**
     * An echo connection that computes {@code workNanos} per whole message before it echoes it (a
     * reply never leaves before its work is done, whenever the backend sends).
     */
    static final class WorkingEchoConnection extends EvConnection {
        private final int messageBytes;
        private final long workNanos;
        private long echoed; // bytes written back so far
        private long paid;   // bytes whose messages have been computed: a whole number of messages

        WorkingEchoConnection(int messageBytes, long workNanos) {
            this.messageBytes = messageBytes;
            this.workNanos = workNanos;
        }

        @Override
        protected int onData(MemorySegment data, long offset, int length) {
            long complete = (echoed + length) / messageBytes * messageBytes;
            if (complete > paid) { // bytes offered again after a short write were paid for already
                compute((complete - paid) / messageBytes * workNanos);
                paid = complete;
            }
            int written = write(data, offset, length);
            echoed += written;
            return written;
        }

        @Override
        protected void onWritable() {
            redeliverInput();
        }

        /** Busy for {@code nanos}: stands for the application's own work on the request. */
        private static void compute(long nanos) {
            long until = System.nanoTime() + nanos;
            while (System.nanoTime() - until < 0) {
                Thread.onSpinWait();
            }
        }
    }
}
