package io.jix.dataplane;

/** Which network stack carries the application's traffic. */
public enum BackendKind {
    /**
     * The Linux kernel's TCP/IP through ordinary sockets, one epoll instance and one
     * {@code SO_REUSEPORT} listener per elastic thread. Needs no privileges; runs anywhere.
     */
    KERNEL
}
