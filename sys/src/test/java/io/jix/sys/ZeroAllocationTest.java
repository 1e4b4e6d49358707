package io.jix.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.function.IntToLongFunction;
import org.junit.jupiter.api.Test;

/** The data path's promise: once warm, a send/recv loop allocates not one byte on the Java heap. */
class ZeroAllocationTest {
    private static final int MSG = 64;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /**
     * Runs {@code loop} (which returns its failure count) until the JIT has settled, then
     * requires 100,000 more iterations to allocate nothing. The warm-up ends after two
     * consecutive allocation-free windows of 50,000: windows must be long enough to carry the
     * test's own loop through its tier changes (C1, then OSR into C2), since the VM spends a
     * few bytes once on the OSR migration, which says nothing about the steady state.
     */
    private static void assertSteadyStateAllocatesNothing(String what, IntToLongFunction loop) {
        int quietWindows = 0;
        for (int window = 0; window < 20 && quietWindows < 2; window++) {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            long failures = loop.applyAsLong(50_000);
            boolean quiet = THREADS.getCurrentThreadAllocatedBytes() == before;
            assertThat(failures).as("failures while warming up").isZero();
            quietWindows = quiet ? quietWindows + 1 : 0;
        }
        long before = THREADS.getCurrentThreadAllocatedBytes();
        long failures = loop.applyAsLong(100_000);
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
        assertThat(failures).as("failures").isZero();
        assertThat(allocated).as("bytes allocated by 100,000 %s", what).isZero();
    }

    @Test
    void sendRecvLoopAllocatesNothing() {
        Syscalls sys = new Syscalls();
        try (Arena arena = Arena.ofConfined()) {
            Loopback lo = Loopback.open(sys, new SockAddr(arena), false);
            MemorySegment out = arena.allocate(MSG);
            MemorySegment in = arena.allocate(MSG);
            long outAddr = out.address();
            long inAddr = in.address();
            out.fill((byte) 7);

            assertSteadyStateAllocatesNothing("send+recv round trips",
                    n -> pingPong(sys, lo, outAddr, inAddr, n));
            assertThat(in.get(java.lang.foreign.ValueLayout.JAVA_BYTE, MSG - 1)).isEqualTo((byte) 7);
            lo.close(sys);
        }
    }

    @Test
    void datagramEpollPollAndWritevAllocateNothing() {
        Syscalls sys = new Syscalls();
        try (Arena arena = Arena.ofConfined()) {
            Loopback lo = Loopback.open(sys, new SockAddr(arena), true);
            SockAddr aAddr = new SockAddr(arena);
            SockAddr bAddr = new SockAddr(arena);
            int a = sys.socket(Net.AF_INET, Net.SOCK_DGRAM | Net.SOCK_NONBLOCK | Net.SOCK_CLOEXEC, 0);
            int b = sys.socket(Net.AF_INET, Net.SOCK_DGRAM | Net.SOCK_NONBLOCK | Net.SOCK_CLOEXEC, 0);
            sys.bind(a, aAddr.setIpv4(Loopback.LOCALHOST, 0));
            sys.bind(b, bAddr.setIpv4(Loopback.LOCALHOST, 0));
            sys.localAddress(a, aAddr);
            sys.localAddress(b, bAddr);
            int efd = sys.eventfd(0, Net.EFD_NONBLOCK | Net.EFD_CLOEXEC);
            int ep = sys.epollCreate();
            sys.epollCtl(ep, Net.EPOLL_CTL_ADD, efd, Net.EPOLLIN, 99);
            Hot hot = new Hot(sys, lo, a, b, bAddr, new SockAddr(arena), aAddr, efd, ep,
                    new EpollEvents(arena, 4), new IoVecArray(arena, 2), arena.allocate(MSG), arena.allocate(MSG));

            assertSteadyStateAllocatesNothing("rounds of UDP, eventfd, epoll, writev, poll, recv and accept4",
                    hot::run);
            sys.close(ep);
            sys.close(efd);
            sys.close(a);
            sys.close(b);
            lo.close(sys);
        }
    }

    private record Hot(Syscalls sys, Loopback lo, int a, int b, SockAddr bAddr, SockAddr from, SockAddr aAddr,
                       int efd, int ep, EpollEvents events, IoVecArray iov, MemorySegment out, MemorySegment in) {
        long run(int iterations) {
            long failures = 0;
            long outAddr = out.address();
            long inAddr = in.address();
            iov.set(0, outAddr, MSG / 2);
            iov.set(1, outAddr + MSG / 2, MSG / 2);
            for (int i = 0; i < iterations; i++) {
                failures += sys.sendto(a, outAddr, MSG, 0, bAddr) == MSG ? 0 : 1;
                failures += sys.recvfrom(b, inAddr, MSG, 0, from) == MSG ? 0 : 1;
                failures += from.sameAs(aAddr) ? 0 : 1;

                failures += sys.eventfdWrite(efd, 1) == 0 ? 0 : 1;
                failures += sys.epollWait(ep, events, events.capacity(), 0) == 1 && events.data(0) == 99 ? 0 : 1;
                failures += sys.eventfdRead(efd) == 1 ? 0 : 1;

                failures += sys.writev(lo.client(), iov.address(), 2) == MSG ? 0 : 1;
                failures += (sys.poll1(lo.server(), Net.POLLIN, 1_000) & Net.POLLIN) != 0 ? 0 : 1;
                failures += sys.recv(lo.server(), inAddr, MSG, 0) == MSG ? 0 : 1;
                failures += sys.recv(lo.server(), inAddr, MSG, 0) == -Errno.EAGAIN ? 0 : 1;
                failures += sys.accept4(lo.listener(), from, 0) == -Errno.EAGAIN ? 0 : 1;
            }
            return failures;
        }
    }

    /** Each iteration sends MSG bytes each way; returns how many calls came back short or failed. */
    private static long pingPong(Syscalls sys, Loopback lo, long outAddr, long inAddr, int iterations) {
        long failures = 0;
        int client = lo.client();
        int server = lo.server();
        for (int i = 0; i < iterations; i++) {
            failures += sys.send(client, outAddr, MSG, Net.MSG_NOSIGNAL) == MSG ? 0 : 1;
            failures += recvFully(sys, server, inAddr) ? 0 : 1;
            failures += sys.send(server, outAddr, MSG, Net.MSG_NOSIGNAL) == MSG ? 0 : 1;
            failures += recvFully(sys, client, inAddr) ? 0 : 1;
        }
        return failures;
    }

    private static boolean recvFully(Syscalls sys, int fd, long buf) {
        long got = 0;
        while (got < MSG) {
            long n = sys.recv(fd, buf + got, MSG - got, 0);
            if (n <= 0) {
                return false;
            }
            got += n;
        }
        return true;
    }
}
