package io.jix.api.ev;

import io.jix.api.Calls;
import io.jix.api.ElasticContext;
import io.jix.api.Endpoint;
import io.jix.api.EventConditions;
import io.jix.api.Status;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * Turns one elastic thread's event conditions into calls on {@link EvConnection} handlers. Make
 * one per elastic thread inside {@link io.jix.api.Application#start}, and return it.
 */
public final class EvLoop implements EventConditions {

    /** Default size of the staging buffers for unconsumed input and unsent output. */
    public static final int DEFAULT_BUFFER_SIZE = 16 * 1024;

    private static final int OPENED = 0;
    private static final int RECEIVED = 1;
    private static final int SENT = 2;
    private static final int DIED = 3;

    final Calls calls;
    final EvBuffers buffers;
    private final ElasticContext context;
    private final EvAcceptor acceptor;
    private final DatagramHandler datagrams;

    /** A loop for TCP connections only, with default buffers. */
    public EvLoop(ElasticContext context, EvAcceptor acceptor) {
        this(context, acceptor, null, DEFAULT_BUFFER_SIZE);
    }

    /**
     * @param acceptor   makes handlers for incoming connections (null refuses them all)
     * @param datagrams  receives datagrams (null drops them)
     * @param bufferSize staging buffer size: the most unconsumed input, and unsent output, per connection
     */
    public EvLoop(ElasticContext context, EvAcceptor acceptor, DatagramHandler datagrams, int bufferSize) {
        this.context = context;
        this.calls = context.calls();
        this.acceptor = acceptor;
        this.datagrams = datagrams;
        this.buffers = new EvBuffers(bufferSize);
    }

    /** The elastic thread this loop runs on. */
    public ElasticContext context() {
        return context;
    }

    /** Opens an outgoing connection handled by {@code connection}. */
    public <C extends EvConnection> C connect(C connection, InetSocketAddress remote) {
        connection.loop = this;
        connection.handle = calls.connect(connection, remote);
        return connection;
    }

    /** Sends a datagram (copied before return) from one of the application's UDP ports. */
    public int sendDatagram(MemorySegment data, long offset, int length, Endpoint to, int fromPort) {
        return calls.udpSend(null, data, offset, length, to, fromPort);
    }

    /** Staging buffers currently held by connections of this loop. */
    public long buffersInUse() {
        return buffers.inUse();
    }

    @Override
    public void knock(long handle, Endpoint remote, int localPort) {
        EvConnection c = acceptor == null ? null : acceptor.accept(remote, localPort);
        if (c == null) {
            calls.reject(handle);
            return;
        }
        c.loop = this;
        c.handle = handle;
        calls.accept(handle, c);
        deliver(c, OPENED, null, 0, 0);
    }

    @Override
    public void connected(Object cookie, long handle, int status) {
        EvConnection c = (EvConnection) cookie;
        if (status != Status.OK) {
            c.abandon();
            c.onClosed(status);
            return;
        }
        deliver(c, OPENED, null, 0, 0);
    }

    @Override
    public void recv(Object cookie, long handle, MemorySegment data, long offset, int length) {
        deliver((EvConnection) cookie, RECEIVED, data, offset, length);
    }

    @Override
    public void sent(Object cookie, long handle, long bytes) {
        deliver((EvConnection) cookie, SENT, null, 0, bytes);
    }

    @Override
    public void dead(Object cookie, long handle, int reason) {
        deliver((EvConnection) cookie, DIED, null, 0, reason);
    }

    /**
     * Runs one handler step. If handler code throws, the connection's buffers are dropped here and
     * the exception goes on to the dataplane, which resets the connection and counts it.
     */
    private static void deliver(EvConnection c, int step, MemorySegment data, long offset, long value) {
        try {
            switch (step) {
                case OPENED -> c.opened();
                case RECEIVED -> c.received(data, offset, (int) value);
                case SENT -> c.sent(value);
                default -> c.died((int) value);
            }
        } catch (RuntimeException | Error e) {
            c.abandon();
            throw e;
        }
    }

    @Override
    public void udpRecv(MemorySegment data, long offset, int length, Endpoint from, int localPort) {
        if (datagrams != null) {
            datagrams.onDatagram(this, data, offset, length, from, localPort);
        }
    }
}
