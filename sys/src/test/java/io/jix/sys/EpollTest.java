package io.jix.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class EpollTest {
    private final Syscalls sys = new Syscalls();

    @Test
    void eventfdWakesEpollWithRegisteredData() {
        try (Arena arena = Arena.ofConfined()) {
            int efd = sys.eventfd(0, Net.EFD_NONBLOCK | Net.EFD_CLOEXEC);
            int ep = sys.epollCreate();
            long cookie = 0xDEAD_BEEF_CAFE_F00DL;
            sys.epollCtl(ep, Net.EPOLL_CTL_ADD, efd, Net.EPOLLIN | Net.EPOLLET, cookie);

            EpollEvents events = new EpollEvents(arena, 8);
            assertThat(sys.epollWait(ep, events, events.capacity(), 0)).isZero();
            assertThat(sys.eventfdRead(efd)).isEqualTo(-Errno.EAGAIN);

            assertThat(sys.eventfdWrite(efd, 3)).isZero();
            assertThat(sys.epollWait(ep, events, events.capacity(), 1_000)).isEqualTo(1);
            assertThat(events.events(0) & Net.EPOLLIN).isNotZero();
            assertThat(events.data(0)).isEqualTo(cookie);

            assertThat(sys.eventfdRead(efd)).isEqualTo(3);
            // Edge-triggered and drained: nothing more to report.
            assertThat(sys.epollWait(ep, events, events.capacity(), 0)).isZero();

            sys.epollCtl(ep, Net.EPOLL_CTL_MOD, efd, Net.EPOLLIN, 42);
            sys.eventfdWrite(efd, 1);
            assertThat(sys.epollWait(ep, events, 1, 1_000)).isEqualTo(1);
            assertThat(events.data(0)).isEqualTo(42);

            sys.epollCtl(ep, Net.EPOLL_CTL_DEL, efd, 0, 0);
            assertThat(sys.epollWait(ep, events, events.capacity(), 0)).isZero();

            assertThatThrownBy(() -> sys.epollCtl(ep, Net.EPOLL_CTL_DEL, efd, 0, 0))
                    .isInstanceOf(SysException.class)
                    .hasMessageContaining("epoll_ctl(epfd " + ep + ", DEL, fd " + efd)
                    .hasMessageContaining("ENOENT (2)");
            assertThatThrownBy(() -> sys.epollWait(ep, events, 9, 0)).isInstanceOf(IllegalArgumentException.class);

            sys.close(efd);
            sys.close(ep);
        }
    }

    @Test
    void epollEventsArePacked12ByteStructs() {
        try (Arena arena = Arena.ofConfined()) {
            EpollEvents events = new EpollEvents(arena, 3);
            for (int i = 0; i < 3; i++) {
                events.set(i, Net.EPOLLIN | i << 8, 0x0102_0304_0506_0700L + i);
            }
            MemorySegment raw = MemorySegment.ofAddress(events.address()).reinterpret(3L * 12);
            for (int i = 0; i < 3; i++) {
                assertThat(events.events(i)).isEqualTo(Net.EPOLLIN | i << 8);
                assertThat(events.data(i)).isEqualTo(0x0102_0304_0506_0700L + i);
                assertThat(raw.get(JAVA_INT_UNALIGNED, i * 12L)).isEqualTo(Net.EPOLLIN | i << 8);
                assertThat(raw.get(JAVA_LONG_UNALIGNED, i * 12L + 4)).isEqualTo(0x0102_0304_0506_0700L + i);
            }
        }
    }

    @Test
    void socketReadinessThroughEpoll() {
        try (Arena arena = Arena.ofConfined()) {
            Loopback lo = Loopback.open(sys, new SockAddr(arena), true);
            int ep = sys.epollCreate();
            sys.epollCtl(ep, Net.EPOLL_CTL_ADD, lo.server(), Net.EPOLLIN | Net.EPOLLRDHUP, 7);
            EpollEvents events = new EpollEvents(arena, 4);
            assertThat(sys.epollWait(ep, events, 4, 0)).isZero();

            MemorySegment buf = arena.allocate(64);
            assertThat(sys.send(lo.client(), buf.address(), 64, Net.MSG_NOSIGNAL)).isEqualTo(64);
            assertThat(sys.epollWait(ep, events, 4, 1_000)).isEqualTo(1);
            assertThat(events.data(0)).isEqualTo(7);
            assertThat(events.events(0) & Net.EPOLLIN).isNotZero();
            assertThat(sys.recv(lo.server(), buf.address(), 64, 0)).isEqualTo(64);

            sys.close(lo.client());
            assertThat(sys.epollWait(ep, events, 4, 1_000)).isEqualTo(1);
            assertThat(events.events(0) & Net.EPOLLRDHUP).isNotZero();

            sys.close(ep);
            sys.close(lo.server());
            sys.close(lo.listener());
        }
    }
}
