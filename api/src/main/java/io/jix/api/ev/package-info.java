/**
 * The libevent-like layer over the jix API, after IX's {@code ixev}: an application is a
 * {@link io.jix.api.ev.EvConnection} subclass per connection, an {@link io.jix.api.ev.EvAcceptor}
 * that makes them, and optionally a {@link io.jix.api.ev.DatagramHandler}. {@link io.jix.api.ev.EvLoop}
 * turns one elastic thread's event conditions into calls on those objects and keeps the zero-copy
 * rules on the application's behalf: it returns received bytes once the handler has consumed
 * them, keeps unconsumed bytes for the next delivery, and copies written bytes into buffers it
 * holds until the dataplane reports them sent.
 */
package io.jix.api.ev;
