package io.jix.nic;

/** What every NIC queue counts. Drops are split by reason. */
public enum QueueCounter {
    RX_FRAMES, RX_BYTES, TX_FRAMES, TX_BYTES,
    /** The TX ring had no room: the frame stayed with the caller. */
    DROP_TX_RING_FULL,
    /** No free frame to receive into (fill ring could not be refilled). */
    DROP_POOL_EMPTY,
    /** A frame or descriptor made no sense: truncated, too long, outside the pool. */
    DROP_MALFORMED,
    /** The kernel's own drop counters for this queue (AF_XDP {@code XDP_STATISTICS}, AF_PACKET {@code PACKET_STATISTICS}). */
    KERNEL_RX_DROPPED, KERNEL_RX_INVALID, KERNEL_TX_INVALID, KERNEL_RX_RING_FULL, KERNEL_FILL_EMPTY,
    KERNEL_TX_RING_EMPTY,
    /** Frames the fault injector (in-memory wire) dropped, duplicated, reordered, corrupted, delayed on purpose. */
    FAULT_DROPPED, FAULT_DUPLICATED, FAULT_REORDERED, FAULT_CORRUPTED, FAULT_DELAYED,
    /** Times the queue asked the kernel to transmit (AF_XDP {@code sendto} kicks). */
    TX_KICKS,
    /**
     * Frames delivered with only a partial transport checksum (AF_PACKET
     * {@code TP_STATUS_CSUMNOTREADY}: a veth peer with TX checksum offload on); the stack decides.
     */
    RX_CHECKSUM_PARTIAL
}
