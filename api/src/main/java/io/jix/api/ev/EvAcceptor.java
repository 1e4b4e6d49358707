package io.jix.api.ev;

import io.jix.api.Endpoint;

/** Decides about incoming connections: returns a handler to accept, or null to refuse. */
@FunctionalInterface
public interface EvAcceptor {

    /**
     * @param remote    the peer, valid only during this call
     * @param localPort the port it connected to
     * @return the connection's handler, or null to reject it
     */
    EvConnection accept(Endpoint remote, int localPort);
}
