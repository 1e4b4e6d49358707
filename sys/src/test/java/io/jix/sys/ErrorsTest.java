package io.jix.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;

class ErrorsTest {
    private final Syscalls sys = new Syscalls();

    @Test
    void bindToAnAddressInUseThrows() {
        try (Arena arena = Arena.ofConfined()) {
            SockAddr addr = new SockAddr(arena);
            int first = Loopback.listen(sys, addr);
            int second = sys.socket(Net.AF_INET, Net.SOCK_STREAM | Net.SOCK_CLOEXEC, 0);
            try {
                assertThatThrownBy(() -> sys.bind(second, addr))
                        .isInstanceOf(SysException.class)
                        .hasMessage("bind(fd " + second + ", 127.0.0.1:" + addr.port()
                                + ") failed: EADDRINUSE (98)")
                        .asInstanceOf(InstanceOfAssertFactories.type(SysException.class))
                        .satisfies(e -> {
                            assertThat(e.errno()).isEqualTo(Errno.EADDRINUSE);
                            assertThat(e.call()).isEqualTo("bind");
                        });
                assertThat(sys.lastErrno()).isEqualTo(Errno.EADDRINUSE);
            } finally {
                sys.close(second);
                sys.close(first);
            }
        }
    }

    @Test
    void recvOnAClosedDescriptorIsEbadf() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(16);
            int fd = sys.socket(Net.AF_INET, Net.SOCK_DGRAM | Net.SOCK_CLOEXEC, 0);
            assertThat(sys.close(fd)).isZero();
            assertThat(sys.recv(fd, buf.address(), 16, Net.MSG_DONTWAIT)).isEqualTo(-Errno.EBADF);
            assertThat(sys.close(fd)).isEqualTo(-Errno.EBADF);
            assertThat(sys.poll1(fd, Net.POLLIN, 0)).isEqualTo(Net.POLLNVAL);
        }
    }

    @Test
    void recvOnAnEmptyNonblockingSocketIsEagain() {
        try (Arena arena = Arena.ofConfined()) {
            Loopback lo = Loopback.open(sys, new SockAddr(arena), true);
            MemorySegment buf = arena.allocate(16);
            assertThat(sys.recv(lo.server(), buf.address(), 16, 0)).isEqualTo(-Errno.EAGAIN);
            assertThat(sys.recv(lo.client(), buf.address(), 16, 0)).isEqualTo(-Errno.EAGAIN);
            lo.close(sys);
        }
    }

    @Test
    void connectToAClosedPortIsRefused() {
        try (Arena arena = Arena.ofConfined()) {
            SockAddr addr = new SockAddr(arena);
            int listener = Loopback.listen(sys, addr);
            sys.close(listener); // the port is now (very likely) free and nobody listens
            int fd = sys.socket(Net.AF_INET, Net.SOCK_STREAM | Net.SOCK_CLOEXEC, 0);
            assertThat(sys.connect(fd, addr)).isEqualTo(-Errno.ECONNREFUSED);
            sys.close(fd);
        }
    }

    @Test
    void socketWithABadFamilyThrows() {
        assertThatThrownBy(() -> sys.socket(12345, Net.SOCK_STREAM, 0))
                .isInstanceOf(SysException.class)
                .hasMessageStartingWith("socket(domain 12345, type 0x1, protocol 0) failed: EAFNOSUPPORT (97)");
    }

    @Test
    void everyErrnoConstantIsNamedAfterItself() throws IllegalAccessException {
        int checked = 0;
        for (Field f : Errno.class.getFields()) {
            if (f.getType() == int.class && Modifier.isStatic(f.getModifiers())) {
                assertThat(Errno.name(f.getInt(null))).isEqualTo(f.getName());
                checked++;
            }
        }
        assertThat(checked).isEqualTo(25);
    }

    @Test
    void errnoNames() {
        assertThat(Errno.name(Errno.EAGAIN)).isEqualTo("EAGAIN");
        assertThat(Errno.name(-Errno.ECONNRESET)).isEqualTo("ECONNRESET");
        assertThat(Errno.describe(Errno.EAGAIN)).isEqualTo("EAGAIN (11)");
        assertThat(Errno.name(200)).isEqualTo("errno 200");
        assertThat(Errno.describe(200)).isEqualTo("errno 200");
        assertThat(Errno.name(0)).isEqualTo("errno 0");
        assertThat(Errno.name(133)).isEqualTo("EHWPOISON");
        assertThat(Errno.name(41)).isEqualTo("errno 41");
        assertThat(new SysException("listen", -Errno.EBADF, null))
                .hasMessage("listen() failed: EBADF (9)")
                .extracting(SysException::errno).isEqualTo(Errno.EBADF);
    }
}
