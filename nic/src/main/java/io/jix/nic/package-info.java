/**
 * The NIC queue abstraction the TCP/IP stack polls.
 *
 * <p>A {@link io.jix.nic.NicQueue} is one RX/TX queue pair, owned by one elastic thread. Frames
 * live in that queue's {@link io.jix.nic.FramePool} (the UMEM for AF_XDP, ring memory for
 * AF_PACKET, plain native memory for the in-memory wire) and are named by int ids; bursts of
 * them travel in a {@link io.jix.nic.FrameBurst}; a {@link io.jix.nic.Frame} flyweight reads and
 * writes headers in place.
 *
 * <p>Ownership: a frame returned by {@link io.jix.nic.NicQueue#receive} belongs to the caller
 * until it either frees it to the pool or passes it to {@link io.jix.nic.NicQueue#transmit}
 * (replying in place is allowed). A frame passed to {@code transmit} belongs to the queue until
 * the hardware (or kernel) has sent it; {@link io.jix.nic.NicQueue#reclaim} returns such frames
 * to the pool. Frames taken with {@link io.jix.nic.FramePool#allocate} belong to the caller. No
 * method of a queue, pool or burst locks or allocates.
 */
package io.jix.nic;
