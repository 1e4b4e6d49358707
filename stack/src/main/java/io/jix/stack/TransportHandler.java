package io.jix.stack;

import io.jix.nic.Frame;

/**
 * A transport protocol on top of IPv4 (TCP), registered with
 * {@link NetStack#registerTransport(int, TransportHandler)} for one IP protocol number.
 *
 * <p>Addresses are IPv4 addresses as {@code int}s (network order read as big-endian). IPv6 will
 * arrive as further default methods carrying an address flyweight, so a transport that handles
 * IPv4 keeps compiling; see {@link NetStack} for the addressing rules.
 */
public interface TransportHandler {

    /**
     * A packet for this protocol, already validated at the IP layer (addressed to us, checksum of
     * the IP header verified, reassembled if it was fragmented). Nothing about the transport
     * header is checked yet; {@link NetStack#rxChecksumVerified()} says whether the NIC vouched for
     * the transport checksum.
     *
     * @param frame    the frame, Ethernet header at position 0; the flyweight is the stack's and is
     *                 reused after this call (keep {@code frame.id()}, not the object)
     * @param l4Offset where the transport header starts
     * @param l4Length the transport header and payload length (the IP total length minus the IP header)
     * @param srcIp    the sender's address
     * @param dstIp    our address, or the broadcast address the packet was sent to
     * @return true when the handler keeps the frame (it must later {@link NetStack#release(int)}
     *         it or send it); false to let the stack free it. A frame the handler sent or released
     *         during the call is never freed twice either way.
     */
    boolean receive(NetStack stack, Frame frame, int l4Offset, int l4Length, int srcIp, int dstIp);

    /**
     * Called by every {@link NetStack#poll(long)} after the received frames and the stack's own
     * timers, before it flushes TX: the place for the transport's timers, so what they send leaves
     * in the same flush. Called once per poll for each registered handler object, even when it is
     * registered for several protocols.
     *
     * @param nowNanos the time the stack was polled with
     */
    default void poll(NetStack stack, long nowNanos) {
    }

    /**
     * An ICMP error (destination unreachable, time exceeded, parameter problem, source quench)
     * quoting a packet of this protocol that we sent. The frame is valid only during the call.
     *
     * @param quotedL4Offset where the quoted transport header starts (at least 8 bytes are there)
     * @param quotedLength   how many bytes of the quoted transport packet the error carries
     * @param origSrc        the quoted packet's source (our address)
     * @param origDst        the quoted packet's destination
     */
    default void icmpError(NetStack stack, int type, int code, Frame frame, int quotedL4Offset, int quotedLength,
                           int origSrc, int origDst) {
    }
}
