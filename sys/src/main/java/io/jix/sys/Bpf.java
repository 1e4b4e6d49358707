package io.jix.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * The {@code bpf(2)} system call (x86_64 number 321, reached through libc's variadic
 * {@code syscall}), for the few commands an XDP dataplane needs: create a map, update it, load a
 * program (with the verifier's log on failure), attach it with a BPF link, run it on test input,
 * and find objects by id. Set-up calls: they throw {@link SysException}. {@code union bpf_attr}
 * is laid out by hand in a zeroed 144-byte block, as the kernel requires unused fields to be zero.
 */
public final class Bpf {

    private Bpf() {
    }

    // Commands (enum bpf_cmd).
    public static final int MAP_CREATE = 0;
    public static final int MAP_LOOKUP_ELEM = 1;
    public static final int MAP_UPDATE_ELEM = 2;
    public static final int MAP_DELETE_ELEM = 3;
    public static final int PROG_LOAD = 5;
    public static final int OBJ_PIN = 6;
    public static final int PROG_TEST_RUN = 10;
    public static final int PROG_GET_FD_BY_ID = 13;
    public static final int MAP_GET_FD_BY_ID = 14;
    public static final int LINK_CREATE = 28;

    /** {@code BPF_MAP_TYPE_XSKMAP}: AF_XDP sockets by index. */
    public static final int MAP_TYPE_XSKMAP = 17;
    /** {@code BPF_PROG_TYPE_XDP}. */
    public static final int PROG_TYPE_XDP = 6;
    /** {@code BPF_PROG_TYPE_SCHED_CLS}: a tc classifier ({@code cls_bpf}), run on an skb. */
    public static final int PROG_TYPE_SCHED_CLS = 3;
    /** {@code TC_ACT_OK}: a direct-action tc program lets the packet continue. */
    public static final int TC_ACT_OK = 0;
    /** {@code BPF_XDP}, the attach type for XDP links. */
    public static final int ATTACH_XDP = 37;

    /** Link flags for XDP: generic (skb) mode and native (driver) mode. */
    public static final int XDP_FLAGS_SKB_MODE = 2;
    public static final int XDP_FLAGS_DRV_MODE = 4;

    /** XDP program return codes. */
    public static final int XDP_ABORTED = 0;
    public static final int XDP_DROP = 1;
    public static final int XDP_PASS = 2;
    public static final int XDP_TX = 3;
    public static final int XDP_REDIRECT = 4;

    /** Map update flag {@code BPF_ANY}. */
    public static final long ANY = 0;

    private static final long SYS_BPF = 321; // x86_64
    private static final int ATTR_SIZE = 144;
    private static final int LOG_SIZE = 1 << 20;
    private static final int OBJ_NAME_LEN = 16;

    /**
     * {@code long syscall(long number, ...)} with three variadic longs. Not final, like the
     * errno-capturing handles in {@link Libc} (see its comment), though nothing here is hot.
     */
    static MethodHandle SYSCALL3 = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));

    /** bpf(cmd, attr, size): the result, or -errno. */
    private static long call(int cmd, MemorySegment attr, MemorySegment capture) {
        long r;
        try {
            r = (long) SYSCALL3.invokeExact(capture, SYS_BPF, (long) cmd, attr.address(), (long) ATTR_SIZE);
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
        return r < 0 ? -Libc.errnoOf(capture) : r;
    }

    private static void name(MemorySegment attr, long offset, String name) {
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        if (b.length >= OBJ_NAME_LEN) {
            throw new IllegalArgumentException("BPF object names are at most 15 characters: " + name);
        }
        MemorySegment.copy(b, 0, attr, JAVA_BYTE, offset, b.length);
    }

    /**
     * BPF_MAP_CREATE.
     *
     * @param name up to 15 characters of [A-Za-z0-9_.], shown by the kernel; may be empty
     * @return the map's file descriptor (close-on-exec)
     */
    public static int mapCreate(int type, int keySize, int valueSize, int maxEntries, String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            MemorySegment capture = arena.allocate(Libc.CAPTURE_LAYOUT);
            attr.set(JAVA_INT, 0, type);
            attr.set(JAVA_INT, 4, keySize);
            attr.set(JAVA_INT, 8, valueSize);
            attr.set(JAVA_INT, 12, maxEntries);
            name(attr, 28, name);
            long r = call(MAP_CREATE, attr, capture);
            if (r < 0) {
                throw new SysException("bpf", (int) r, "BPF_MAP_CREATE type " + type + ", key " + keySize
                        + ", value " + valueSize + ", entries " + maxEntries);
            }
            return (int) r;
        }
    }

    /** BPF_MAP_UPDATE_ELEM for a map with 4-byte keys and values (an XSKMAP: queue index to socket fd). */
    public static void mapUpdate(int mapFd, int key, int value) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            MemorySegment capture = arena.allocate(Libc.CAPTURE_LAYOUT);
            MemorySegment kv = arena.allocate(8, 8);
            kv.set(JAVA_INT, 0, key);
            kv.set(JAVA_INT, 4, value);
            attr.set(JAVA_INT, 0, mapFd);
            attr.set(JAVA_LONG, 8, kv.address());
            attr.set(JAVA_LONG, 16, kv.address() + 4);
            attr.set(JAVA_LONG, 24, ANY);
            long r = call(MAP_UPDATE_ELEM, attr, capture);
            if (r < 0) {
                throw new SysException("bpf", (int) r, "BPF_MAP_UPDATE_ELEM map fd " + mapFd + ", key " + key
                        + ", value " + value);
            }
        }
    }

    /** BPF_MAP_DELETE_ELEM for a 4-byte key. Returns 0 or -errno (-ENOENT when absent). */
    public static int mapDelete(int mapFd, int key) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            MemorySegment capture = arena.allocate(Libc.CAPTURE_LAYOUT);
            MemorySegment k = arena.allocate(4, 4);
            k.set(JAVA_INT, 0, key);
            attr.set(JAVA_INT, 0, mapFd);
            attr.set(JAVA_LONG, 8, k.address());
            return (int) call(MAP_DELETE_ELEM, attr, capture);
        }
    }

    /**
     * BPF_PROG_LOAD of {@code insns} (8-byte instructions, as {@link BpfAssembler} makes them). On
     * failure the exception's message carries the verifier's log: the program is loaded a second
     * time with log level 1, so that a successful load pays for no log buffer.
     *
     * @param name up to 15 characters, shown by the kernel ({@code ip link}, fdinfo)
     * @return the program's file descriptor (close-on-exec)
     */
    public static int progLoad(int progType, long[] insns, String license, String name, int expectedAttachType) {
        long r = progLoad(progType, insns, license, name, expectedAttachType, null);
        if (r >= 0) {
            return (int) r;
        }
        StringBuilder log = new StringBuilder();
        long again = progLoad(progType, insns, license, name, expectedAttachType, log);
        if (again >= 0) {
            return (int) again; // Loaded on the second try: nothing to report.
        }
        throw new SysException("bpf", (int) r, "BPF_PROG_LOAD type " + progType + ", " + insns.length
                + " instructions, verifier log:\n" + (log.isEmpty() ? "(empty)" : log.toString().strip()) + "\n");
    }

    private static long progLoad(int progType, long[] insns, String license, String name, int expectedAttachType,
            StringBuilder log) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            MemorySegment capture = arena.allocate(Libc.CAPTURE_LAYOUT);
            MemorySegment code = arena.allocate(8L * insns.length, 8);
            for (int i = 0; i < insns.length; i++) {
                code.set(BpfAssembler.INSN, 8L * i, insns[i]);
            }
            MemorySegment lic = arena.allocateFrom(license);
            MemorySegment buf = log == null ? MemorySegment.NULL : arena.allocate(LOG_SIZE);
            attr.set(JAVA_INT, 0, progType);
            attr.set(JAVA_INT, 4, insns.length);
            attr.set(JAVA_LONG, 8, code.address());
            attr.set(JAVA_LONG, 16, lic.address());
            if (log != null) {
                attr.set(JAVA_INT, 24, 1);
                attr.set(JAVA_INT, 28, LOG_SIZE);
                attr.set(JAVA_LONG, 32, buf.address());
            }
            name(attr, 48, name);
            attr.set(JAVA_INT, 68, expectedAttachType);
            long r = call(PROG_LOAD, attr, capture);
            if (log != null) {
                log.append(buf.getString(0, StandardCharsets.UTF_8));
            }
            return r;
        }
    }

    /**
     * BPF_LINK_CREATE: attaches {@code progFd} to interface {@code ifindex}. The attachment lives
     * as long as the returned descriptor: closing it (or the death of the process) detaches.
     *
     * @param flags for XDP, {@link #XDP_FLAGS_DRV_MODE} or {@link #XDP_FLAGS_SKB_MODE}
     * @return the link's file descriptor (close-on-exec)
     */
    public static int linkCreate(int progFd, int ifindex, int attachType, int flags) {
        long r = tryLinkCreate(progFd, ifindex, attachType, flags);
        if (r < 0) {
            throw new SysException("bpf", (int) r, "BPF_LINK_CREATE prog fd " + progFd + ", ifindex " + ifindex
                    + ", attach type " + attachType + ", flags " + flags);
        }
        return (int) r;
    }

    /** {@link #linkCreate} returning -errno instead of throwing, for callers that try a fallback. */
    public static int tryLinkCreate(int progFd, int ifindex, int attachType, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            MemorySegment capture = arena.allocate(Libc.CAPTURE_LAYOUT);
            attr.set(JAVA_INT, 0, progFd);
            attr.set(JAVA_INT, 4, ifindex);
            attr.set(JAVA_INT, 8, attachType);
            attr.set(JAVA_INT, 12, flags);
            return (int) call(LINK_CREATE, attr, capture);
        }
    }

    /**
     * BPF_PROG_TEST_RUN: runs {@code progFd} once on a copy of {@code data} and returns the
     * program's return value (for XDP, the action).
     *
     * @param xdpCtx a {@code struct xdp_md} (24 bytes) to run with, or null for the kernel's
     *     default (queue 0 of the loopback device)
     */
    public static int progTestRun(int progFd, byte[] data, byte[] xdpCtx) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            MemorySegment capture = arena.allocate(Libc.CAPTURE_LAYOUT);
            MemorySegment in = arena.allocate(Math.max(1, data.length), 8);
            MemorySegment.copy(data, 0, in, JAVA_BYTE, 0, data.length);
            MemorySegment out = arena.allocate(data.length + 4096L, 8);
            attr.set(JAVA_INT, 0, progFd);
            attr.set(JAVA_INT, 8, data.length);
            attr.set(JAVA_INT, 12, (int) out.byteSize());
            attr.set(JAVA_LONG, 16, in.address());
            attr.set(JAVA_LONG, 24, out.address());
            attr.set(JAVA_INT, 32, 1);
            if (xdpCtx != null) {
                MemorySegment ctx = arena.allocate(xdpCtx.length, 8);
                MemorySegment.copy(xdpCtx, 0, ctx, JAVA_BYTE, 0, xdpCtx.length);
                attr.set(JAVA_INT, 40, xdpCtx.length);
                attr.set(JAVA_LONG, 48, ctx.address());
            }
            long r = call(PROG_TEST_RUN, attr, capture);
            if (r < 0) {
                throw new SysException("bpf", (int) r, "BPF_PROG_TEST_RUN prog fd " + progFd + ", "
                        + data.length + " bytes");
            }
            return attr.get(JAVA_INT, 4);
        }
    }

    /**
     * BPF_OBJ_PIN: gives {@code fd}'s program, map or link the name {@code path} on a mounted bpffs,
     * so that another process ({@code tc ... object-pinned}) can open it. The object lives as long
     * as the name or any other reference; {@code unlink} removes the name.
     */
    public static void objPin(int fd, String path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            MemorySegment capture = arena.allocate(Libc.CAPTURE_LAYOUT);
            MemorySegment name = arena.allocateFrom(path);
            attr.set(JAVA_LONG, 0, name.address());
            attr.set(JAVA_INT, 8, fd);
            long r = call(OBJ_PIN, attr, capture);
            if (r < 0) {
                throw new SysException("bpf", (int) r, "BPF_OBJ_PIN fd " + fd + " at " + path);
            }
        }
    }

    /** BPF_PROG_GET_FD_BY_ID: a new descriptor for program {@code id}, or -errno (-ENOENT once it is gone). */
    public static int progFdById(int id) {
        return byId(PROG_GET_FD_BY_ID, id);
    }

    /** BPF_MAP_GET_FD_BY_ID: a new descriptor for map {@code id}, or -errno (-ENOENT once it is gone). */
    public static int mapFdById(int id) {
        return byId(MAP_GET_FD_BY_ID, id);
    }

    private static int byId(int cmd, int id) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            MemorySegment capture = arena.allocate(Libc.CAPTURE_LAYOUT);
            attr.set(JAVA_INT, 0, id);
            return (int) call(cmd, attr, capture);
        }
    }
}
