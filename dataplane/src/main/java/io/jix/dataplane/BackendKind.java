package io.jix.dataplane;

/** Which network stack carries the application's traffic. */
public enum BackendKind {
    /**
     * The Linux kernel's TCP/IP through ordinary sockets, one epoll instance and one
     * {@code SO_REUSEPORT} listener per elastic thread. Needs no privileges; runs anywhere.
     */
    KERNEL,
    /**
     * jix's own TCP/IP stack on AF_XDP queues of one interface (root): one socket and UMEM per
     * queue, each queue owned by one elastic thread; a steering program hands jix only the frames
     * for its address and leaves the rest of the interface to the kernel.
     */
    XDP,
    /**
     * jix's own stack on AF_PACKET rings with hash fanout (root), where AF_XDP is missing. The
     * kernel still sees every frame, so the address must be one the kernel does not own.
     */
    PACKET,
    /** jix's own stack on NIC queues the caller opened and passes in ({@code Dataplane.Builder.nicQueues}). */
    QUEUES
}
