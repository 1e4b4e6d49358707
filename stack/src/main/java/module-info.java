/**
 * jix's TCP/IP stack, one instance per elastic thread: the per-thread machinery (checksums,
 * timer wheel, flow table) now; the protocol layers as they land.
 */
module jix.stack {
    requires transitive jix.nic;
    exports io.jix.stack;
    exports io.jix.stack.link;
    exports io.jix.stack.ip;
    exports io.jix.stack.udp;
    exports io.jix.stack.tcp;
}
