package io.jix.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Reference;

/**
 * One thread's gateway to libc. Each instance preallocates the errno capture buffer and the
 * small structs (epoll_event, pollfd, option values) that calls need, so once the JIT has
 * compiled them no method allocates unless its documentation says so. Not thread-safe: a
 * thread owns one. It may be created on one thread and handed to another.
 *
 * <p>Hot-path calls return their result or {@code -errno} and never throw for I/O errors.
 * Setup calls throw {@link SysException}. Buffer arguments are raw native addresses; the
 * caller keeps their memory alive for the duration of the call.
 */
public final class Syscalls {
    private static final long CAPTURE_SIZE = (Libc.CAPTURE_LAYOUT.byteSize() + 7) & ~7L;
    private static final long EPOLL_EVENT = CAPTURE_SIZE;      // 12 bytes, padded to 16
    private static final long POLLFD = EPOLL_EVENT + 16;       // {int fd; short events; short revents}
    private static final long OPT_VALUE = POLLFD + 8;          // int option value
    private static final long OPT_LEN = OPT_VALUE + 4;         // socklen_t
    private static final long LINGER = OPT_LEN + 4;            // {int onoff; int linger}
    private static final long COUNTER = LINGER + 8;            // eventfd's u64
    private static final long SCRATCH_SIZE = COUNTER + 8;

    /** Everything in one block, so that passing {@link #capture} also keeps the scratch alive. */
    private final MemorySegment scratch;
    private final MemorySegment capture;
    private final long base;

    /**
     * Allocates this instance's native scratch from an automatic arena: it is shared (usable
     * from any thread) and freed once the instance is unreachable.
     */
    public Syscalls() {
        scratch = Arena.ofAuto().allocate(SCRATCH_SIZE, 8);
        capture = scratch.asSlice(0, Libc.CAPTURE_LAYOUT);
        base = scratch.address();
    }

    /**
     * The errno captured by the most recent call made through this instance. Like C's errno it
     * is only meaningful after a failed call: libc leaves it untouched on success.
     */
    public int lastErrno() {
        return capture.get(JAVA_INT, Libc.ERRNO_OFFSET);
    }

    // ---------------------------------------------------------------- setup (throws)

    /** socket(2). Returns the new descriptor. */
    public int socket(int domain, int type, int protocol) {
        int fd;
        try {
            fd = (int) Libc.SOCKET.invokeExact(capture, domain, type, protocol);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (fd < 0) {
            throw new SysException("socket", lastErrno(),
                    "domain " + domain + ", type 0x" + Integer.toHexString(type) + ", protocol " + protocol);
        }
        return fd;
    }

    /** setsockopt(2) for an int-valued option. */
    public void setsockopt(int fd, int level, int option, int value) {
        scratch.set(JAVA_INT, OPT_VALUE, value);
        int r;
        try {
            r = (int) Libc.SETSOCKOPT.invokeExact(capture, fd, level, option, base + OPT_VALUE, 4);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (r < 0) {
            throw new SysException("setsockopt", lastErrno(),
                    "fd " + fd + ", level " + level + ", option " + option + ", value " + value);
        }
    }

    /**
     * setsockopt(2) with a struct the caller laid out in native memory at {@code value}
     * ({@code length} bytes); for AF_XDP and AF_PACKET options.
     */
    public void setsockoptRaw(int fd, int level, int option, long value, int length) {
        int r;
        try {
            r = (int) Libc.SETSOCKOPT.invokeExact(capture, fd, level, option, value, length);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (r < 0) {
            throw new SysException("setsockopt", lastErrno(),
                    "fd " + fd + ", level " + level + ", option " + option + ", " + length + "-byte value");
        }
    }

    /**
     * getsockopt(2) into a caller's struct of up to {@code length} bytes at {@code value}.
     *
     * @return the length the kernel wrote
     */
    public int getsockoptRaw(int fd, int level, int option, long value, int length) {
        scratch.set(JAVA_INT, OPT_LEN, length);
        int r;
        try {
            r = (int) Libc.GETSOCKOPT.invokeExact(capture, fd, level, option, value, base + OPT_LEN);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (r < 0) {
            throw new SysException("getsockopt", lastErrno(), "fd " + fd + ", level " + level + ", option " + option);
        }
        return scratch.get(JAVA_INT, OPT_LEN);
    }

    /** bind(2) to a socket address the caller laid out at {@code address} (sockaddr_xdp, sockaddr_ll). */
    public void bindRaw(int fd, long address, int length) {
        int r;
        try {
            r = (int) Libc.BIND.invokeExact(capture, fd, address, length);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (r < 0) {
            throw new SysException("bind", lastErrno(), "fd " + fd + ", " + length + "-byte address");
        }
    }

    /** getsockopt(2) for an int-valued option such as SO_ERROR. */
    public int getsockopt(int fd, int level, int option) {
        scratch.set(JAVA_INT, OPT_VALUE, 0);
        scratch.set(JAVA_INT, OPT_LEN, 4);
        int r;
        try {
            r = (int) Libc.GETSOCKOPT.invokeExact(capture, fd, level, option, base + OPT_VALUE, base + OPT_LEN);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (r < 0) {
            throw new SysException("getsockopt", lastErrno(),
                    "fd " + fd + ", level " + level + ", option " + option);
        }
        return scratch.get(JAVA_INT, OPT_VALUE);
    }

    /** SO_LINGER; {@code on} with 0 seconds makes close() send RST instead of FIN. */
    public void setLinger(int fd, boolean on, int seconds) {
        scratch.set(JAVA_INT, LINGER, on ? 1 : 0);
        scratch.set(JAVA_INT, LINGER + 4, seconds);
        int r;
        try {
            r = (int) Libc.SETSOCKOPT.invokeExact(capture, fd, Net.SOL_SOCKET, Net.SO_LINGER, base + LINGER, 8);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (r < 0) {
            throw new SysException("setsockopt", lastErrno(),
                    "fd " + fd + ", SO_LINGER, " + (on ? "on" : "off") + ", " + seconds + "s");
        }
    }

    /** bind(2). */
    public void bind(int fd, SockAddr addr) {
        int r;
        try {
            r = (int) Libc.BIND.invokeExact(capture, fd, addr.address(), addr.length());
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        } finally {
            Reference.reachabilityFence(addr);
        }
        if (r < 0) {
            throw new SysException("bind", lastErrno(), "fd " + fd + ", " + addr);
        }
    }

    /** listen(2). */
    public void listen(int fd, int backlog) {
        int r;
        try {
            r = (int) Libc.LISTEN.invokeExact(capture, fd, backlog);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (r < 0) {
            throw new SysException("listen", lastErrno(), "fd " + fd + ", backlog " + backlog);
        }
    }

    /** getsockname(2): the address {@code fd} is bound to, e.g. to learn an ephemeral port. */
    public void localAddress(int fd, SockAddr into) {
        name(Libc.GETSOCKNAME, "getsockname", fd, into);
    }

    /** getpeername(2): the address {@code fd} is connected to. */
    public void peerAddress(int fd, SockAddr into) {
        name(Libc.GETPEERNAME, "getpeername", fd, into);
    }

    private void name(MethodHandle handle, String call, int fd, SockAddr into) {
        into.prepareForReceive();
        int r;
        try {
            r = (int) handle.invokeExact(capture, fd, into.address(), into.lengthSlot());
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        } finally {
            Reference.reachabilityFence(into);
        }
        if (r < 0) {
            throw new SysException(call, lastErrno(), "fd " + fd);
        }
        into.setLength(into.lengthSlotValue());
    }

    /** epoll_create1(EPOLL_CLOEXEC). Returns the epoll descriptor. */
    public int epollCreate() {
        int fd;
        try {
            fd = (int) Libc.EPOLL_CREATE1.invokeExact(capture, Net.EPOLL_CLOEXEC);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (fd < 0) {
            throw new SysException("epoll_create1", lastErrno(), "EPOLL_CLOEXEC");
        }
        return fd;
    }

    /** epoll_ctl(2); {@code data} comes back verbatim from {@link #epollWait}. */
    public void epollCtl(int epfd, int op, int fd, int events, long data) {
        scratch.set(JAVA_INT, EPOLL_EVENT, events);
        scratch.set(JAVA_LONG_UNALIGNED, EPOLL_EVENT + 4, data);
        int r;
        try {
            r = (int) Libc.EPOLL_CTL.invokeExact(capture, epfd, op, fd, base + EPOLL_EVENT);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (r < 0) {
            String opName = switch (op) {
                case Net.EPOLL_CTL_ADD -> "ADD";
                case Net.EPOLL_CTL_DEL -> "DEL";
                case Net.EPOLL_CTL_MOD -> "MOD";
                default -> "op " + op;
            };
            throw new SysException("epoll_ctl", lastErrno(), "epfd " + epfd + ", " + opName + ", fd " + fd
                    + ", events 0x" + Integer.toHexString(events));
        }
    }

    /** eventfd(2). Returns the descriptor. */
    public int eventfd(int initval, int flags) {
        int fd;
        try {
            fd = (int) Libc.EVENTFD.invokeExact(capture, initval, flags);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (fd < 0) {
            throw new SysException("eventfd", lastErrno(),
                    "initval " + initval + ", flags 0x" + Integer.toHexString(flags));
        }
        return fd;
    }

    // ---------------------------------------------------------------- hot path (-errno)

    /**
     * accept4(2). If {@code peerOrNull} is given it receives the peer's address. Returns the new
     * descriptor or -errno (EAGAIN when nothing is pending on a non-blocking listener).
     */
    public int accept4(int fd, SockAddr peerOrNull, int flags) {
        long addr = 0;
        long lenSlot = 0;
        if (peerOrNull != null) {
            peerOrNull.prepareForReceive();
            addr = peerOrNull.address();
            lenSlot = peerOrNull.lengthSlot();
        }
        int r;
        try {
            r = (int) Libc.ACCEPT4.invokeExact(capture, fd, addr, lenSlot, flags);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        } finally {
            Reference.reachabilityFence(peerOrNull);
        }
        if (r < 0) {
            return -lastErrno();
        }
        if (peerOrNull != null) {
            peerOrNull.setLength(peerOrNull.lengthSlotValue());
        }
        return r;
    }

    /** connect(2). Returns 0 or -errno; -EINPROGRESS on a non-blocking socket is the normal case. */
    public int connect(int fd, SockAddr addr) {
        int r;
        try {
            r = (int) Libc.CONNECT.invokeExact(capture, fd, addr.address(), addr.length());
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        } finally {
            Reference.reachabilityFence(addr);
        }
        return r < 0 ? -lastErrno() : r;
    }

    /** recv(2) into native memory. Returns bytes read, 0 at end of stream, or -errno. */
    public long recv(int fd, long buf, long len, int flags) {
        long r;
        try {
            r = (long) Libc.RECV.invokeExact(capture, fd, buf, len, flags);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        return r < 0 ? -lastErrno() : r;
    }

    /** send(2) from native memory. Returns bytes sent or -errno. Pass MSG_NOSIGNAL to avoid SIGPIPE. */
    public long send(int fd, long buf, long len, int flags) {
        long r;
        try {
            r = (long) Libc.SEND.invokeExact(capture, fd, buf, len, flags);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        return r < 0 ? -lastErrno() : r;
    }

    /**
     * writev(2) of {@code iovcnt} entries of the native iovec array at {@code iov} (see
     * {@link IoVecArray}). Returns bytes written or -errno. Note writev cannot suppress SIGPIPE;
     * the JVM ignores it, so a closed peer shows up as -EPIPE.
     */
    public long writev(int fd, long iov, int iovcnt) {
        long r;
        try {
            r = (long) Libc.WRITEV.invokeExact(capture, fd, iov, iovcnt);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        return r < 0 ? -lastErrno() : r;
    }

    /**
     * recvfrom(2) into native memory; {@code from} (may be null) receives the sender's address.
     * Returns bytes read or -errno.
     */
    public long recvfrom(int fd, long buf, long len, int flags, SockAddr from) {
        long addr = 0;
        long lenSlot = 0;
        if (from != null) {
            from.prepareForReceive();
            addr = from.address();
            lenSlot = from.lengthSlot();
        }
        long r;
        try {
            r = (long) Libc.RECVFROM.invokeExact(capture, fd, buf, len, flags, addr, lenSlot);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        } finally {
            Reference.reachabilityFence(from);
        }
        if (r < 0) {
            return -lastErrno();
        }
        if (from != null) {
            from.setLength(from.lengthSlotValue());
        }
        return r;
    }

    /** sendto(2) from native memory; {@code to} may be null on a connected socket. Returns bytes or -errno. */
    public long sendto(int fd, long buf, long len, int flags, SockAddr to) {
        long addr = 0;
        int addrLen = 0;
        if (to != null) {
            addr = to.address();
            addrLen = to.length();
        }
        long r;
        try {
            r = (long) Libc.SENDTO.invokeExact(capture, fd, buf, len, flags, addr, addrLen);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        } finally {
            Reference.reachabilityFence(to);
        }
        return r < 0 ? -lastErrno() : r;
    }

    /**
     * epoll_wait(2) for up to {@code maxEvents} (at most {@code events.capacity()}). Returns the
     * number of ready entries, 0 on timeout, or -errno (-EINTR when a signal arrived).
     */
    public int epollWait(int epfd, EpollEvents events, int maxEvents, int timeoutMillis) {
        if (maxEvents > events.capacity()) {
            // The kernel would write past the array.
            throw new IllegalArgumentException("maxEvents " + maxEvents + " > capacity " + events.capacity());
        }
        int r;
        try {
            r = (int) Libc.EPOLL_WAIT.invokeExact(capture, epfd, events.address(), maxEvents, timeoutMillis);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        } finally {
            Reference.reachabilityFence(events);
        }
        return r < 0 ? -lastErrno() : r;
    }

    /** read(2) into native memory. Returns bytes read, 0 at end of file, or -errno. */
    public long read(int fd, long buf, long len) {
        long r;
        try {
            r = (long) Libc.READ.invokeExact(capture, fd, buf, len);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        return r < 0 ? -lastErrno() : r;
    }

    /** write(2) from native memory. Returns bytes written or -errno. */
    public long write(int fd, long buf, long len) {
        long r;
        try {
            r = (long) Libc.WRITE.invokeExact(capture, fd, buf, len);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        return r < 0 ? -lastErrno() : r;
    }

    /** shutdown(2). Returns 0 or -errno. */
    public int shutdown(int fd, int how) {
        int r;
        try {
            r = (int) Libc.SHUTDOWN.invokeExact(capture, fd, how);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        return r < 0 ? -lastErrno() : r;
    }

    /** close(2). Returns 0 or -errno. Never retry on -EINTR: Linux has already released the descriptor. */
    public int close(int fd) {
        int r;
        try {
            r = (int) Libc.CLOSE.invokeExact(capture, fd);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        return r < 0 ? -lastErrno() : r;
    }

    /**
     * poll(2) on the single descriptor {@code fd}. Returns its revents (0 on timeout; POLLNVAL
     * for a bad descriptor) or -errno.
     */
    public int poll1(int fd, short events, int timeoutMillis) {
        scratch.set(JAVA_INT, POLLFD, fd);
        scratch.set(JAVA_SHORT, POLLFD + 4, events);
        scratch.set(JAVA_SHORT, POLLFD + 6, (short) 0);
        int r;
        try {
            r = (int) Libc.POLL.invokeExact(capture, base + POLLFD, 1L, timeoutMillis);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        if (r < 0) {
            return -lastErrno();
        }
        return r == 0 ? 0 : scratch.get(JAVA_SHORT, POLLFD + 6) & 0xFFFF;
    }

    /** Adds {@code value} to an eventfd counter, waking its waiters. Returns 0 or -errno. */
    public int eventfdWrite(int fd, long value) {
        scratch.set(JAVA_LONG, COUNTER, value);
        long r = write(fd, base + COUNTER, 8);
        return r < 0 ? (int) r : 0;
    }

    /** Reads and resets an eventfd counter. Returns the counter or -errno (-EAGAIN if zero and non-blocking). */
    public long eventfdRead(int fd) {
        long r = read(fd, base + COUNTER, 8);
        return r < 0 ? r : scratch.get(JAVA_LONG, COUNTER);
    }
}
