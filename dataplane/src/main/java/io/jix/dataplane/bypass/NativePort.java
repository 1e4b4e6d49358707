package io.jix.dataplane.bypass;

import io.jix.dataplane.BackendKind;
import io.jix.dataplane.loop.Counters;
import io.jix.nic.NicQueue;
import io.jix.nic.packet.PacketPort;
import io.jix.nic.xdp.XdpConfig;
import io.jix.nic.xdp.XdpPort;
import io.jix.stack.NetStackConfig;
import io.jix.sys.Interfaces;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import java.util.function.Function;

/**
 * The NIC queues a native dataplane runs on, opened once on the starting thread: queue {@code q}
 * is flow group {@code q}, which exactly one elastic thread owns at a time. Closing it releases
 * the port (detaching the XDP program).
 */
public final class NativePort implements AutoCloseable {

    private final List<? extends NicQueue> queues;
    private final byte[] mac;
    private final AutoCloseable port;
    private final ArpShare arp = new ArpShare();

    private NativePort(List<? extends NicQueue> queues, byte[] mac, AutoCloseable port) {
        this.queues = queues;
        this.mac = mac;
        this.port = port;
    }

    /**
     * Opens the queues of {@code kind}: an AF_XDP or AF_PACKET port on {@code interfaceName} with
     * {@code count} queues (0: all of them), or the caller's {@code given} queues.
     */
    public static NativePort open(BackendKind kind, String interfaceName, InetAddress address, int count,
                                  List<? extends NicQueue> given, byte[] givenMac) {
        if (!(address instanceof Inet4Address v4)) {
            throw new IllegalArgumentException("the native backends serve an IPv4 address; got " + address);
        }
        if (kind == BackendKind.QUEUES) {
            return new NativePort(given, givenMac, null);
        }
        if (interfaceName == null) {
            throw new IllegalArgumentException("backend " + kind.name().toLowerCase() + " needs an interface (--interface)");
        }
        byte[] mac = Interfaces.mac(interfaceName);
        int available = XdpPort.queueCount(interfaceName);
        int n = count == 0 ? available : count;
        if (n > available) {
            throw new IllegalArgumentException(interfaceName + " has " + available + " queues; asked for " + n);
        }
        return switch (kind) {
            case XDP -> {
                XdpPort port = XdpPort.open(interfaceName, v4, XdpConfig.DEFAULT);
                if (n < available) {
                    port.close();
                    throw new IllegalArgumentException("the XDP backend takes every queue of " + interfaceName
                            + " (" + available + "): frames on a queue nobody polls would be lost");
                }
                yield new NativePort(port.queues(), mac, port);
            }
            case PACKET -> {
                PacketPort port = PacketPort.open(interfaceName, n);
                yield new NativePort(port.queues(), mac, port);
            }
            default -> throw new IllegalArgumentException("not a native backend: " + kind);
        };
    }

    public List<? extends NicQueue> queues() {
        return queues;
    }

    /** The backend of flow group {@code group}: this port's queue {@code group} and a stack instance on it. */
    public BypassBackend backend(int group, Function<NicQueue, NetStackConfig> stackConfig,
                                 BypassBackend.Options options, int batchCap, Counters counters) {
        return new BypassBackend(group, List.of(queues.get(group)), stackConfig, options, batchCap, counters, arp);
    }

    public byte[] mac() {
        return mac.clone();
    }

    @Override
    public void close() {
        if (port != null) {
            try {
                port.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + port + ": " + e, e);
            }
        } else {
            queues.forEach(NicQueue::close);
        }
    }
}
