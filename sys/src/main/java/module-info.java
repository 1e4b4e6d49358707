/**
 * The Linux C library and system calls, reached from Java through {@code java.lang.foreign}.
 * Only the dataplane and the command line may use it: applications never see raw descriptors.
 */
module jix.sys {
    exports io.jix.sys to jix.dataplane, jix.cli, jix.testnet;
}
