/**
 * IX's application contract in Java.
 *
 * <p>An application is an {@link io.jix.api.Application}: a factory that the dataplane calls once
 * on every elastic thread to get that thread's {@link io.jix.api.EventConditions}. Each loop
 * iteration of an elastic thread delivers one batch of event conditions ({@code knock},
 * {@code connected}, {@code recv}, {@code sent}, {@code dead}, UDP {@code udpRecv}/{@code udpSent},
 * {@code timer}) and the application answers through that thread's {@link io.jix.api.Calls}
 * ({@code accept}, {@code reject}, {@code connect}, {@code send}/{@code sendv}, {@code recvDone},
 * {@code close}, {@code udpSend}, timer arm/cancel). Handles are opaque {@code long}s, tagged with
 * the owning thread and a generation so that a stale or forged one is refused
 * ({@link io.jix.api.BadHandleException}) and never reaches another connection.
 *
 * <p>Memory contract (zero copy):
 * <ul>
 *   <li>a {@code recv} payload is a read-only view into a dataplane buffer, valid until the
 *       application returns those bytes with {@code recvDone}; bytes not yet returned count
 *       against the connection's receive window;</li>
 *   <li>memory passed to {@code send}/{@code sendv} belongs to the dataplane until the matching
 *       {@code sent} event reports those bytes: it must not change before then;</li>
 *   <li>a {@code udpRecv} payload is valid only while the callback runs.</li>
 * </ul>
 *
 * <p>Ordinary applications use the libevent-like layer in {@link io.jix.api.ev} instead, which
 * keeps these rules for them.
 */
package io.jix.api;
