package io.jix.nic.xdp;

import io.jix.sys.Bpf;
import io.jix.sys.Errno;
import io.jix.sys.Interfaces;
import io.jix.sys.SysException;
import io.jix.sys.Syscalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * jix on one interface through AF_XDP: one {@link XdpQueue} per receive queue of the interface
 * (all of them: a queue without a socket would leak jix's traffic to the kernel), an XSKMAP
 * holding each socket at its queue index, and the {@link XdpSteering} program attached with a
 * BPF link, native (driver) mode first and generic (skb) mode as the fallback.
 *
 * <p>The attachment belongs to the link descriptor: {@link #close()} closes it (detaching the
 * program), then the sockets and their memory. If the process dies the kernel closes the
 * descriptor and the program goes with it; nothing is pinned in bpffs.
 *
 * <p>Each queue is then handed to its own elastic thread; the port itself is set-up only.
 */
public final class XdpPort implements AutoCloseable {

    /** How the program is attached. */
    public enum Mode {
        /** In the driver, before an skb exists. */
        NATIVE,
        /** In the kernel's generic path, after the skb is built: works everywhere, slower. */
        GENERIC
    }

    private static final int EBUSY = 16;

    private final String ifname;
    private final int ifindex;
    private final Inet4Address address;
    private final List<XdpQueue> queues;
    private final int mapFd;
    private final int progFd;
    private final int linkFd;
    private final Mode mode;
    private final Syscalls sys = new Syscalls();
    private boolean closed;

    private XdpPort(String ifname, int ifindex, Inet4Address address, List<XdpQueue> queues, int mapFd,
            int progFd, int linkFd, Mode mode) {
        this.ifname = ifname;
        this.ifindex = ifindex;
        this.address = address;
        this.queues = List.copyOf(queues);
        this.mapFd = mapFd;
        this.progFd = progFd;
        this.linkFd = linkFd;
        this.mode = mode;
    }

    /**
     * Opens every queue of {@code ifname}, loads the steering program for {@code address} and
     * attaches it. Throws {@link SysException} (the verifier log included when loading fails)
     * and leaves nothing behind on failure.
     */
    public static XdpPort open(String ifname, Inet4Address address, XdpConfig config) {
        int ifindex = Interfaces.index(ifname);
        int count = queueCount(ifname);
        List<XdpQueue> queues = new ArrayList<>();
        Syscalls sys = new Syscalls();
        int mapFd = -1;
        int progFd = -1;
        try {
            for (int q = 0; q < count; q++) {
                queues.add(XdpQueue.open(ifindex, q, config));
            }
            mapFd = Bpf.mapCreate(Bpf.MAP_TYPE_XSKMAP, 4, 4, count, "jix_xsks");
            for (XdpQueue q : queues) {
                Bpf.mapUpdate(mapFd, q.queueId(), q.fd());
            }
            progFd = XdpSteering.load(mapFd, address);
            Mode mode = Mode.NATIVE;
            int link = Bpf.tryLinkCreate(progFd, ifindex, Bpf.ATTACH_XDP, Bpf.XDP_FLAGS_DRV_MODE);
            if (link < 0) {
                int nativeErr = link;
                mode = Mode.GENERIC;
                link = Bpf.tryLinkCreate(progFd, ifindex, Bpf.ATTACH_XDP, Bpf.XDP_FLAGS_SKB_MODE);
                if (link < 0) {
                    throw new SysException("bpf", link, "BPF_LINK_CREATE XDP on " + ifname + " (native mode: "
                            + Errno.describe(nativeErr) + "; generic mode, this error)"
                            + (link == -EBUSY || nativeErr == -EBUSY
                                    ? " - another XDP program is attached already" : ""));
                }
            }
            return new XdpPort(ifname, ifindex, address, queues, mapFd, progFd, link, mode);
        } catch (RuntimeException e) {
            if (progFd >= 0) {
                sys.close(progFd);
            }
            if (mapFd >= 0) {
                sys.close(mapFd);
            }
            for (XdpQueue q : queues) {
                q.close();
            }
            throw e;
        }
    }

    /** The number of receive queues of {@code ifname}, from {@code /sys/class/net/<if>/queues/rx-*}. */
    public static int queueCount(String ifname) {
        Path dir = Path.of("/sys/class/net", ifname, "queues");
        try (Stream<Path> s = Files.list(dir)) {
            int n = (int) s.filter(p -> p.getFileName().toString().startsWith("rx-")).count();
            if (n == 0) {
                throw new IllegalStateException(dir + " lists no rx-* queue");
            }
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the queues of " + ifname, e);
        }
    }

    public List<XdpQueue> queues() {
        return queues;
    }

    public XdpQueue queue(int index) {
        return queues.get(index);
    }

    /** How the program is attached. */
    public Mode mode() {
        return mode;
    }

    public String interfaceName() {
        return ifname;
    }

    public int interfaceIndex() {
        return ifindex;
    }

    /** The address whose traffic the program steers to jix. */
    public Inet4Address address() {
        return address;
    }

    /** The kernel's id of the loaded program (as {@code ip link} shows it). */
    public int programId() {
        return fdinfo(progFd, "prog_id");
    }

    /** The kernel's id of the XSKMAP. */
    public int mapId() {
        return fdinfo(mapFd, "map_id");
    }

    /** A number from {@code /proc/self/fdinfo/<fd>}, e.g. {@code prog_id}. */
    static int fdinfo(int fd, String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo", Integer.toString(fd)),
                    StandardCharsets.UTF_8)) {
                if (line.startsWith(key + ":")) {
                    return Integer.parseInt(line.substring(key.length() + 1).strip());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("fd " + fd + " has no " + key + " in its fdinfo");
    }

    /** Detaches the program (closes the link), then closes the map, the program and every queue. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        sys.close(linkFd);
        sys.close(progFd);
        sys.close(mapFd);
        for (XdpQueue q : queues) {
            q.close();
        }
    }

    @Override
    public String toString() {
        return "XdpPort[" + ifname + ", " + address.getHostAddress() + ", " + queues.size() + " queues, "
                + mode.name().toLowerCase() + " mode, " + (queues.get(0).zeroCopy() ? "zero-copy" : "copy") + "]";
    }
}
