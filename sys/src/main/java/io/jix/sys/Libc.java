package io.jix.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The downcall handles, one per libc function, called with {@code invokeExact} so that no
 * argument is boxed. Pointers are declared {@code JAVA_LONG} (identical to a pointer in the
 * x86_64 ABI) so callers hand over raw addresses instead of slicing segments per call.
 *
 * <p>The handles that capture errno are deliberately <em>not</em> final. With
 * {@code captureCallState} the JDK slices the capture segment on every call
 * (SharedUtils.checkCaptureSegment) and relies on escape analysis to remove that 40-byte
 * object. If C2 inlines the whole downcall into a large caller it can run out of node budget
 * half-way (NodeCountInliningCutoff), leave {@code asSlice} out of line and allocate on every
 * call; ZeroAllocationTest caught exactly that with final handles. C2 does not treat a
 * non-final static as a constant, so it never inlines through these handles: each call goes
 * through the handle's own customized LambdaForm, a small compilation unit of its own in which
 * the slice is always scalar-replaced. The price is one indirect call per syscall. The fields
 * are assigned once, here, and never again.
 */
final class Libc {
    private Libc() {}

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");

    /** Layout of the capture buffer the linker writes errno into. */
    static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    static final long ERRNO_OFFSET =
            CAPTURE_LAYOUT.byteOffset(MemoryLayout.PathElement.groupElement("errno"));

    private static final ValueLayout I = JAVA_INT;
    private static final ValueLayout L = JAVA_LONG;

    // Hot path. The first argument is the capture segment.
    static MethodHandle ACCEPT4 = errno("accept4", I, I, L, L, I);
    static MethodHandle CONNECT = errno("connect", I, I, L, I);
    static MethodHandle RECV = errno("recv", L, I, L, L, I);
    static MethodHandle SEND = errno("send", L, I, L, L, I);
    static MethodHandle WRITEV = errno("writev", L, I, L, I);
    static MethodHandle RECVFROM = errno("recvfrom", L, I, L, L, I, L, L);
    static MethodHandle SENDTO = errno("sendto", L, I, L, L, I, L, I);
    static MethodHandle EPOLL_WAIT = errno("epoll_wait", I, I, L, I, I);
    static MethodHandle READ = errno("read", L, I, L, L);
    static MethodHandle WRITE = errno("write", L, I, L, L);
    static MethodHandle SHUTDOWN = errno("shutdown", I, I, I);
    static MethodHandle CLOSE = errno("close", I, I);
    static MethodHandle POLL = errno("poll", I, L, L, I);

    // Setup.
    static MethodHandle SOCKET = errno("socket", I, I, I, I);
    static MethodHandle SETSOCKOPT = errno("setsockopt", I, I, I, I, L, I);
    static MethodHandle GETSOCKOPT = errno("getsockopt", I, I, I, I, L, L);
    static MethodHandle BIND = errno("bind", I, I, L, I);
    static MethodHandle LISTEN = errno("listen", I, I, I);
    static MethodHandle GETSOCKNAME = errno("getsockname", I, I, L, L);
    static MethodHandle GETPEERNAME = errno("getpeername", I, I, L, L);
    static MethodHandle EPOLL_CREATE1 = errno("epoll_create1", I, I);
    static MethodHandle EPOLL_CTL = errno("epoll_ctl", I, I, I, I, L);
    static MethodHandle EVENTFD = errno("eventfd", I, I, I);
    static MethodHandle SCHED_GETAFFINITY = errno("sched_getaffinity", I, I, L, L);
    static MethodHandle SCHED_SETAFFINITY = errno("sched_setaffinity", I, I, L, L);
    static MethodHandle GETRLIMIT = errno("getrlimit", I, I, L);
    static MethodHandle SETRLIMIT = errno("setrlimit", I, I, L);
    static MethodHandle MMAP = errno("mmap", L, L, L, I, I, I, L);
    static MethodHandle MUNMAP = errno("munmap", I, L, L);
    static MethodHandle IF_NAMETOINDEX = errno("if_nametoindex", I, L);

    // Cannot fail, so nothing to capture, no slice, and final is safe.
    static final MethodHandle SCHED_GETCPU = plain("sched_getcpu", I);
    static final MethodHandle GETEUID = plain("geteuid", I);
    static final MethodHandle GETPID = plain("getpid", I);
    static final MethodHandle GETTID = gettid();

    /** A handle that captures errno; for bindings in other classes of this package. */
    static MethodHandle errno(String name, ValueLayout result, ValueLayout... args) {
        return LINKER.downcallHandle(symbol(name), FunctionDescriptor.of(result, args), ERRNO);
    }

    /** A handle for a call that cannot fail. */
    static MethodHandle plain(String name, ValueLayout result, ValueLayout... args) {
        return LINKER.downcallHandle(symbol(name), FunctionDescriptor.of(result, args));
    }

    private static MemorySegment symbol(String name) {
        return LIBC.find(name).orElseThrow(
                () -> new UnsatisfiedLinkError("libc has no symbol " + name));
    }

    /** glibc only gained a gettid() wrapper in 2.30; older ones need the raw syscall. */
    private static MethodHandle gettid() {
        if (LIBC.find("gettid").isPresent()) {
            return plain("gettid", I);
        }
        final long sysGettid = 186; // x86_64
        MethodHandle syscall = LINKER.downcallHandle(symbol("syscall"),
                FunctionDescriptor.of(L, L), Linker.Option.firstVariadicArg(1));
        MethodHandle bound = MethodHandles.insertArguments(syscall, 0, sysGettid);
        return MethodHandles.explicitCastArguments(
                bound, MethodType.methodType(int.class));
    }

    /** The errno a call captured into {@code capture}. */
    static int errnoOf(MemorySegment capture) {
        return capture.get(JAVA_INT, ERRNO_OFFSET);
    }

    /**
     * invokeExact declares Throwable, but a downcall only throws for programming errors (wrong
     * type, closed arena). Surface those unchanged instead of hiding them in a checked wrapper.
     */
    static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed", t);
    }
}
