package io.jix.stack.udp;

import io.jix.nic.Frame;
import io.jix.stack.NetStack;

/** A UDP socket's receiver, bound to one local port with {@link NetStack#bindUdp(int, UdpHandler)}. */
@FunctionalInterface
public interface UdpHandler {

    /**
     * A datagram whose length and checksum are verified.
     *
     * @param frame         the frame (Ethernet header at 0); the flyweight is the stack's, reused after
     *                      the call: keep {@code frame.id()} if the frame is kept
     * @param payloadOffset where the payload starts in {@code frame}
     * @param payloadLength payload bytes
     * @param srcIp         the sender's address
     * @param srcPort       the sender's port
     * @param dstPort       our port
     * @return true to keep the frame (release it with {@link NetStack#release(int)} or send it, e.g.
     *         with {@link NetStack#sendUdp} in place); false to let the stack free it
     */
    boolean receive(NetStack stack, Frame frame, int payloadOffset, int payloadLength, int srcIp, int srcPort,
                    int dstPort);
}
