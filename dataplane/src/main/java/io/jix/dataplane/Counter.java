package io.jix.dataplane;

/**
 * The counters every elastic thread keeps, in the order they sit in the stats file. Counters
 * only grow, except the gauges, which say so.
 */
public enum Counter {
    /** Loop iterations. */
    LOOPS("loop iterations"),
    /** Iterations that delivered at least one event. */
    BATCHES("non-empty batches"),
    /** Event conditions delivered to the application. */
    EVENTS("events delivered"),
    /** Nanoseconds spent in iterations that found nothing to do, parked time included. */
    IDLE_NANOS("idle ns"),
    /** Nanoseconds spent in iterations that did work. */
    BUSY_NANOS("busy ns"),
    /** Incoming connections announced. */
    KNOCKS("knocks"),
    /** Connections accepted by the application. */
    ACCEPTS("accepted"),
    /** Connections refused by the application, or left unanswered. */
    REJECTS("rejected"),
    /** Outgoing connections opened. */
    CONNECTS("connects"),
    /** Connections currently open (gauge). */
    OPEN_CONNECTIONS("open connections", true),
    /** Payload bytes received. */
    RX_BYTES("rx bytes"),
    /** Payload bytes taken for sending. */
    TX_BYTES("tx bytes"),
    /** Datagrams received. */
    UDP_RX("udp rx"),
    /** Datagrams sent. */
    UDP_TX("udp tx"),
    /** Datagrams dropped: truncated, or no buffer to receive into. */
    UDP_DROPS("udp drops"),
    /** Connections that ended by peer close, reset or error. */
    DEATHS("dead connections"),
    /** Timers that fired. */
    TIMERS("timers fired"),
    /** Tasks run on the elastic thread for other threads. */
    TASKS("tasks run"),
    /** Exceptions thrown by application callbacks (each cost its connection). */
    APP_EXCEPTIONS("app exceptions"),
    /** Calls refused for a stale, forged or foreign handle. */
    BAD_HANDLES("bad handles"),
    /** Receives put off because the receive buffer pool was empty. */
    RX_POOL_EMPTY("rx pool empty"),
    /** Connections refused because the connection table was full. */
    TABLE_FULL("connection table full"),
    /** Descriptors refused by the kernel (EMFILE/ENFILE) when accepting. */
    ACCEPT_ERRORS("accept errors"),
    /** Native backends: frames received from the NIC queues. */
    NIC_RX_FRAMES("nic rx frames"),
    /** Native backends: frames handed to the NIC queues. */
    NIC_TX_FRAMES("nic tx frames"),
    /** Native backends: frames the queues dropped (TX ring full, pool empty, malformed descriptor). */
    NIC_DROPS("nic drops"),
    /** Native backends: TCP segments retransmitted. */
    TCP_RETRANSMITS("tcp retransmits"),
    /**
     * Native backends: TCP resets sent — among them the answers to segments of no connection this
     * thread knows, which is what a flow steered to the wrong thread would cause.
     */
    TCP_RESETS_SENT("tcp resets sent"),
    /**
     * Native backends: time frames spent in the receive rings before a poll took them, summed over
     * frames (frame·ns; estimated per poll, see {@link StatsInterval}) — divided by the frames
     * received, the mean queueing delay; by the interval, the mean queue length. IX's control plane
     * steers by it.
     */
    RX_QUEUE_NANOS("rx queue wait (frame-ns)"),
    /** Native backends: TCP segments sent straight from a transmit buffer's frame, without a copy. */
    TX_ZERO_COPY("tx zero-copy segments"),
    /** Native backends: frames dropped because a transmit ring was full. */
    NIC_DROPS_TX_RING_FULL("nic drops: tx ring full"),
    /** Native backends: frames dropped because the frame pool was empty. */
    NIC_DROPS_POOL_EMPTY("nic drops: pool empty"),
    /** Native backends: descriptors dropped as malformed. */
    NIC_DROPS_MALFORMED("nic drops: malformed"),
    /**
     * Native backends: frames the kernel dropped before jix saw them (AF_XDP's receive ring full,
     * fill ring empty, invalid descriptors), read from the socket every 100 ms.
     */
    NIC_DROPS_KERNEL("nic drops: in the kernel"),
    /** Native backends: TCP data segments that arrived out of order (reordered, or after a loss). */
    TCP_OUT_OF_ORDER("tcp out-of-order segments"),
    /** Flow groups this thread took over from another thread. */
    GROUPS_ADOPTED("flow groups adopted"),
    /** Flow groups this thread handed to another thread. */
    GROUPS_RELEASED("flow groups released"),
    /** Flow groups this thread owns (gauge). */
    GROUPS_OWNED("flow groups owned", true),
    /** Iterations in which a requested migration waited for the application to return receive views. */
    MIGRATION_WAITS("migration waits"),
    /** Times the thread parked with no flow group at all: an elastic thread given back. */
    IDLE_PARKS("parked without groups");

    private final String label;
    private final boolean gauge;

    Counter(String label) {
        this(label, false);
    }

    Counter(String label, boolean gauge) {
        this.label = label;
        this.gauge = gauge;
    }

    /** Whether this is a gauge (a level that goes up and down) rather than a count that only grows. */
    public boolean gauge() {
        return gauge;
    }

    /** A short human-readable name. */
    public String label() {
        return label;
    }

    /**
     * Whether this counts work lost or refused for a reason (a drop, a refusal, a contained
     * failure): {@code ./jix stats} adds these up as "drops" and lists them by reason.
     */
    public boolean dropReason() {
        return switch (this) {
            case UDP_DROPS, RX_POOL_EMPTY, TABLE_FULL, ACCEPT_ERRORS, BAD_HANDLES, APP_EXCEPTIONS -> true;
            case NIC_DROPS -> false; // the sum of the NIC_DROPS_* reasons, each counted on its own
            default -> name().contains("DROP");
        };
    }

    /** The name in metrics: lower case, e.g. {@code nic_rx_frames}. */
    public String metricName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
