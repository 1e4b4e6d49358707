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
        try {
            c.opened();
        } catch (RuntimeException | Error e) {
            c.abandon();
            throw e;
        }
    }

    @Override
    public void connected(Object cookie, long handle, int status) {
        EvConnection c = (EvConnection) cookie;
        if (status != Status.OK) {
            c.abandon();
            c.onClosed(status);
            return;
        }
        try {
            c.opened();
        } catch (RuntimeException | Error e) {
            c.abandon();
            throw e;
        }
    }

    @Override
    public void recv(Object cookie, long handle, MemorySegment data, long offset, int length) {
        EvConnection c = (EvConnection) cookie;
        try {
            c.received(data, offset, length);
        } catch (RuntimeException | Error e) {
            c.abandon();
            throw e;
        }
    }

    @Override
    public void sent(Object cookie, long handle, long bytes) {
        EvConnection c = (EvConnection) cookie;
        try {
            c.sent(bytes);
        } catch (RuntimeException | Error e) {
            c.abandon();
            throw e;
        }
    }

    @Override
    public void dead(Object cookie, long handle, int reason) {
        EvConnection c = (EvConnection) cookie;
        try {
            c.died(reason);
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
