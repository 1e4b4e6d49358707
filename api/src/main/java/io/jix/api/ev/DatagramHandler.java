package io.jix.api.ev;

import io.jix.api.Endpoint;
import java.lang.foreign.MemorySegment;

/** Receives the datagrams of an {@link EvLoop}; answer with {@link EvLoop#sendDatagram}. */
@FunctionalInterface
public interface DatagramHandler {

    /**
     * A datagram arrived on {@code loop}; {@code data} and {@code from} are valid only during
     * this call.
     */
    void onDatagram(EvLoop loop, MemorySegment data, long offset, int length, Endpoint from, int localPort);
}
