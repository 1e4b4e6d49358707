package io.jix.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TcpTest {
    private final Syscalls sys = new Syscalls();

    @Test
    void roundTripOverLoopback() {
        try (Arena arena = Arena.ofConfined()) {
            SockAddr listenAddr = new SockAddr(arena);
            int listener = Loopback.listen(sys, listenAddr);
            assertThat(listenAddr.family()).isEqualTo(Net.AF_INET);
            assertThat(listenAddr.ipv4()).isEqualTo(Loopback.LOCALHOST);
            assertThat(listenAddr.length()).isEqualTo(16);

            // Nothing pending yet: a non-blocking accept must say so, not block or throw.
            assertThat(sys.accept4(listener, null, 0)).isEqualTo(-Errno.EAGAIN);

            int client = sys.socket(Net.AF_INET, Net.SOCK_STREAM | Net.SOCK_NONBLOCK | Net.SOCK_CLOEXEC, 0);
            Loopback.connect(sys, client, listenAddr);

            assertThat(sys.poll1(listener, Net.POLLIN, 5_000) & Net.POLLIN).isNotZero();
            SockAddr peer = new SockAddr(arena);
            int server = sys.accept4(listener, peer, Net.SOCK_NONBLOCK | Net.SOCK_CLOEXEC);
            assertThat(server).isPositive();

            SockAddr clientAddr = new SockAddr(arena);
            sys.localAddress(client, clientAddr);
            assertThat(peer.length()).isEqualTo(16);
            assertThat(peer.sameAs(clientAddr)).as("%s vs %s", peer, clientAddr).isTrue();
            SockAddr serverPeer = new SockAddr(arena);
            sys.peerAddress(client, serverPeer);
            assertThat(serverPeer.sameAs(listenAddr)).isTrue();

            // send -> recv
            MemorySegment out = arena.allocateFrom("hello, jix", StandardCharsets.US_ASCII);
            long helloLen = out.byteSize() - 1;
            assertThat(sys.send(client, out.address(), helloLen, Net.MSG_NOSIGNAL)).isEqualTo(helloLen);
            MemorySegment in = arena.allocate(256);
            assertThat(sys.poll1(server, Net.POLLIN, 5_000) & Net.POLLIN).isNotZero();
            long n = sys.recv(server, in.address(), in.byteSize(), 0);
            assertThat(n).isEqualTo(helloLen);
            assertThat(in.asSlice(0, n).toArray(JAVA_BYTE)).asString(StandardCharsets.US_ASCII).isEqualTo("hello, jix");

            // writev of two pieces arrives as one stream, in order
            MemorySegment a = arena.allocateFrom("gather ", StandardCharsets.US_ASCII);
            MemorySegment b = arena.allocateFrom("write", StandardCharsets.US_ASCII);
            IoVecArray iov = new IoVecArray(arena, 2);
            iov.set(0, a.address(), a.byteSize() - 1);
            iov.set(1, b.address(), b.byteSize() - 1);
            assertThat(iov.base(1)).isEqualTo(b.address());
            assertThat(iov.length(1)).isEqualTo(5);
            assertThat(sys.writev(server, iov.address(), 2)).isEqualTo(12);
            assertThat(readFully(client, in, 12)).asString(StandardCharsets.US_ASCII).isEqualTo("gather write");

            // write/read are plain aliases on sockets
            assertThat(sys.write(client, out.address(), 5)).isEqualTo(5);
            assertThat(sys.poll1(server, Net.POLLIN, 5_000) & Net.POLLIN).isNotZero();
            assertThat(sys.read(server, in.address(), 256)).isEqualTo(5);

            // orderly shutdown: the reader sees end of stream
            assertThat(sys.shutdown(client, Net.SHUT_WR)).isZero();
            assertThat(sys.poll1(server, Net.POLLIN, 5_000) & Net.POLLIN).isNotZero();
            assertThat(sys.recv(server, in.address(), 256, 0)).isZero();

            assertThat(sys.close(client)).isZero();
            assertThat(sys.close(server)).isZero();
            assertThat(sys.close(listener)).isZero();
        }
    }

    @Test
    void lingerZeroResetsThePeer() {
        try (Arena arena = Arena.ofConfined()) {
            Loopback lo = Loopback.open(sys, new SockAddr(arena), true);
            sys.setLinger(lo.client(), true, 0);
            sys.close(lo.client());
            assertThat(sys.poll1(lo.server(), Net.POLLIN, 5_000)).isNotZero();
            MemorySegment in = arena.allocate(16);
            assertThat(sys.recv(lo.server(), in.address(), 16, 0)).isEqualTo(-Errno.ECONNRESET);
            sys.close(lo.server());
            sys.close(lo.listener());
        }
    }

    @Test
    void socketOptionsReadBack() {
        int fd = sys.socket(Net.AF_INET, Net.SOCK_STREAM | Net.SOCK_CLOEXEC, 0);
        try {
            sys.setsockopt(fd, Net.SOL_SOCKET, Net.SO_KEEPALIVE, 1);
            assertThat(sys.getsockopt(fd, Net.SOL_SOCKET, Net.SO_KEEPALIVE)).isEqualTo(1);
            sys.setsockopt(fd, Net.IPPROTO_TCP, Net.TCP_NODELAY, 1);
            assertThat(sys.getsockopt(fd, Net.IPPROTO_TCP, Net.TCP_NODELAY)).isEqualTo(1);
        } finally {
            sys.close(fd);
        }
    }

    private byte[] readFully(int fd, MemorySegment buf, int want) {
        int got = 0;
        while (got < want) {
            assertThat(sys.poll1(fd, Net.POLLIN, 5_000) & Net.POLLIN).isNotZero();
            long n = sys.recv(fd, buf.address() + got, want - got, 0);
            assertThat(n).isPositive();
            got += (int) n;
        }
        return buf.asSlice(0, want).toArray(JAVA_BYTE);
    }
}
