package io.jix.sys;

import static org.assertj.core.api.Assertions.assertThat;

/** A connected loopback TCP pair built with nothing but {@link Syscalls}. */
record Loopback(int listener, int client, int server) {
    static final int LOCALHOST = 0x7F000001;

    /** Listener on 127.0.0.1, ephemeral port; {@code scratch} ends up holding its address. */
    static int listen(Syscalls sys, SockAddr scratch) {
        int listener = sys.socket(Net.AF_INET, Net.SOCK_STREAM | Net.SOCK_NONBLOCK | Net.SOCK_CLOEXEC, 0);
        sys.setsockopt(listener, Net.SOL_SOCKET, Net.SO_REUSEADDR, 1);
        sys.bind(listener, scratch.setIpv4(LOCALHOST, 0));
        sys.listen(listener, 16);
        sys.localAddress(listener, scratch);
        assertThat(scratch.port()).isPositive();
        return listener;
    }

    /** Connects {@code client} to {@code to}, waiting out EINPROGRESS if it is non-blocking. */
    static void connect(Syscalls sys, int client, SockAddr to) {
        int r = sys.connect(client, to);
        if (r == -Errno.EINPROGRESS) {
            assertThat(sys.poll1(client, Net.POLLOUT, 5_000) & Net.POLLOUT).isNotZero();
            assertThat(sys.getsockopt(client, Net.SOL_SOCKET, Net.SO_ERROR)).isZero();
        } else {
            assertThat(r).as("connect: %s", Errno.describe(r)).isZero();
        }
    }

    /** Both connected ends non-blocking when {@code nonblocking}, otherwise blocking. */
    static Loopback open(Syscalls sys, SockAddr scratch, boolean nonblocking) {
        int nb = nonblocking ? Net.SOCK_NONBLOCK : 0;
        int listener = listen(sys, scratch);
        int client = sys.socket(Net.AF_INET, Net.SOCK_STREAM | Net.SOCK_CLOEXEC | nb, 0);
        connect(sys, client, scratch);
        assertThat(sys.poll1(listener, Net.POLLIN, 5_000) & Net.POLLIN).isNotZero();
        int server = sys.accept4(listener, null, Net.SOCK_CLOEXEC | nb);
        assertThat(server).as("accept4: %s", Errno.describe(server)).isPositive();
        sys.setsockopt(client, Net.IPPROTO_TCP, Net.TCP_NODELAY, 1);
        sys.setsockopt(server, Net.IPPROTO_TCP, Net.TCP_NODELAY, 1);
        return new Loopback(listener, client, server);
    }

    void close(Syscalls sys) {
        sys.close(client);
        sys.close(server);
        sys.close(listener);
    }
}
