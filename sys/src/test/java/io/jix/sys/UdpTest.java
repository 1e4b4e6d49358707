package io.jix.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class UdpTest {
    private final Syscalls sys = new Syscalls();

    @Test
    void sendtoRecvfromOverLoopback() {
        try (Arena arena = Arena.ofConfined()) {
            SockAddr aAddr = new SockAddr(arena);
            SockAddr bAddr = new SockAddr(arena);
            int a = udpOn(aAddr);
            int b = udpOn(bAddr);
            assertThat(aAddr.port()).isNotEqualTo(bAddr.port());

            MemorySegment in = arena.allocate(2048);
            SockAddr from = new SockAddr(arena);
            assertThat(sys.recvfrom(b, in.address(), in.byteSize(), 0, from)).isEqualTo(-Errno.EAGAIN);

            MemorySegment payload = arena.allocateFrom("datagram 1", StandardCharsets.US_ASCII);
            long len = payload.byteSize() - 1;
            assertThat(sys.sendto(a, payload.address(), len, 0, bAddr)).isEqualTo(len);

            assertThat(sys.poll1(b, Net.POLLIN, 5_000) & Net.POLLIN).isNotZero();
            long n = sys.recvfrom(b, in.address(), in.byteSize(), 0, from);
            assertThat(n).isEqualTo(len);
            assertThat(in.asSlice(0, n).toArray(JAVA_BYTE)).asString(StandardCharsets.US_ASCII).isEqualTo("datagram 1");
            assertThat(from.length()).isEqualTo(16);
            assertThat(from.sameAs(aAddr)).as("%s vs %s", from, aAddr).isTrue();
            assertThat(from.toString()).isEqualTo("127.0.0.1:" + aAddr.port());

            // Reply to whoever sent it, straight from the received address.
            assertThat(sys.sendto(b, payload.address(), 3, Net.MSG_DONTWAIT, from)).isEqualTo(3);
            assertThat(sys.poll1(a, Net.POLLIN, 5_000) & Net.POLLIN).isNotZero();
            assertThat(sys.recvfrom(a, in.address(), in.byteSize(), 0, null)).isEqualTo(3);

            sys.close(a);
            sys.close(b);
        }
    }

    private int udpOn(SockAddr addr) {
        int fd = sys.socket(Net.AF_INET, Net.SOCK_DGRAM | Net.SOCK_NONBLOCK | Net.SOCK_CLOEXEC, 0);
        sys.bind(fd, addr.setIpv4(Loopback.LOCALHOST, 0));
        sys.localAddress(fd, addr);
        return fd;
    }
}
