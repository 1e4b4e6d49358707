package io.jix.nic;

/**
 * Which receive queue of a port a flow's frames arrive on: the NIC's RSS function, as far as jix
 * knows it. A stack that opens a connection uses it to choose a local port whose replies come back
 * to its own queue (IX did the same with the NIC's Toeplitz hash), so a connection never has to
 * move between elastic threads.
 *
 * <p>The arguments describe an arriving frame as the receiving port sees it: {@code src} is the
 * remote end, {@code dst} is ours. Addresses are IPv4 as {@code int}s, ports 0..65535.
 */
@FunctionalInterface
public interface FlowSteering {

    /** {@link #queueOf}'s answer when the port does not tell: the frame may arrive on any queue. */
    int ANY_QUEUE = -1;

    /**
     * The queue (0..queues-1) on which a frame of this flow arrives, or {@link #ANY_QUEUE} when
     * that is not known.
     */
    int queueOf(int srcIp, int srcPort, int dstIp, int dstPort, int queues);

    /**
     * Nothing known: a single-queue port receives everything on queue 0, a port with more queues
     * on any of them. Local ports are then chosen as if there were no steering.
     */
    FlowSteering UNKNOWN = (srcIp, srcPort, dstIp, dstPort, queues) -> queues == 1 ? 0 : ANY_QUEUE;

    /**
     * With {@code x} the low byte of {@code srcPort ^ dstPort}: {@code (x ^ x >> 4) & (queues - 1)},
     * {@code queues} a power of two up to 256 — the test network's RSS emulation
     * ({@code io.jix.testnet.TestNet}, program {@code jix_rss} on the peer's egress) for TCP and
     * UDP over IPv4. Symmetric, so the same whichever end is "source". (The fold spreads Linux's
     * clients, whose connect() ports are all even.)
     */
    FlowSteering PORT_XOR = (srcIp, srcPort, dstIp, dstPort, queues) -> {
        if (queues < 1 || queues > 256 || (queues & (queues - 1)) != 0) {
            throw new IllegalArgumentException("PORT_XOR needs a power-of-two queue count up to 256: " + queues);
        }
        int x = (srcPort ^ dstPort) & 0xff;
        return (x ^ x >> 4) & (queues - 1);
    };
}
