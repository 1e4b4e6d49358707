package io.jix.stack;

/** What a {@link NetStack} counts: traffic, and every drop by its reason. */
public enum StackCounter {
    RX_FRAMES, TX_FRAMES,
    /** Shorter than an Ethernet header. */
    ETH_TRUNCATED,
    /** Addressed to another MAC, or to a multicast group (none is joined). */
    ETH_NOT_FOR_US,
    /** Source MAC multicast, broadcast or our own. */
    ETH_BAD_SOURCE,
    /** Neither IPv4 nor ARP (VLAN tags included). */
    ETH_UNKNOWN_TYPE,
    /** ARP that is not Ethernet/IPv4, has a bad operation, is short, or has a bad sender MAC. */
    ARP_BAD,
    /** ARP for another address (learned from only when the sender was already known). */
    ARP_NOT_FOR_US,
    /** Another host claims our address. */
    ARP_CONFLICT,
    ARP_REQUESTS_SENT, ARP_REPLIES_SENT, ARP_LEARNED,
    /** Packets held on an entry while its address resolves. */
    ARP_HELD,
    /** Dropped: the entry (or all entries together) already hold as many packets as allowed. */
    ARP_HOLD_FULL,
    /** Dropped: no free ARP entry to resolve a new address. */
    ARP_TABLE_FULL,
    /** Held packets dropped because the address never resolved. */
    ARP_UNRESOLVED,
    /** Entries removed on expiry (unused, or no answer to the refresh). */
    ARP_EXPIRED,
    IP_TRUNCATED, IP_BAD_VERSION, IP_BAD_IHL, IP_BAD_LENGTH, IP_BAD_CHECKSUM,
    /** Source multicast, broadcast, zero, loopback or our own. */
    IP_BAD_SOURCE,
    /** Destination neither our address nor a broadcast we accept. */
    IP_NOT_FOR_US,
    /** Options running past the header, or with a length below 2. */
    IP_BAD_OPTIONS,
    /** Loose or strict source route options: not accepted (as Linux's accept_source_route=0). */
    IP_SOURCE_ROUTED,
    IP_UNKNOWN_PROTOCOL,
    /** Off-link destination and no gateway. */
    IP_NO_ROUTE,
    /** A transport asked to send more than the MTU (jix does not fragment on send). */
    IP_TX_TOO_BIG,
    FRAG_RECEIVED,
    /** A fragment with a non-multiple-of-8 length before the last, past 65,535, or contradicting the known end. */
    FRAG_BAD,
    /** A fragment whose every byte had arrived already (dropped). */
    FRAG_DUPLICATE,
    /** A fragment overlapping data already received (first copy wins). */
    FRAG_OVERLAP,
    REASM_DONE,
    /** Dropped: every reassembly context is in use. */
    REASM_FULL,
    /** Dropped: the datagram is longer than one frame can hold. */
    REASM_TOO_BIG,
    /** Partial datagrams dropped when their time ran out. */
    REASM_TIMEOUT,
    ICMP_BAD_CHECKSUM, ICMP_TRUNCATED, ICMP_ECHO_REPLIES,
    /** Echo requests to a broadcast address, not answered. */
    ICMP_ECHO_BROADCAST,
    ICMP_UNREACHABLE_SENT,
    /** Destination-unreachable messages suppressed by the token bucket. */
    ICMP_RATE_LIMITED,
    /** ICMP errors received (handed to the transport of the quoted packet). */
    ICMP_ERRORS_RECEIVED,
    ICMP_OTHER,
    UDP_TRUNCATED, UDP_BAD_LENGTH, UDP_BAD_CHECKSUM,
    /** No socket on the destination port. */
    UDP_NO_PORT,
    UDP_DELIVERED, UDP_SENT,
    /** No free frame to send from. */
    POOL_EMPTY,
    /** The TX burst and ring were full: the frame was dropped. */
    TX_FULL,
    /** A frame the parser could not read safely (caught as an out-of-bounds access). */
    MALFORMED,
    /** A handler threw; the exception was contained. */
    HANDLER_FAILED
}
