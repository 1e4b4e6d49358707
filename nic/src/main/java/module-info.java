/**
 * NIC queues: the layer below jix's TCP/IP stack. {@code io.jix.nic} holds the queue abstraction,
 * frame pools and the frame flyweight; each driver lives in its own package.
 */
module jix.nic {
    requires transitive jix.sys;
    exports io.jix.nic;
    exports io.jix.nic.xdp;
    exports io.jix.nic.packet;
    exports io.jix.nic.bench;
    exports io.jix.nic.wire;
    exports io.jix.nic.tools;
    exports io.jix.nic.fault;
}
