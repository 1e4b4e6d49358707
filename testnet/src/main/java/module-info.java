/** The test network: namespace {@code jix-peer} joined to the root namespace by veth jix0/jix1. */
module jix.testnet {
    requires jix.sys;
    exports io.jix.testnet;
}
