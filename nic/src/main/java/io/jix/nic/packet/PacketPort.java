package io.jix.nic.packet;

import io.jix.nic.NicQueue;
import io.jix.sys.Interfaces;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The AF_PACKET queues of one interface: {@code N} {@link PacketQueue}s in one
 * {@code PACKET_FANOUT_HASH} group, so the kernel hashes each flow to one of them (the software
 * counterpart of RSS) and each elastic thread polls its own queue. The group id is picked by the
 * kernel ({@code PACKET_FANOUT_FLAG_UNIQUEID}) when the first queue joins and reused by the others,
 * so two ports, in one process or several, never share a group by accident.
 *
 * <p><b>Its honest limit.</b> AF_PACKET taps frames; it does not take them away. The kernel's own
 * stack still receives every frame on the interface, and answers for the addresses it owns: ARP
 * for them, ICMP echo, a TCP RST for any segment to a port it has no socket for. So a dataplane on
 * AF_PACKET must serve an IP address the kernel does <em>not</em> have on that interface (the
 * kernel then ignores that traffic: it is not addressed to it and forwarding is off), and jix
 * answers ARP for that address with the interface's MAC ({@link #mac()}). Every queue also sees,
 * and must ignore, all the other traffic on the link: nothing is steered away from jix either.
 * AF_XDP with its steering program has neither problem and is the driver to use where it exists.
 *
 * <p>Opening needs {@code CAP_NET_RAW}.
 */
public final class PacketPort implements AutoCloseable {

    private final String name;
    private final int ifindex;
    private final byte[] mac;
    private final List<PacketQueue> queues;
    private final int fanoutGroup;
    private boolean closed;

    private PacketPort(String name, int ifindex, byte[] mac, List<PacketQueue> queues) {
        this.name = name;
        this.ifindex = ifindex;
        this.mac = mac;
        this.queues = List.copyOf(queues);
        this.fanoutGroup = queues.getFirst().fanoutGroup();
    }

    /** {@link #open(String, int, PacketConfig)} with {@link PacketConfig#defaults()}. */
    public static PacketPort open(String interfaceName, int queueCount) {
        return open(interfaceName, queueCount, PacketConfig.defaults());
    }

    /**
     * Opens {@code queueCount} queues on {@code interfaceName}, all in one new fanout group. Throws
     * {@link io.jix.sys.SysException} naming the failing call (EPERM without CAP_NET_RAW); the
     * queues opened so far are closed then.
     */
    public static PacketPort open(String interfaceName, int queueCount, PacketConfig config) {
        if (queueCount < 1) {
            throw new IllegalArgumentException("at least one queue: " + queueCount);
        }
        int ifindex = Interfaces.index(interfaceName);
        byte[] mac = readMac(interfaceName);
        List<PacketQueue> opened = new ArrayList<>(queueCount);
        try {
            int group = -1;
            for (int q = 0; q < queueCount; q++) {
                PacketQueue queue = PacketQueue.open(ifindex, q, group, config);
                opened.add(queue);
                group = queue.fanoutGroup();
            }
        } catch (RuntimeException | Error e) {
            opened.forEach(PacketQueue::close);
            throw e;
        }
        return new PacketPort(interfaceName, ifindex, mac, opened);
    }

    private static byte[] readMac(String interfaceName) {
        Path path = Path.of("/sys/class/net", interfaceName, "address");
        String text;
        try {
            text = Files.readString(path).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the MAC address of " + interfaceName + " from " + path, e);
        }
        String[] parts = text.split(":");
        if (parts.length != 6) {
            throw new IllegalStateException(interfaceName + " has no Ethernet address: " + text);
        }
        byte[] mac = new byte[6];
        for (int i = 0; i < 6; i++) {
            mac[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        return mac;
    }

    /** The interface name. */
    public String interfaceName() {
        return name;
    }

    /** The interface index. */
    public int ifindex() {
        return ifindex;
    }

    /** The interface's MAC address (a copy): the source address of what jix sends, the one ARP answers with. */
    public byte[] mac() {
        return mac.clone();
    }

    /** The fanout group id the kernel gave this port's queues. */
    public int fanoutGroup() {
        return fanoutGroup;
    }

    /** Number of queues. */
    public int queueCount() {
        return queues.size();
    }

    /** Queue {@code i}, for the elastic thread that will own it. */
    public PacketQueue queue(int i) {
        return queues.get(i);
    }

    /** All queues, in order. */
    public List<NicQueue> queues() {
        return List.copyOf(queues);
    }

    /** Closes every queue. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (PacketQueue q : queues) {
            q.close();
        }
    }

    @Override
    public String toString() {
        return "AF_PACKET " + name + " (ifindex " + ifindex + "), " + queues.size() + " queue(s), fanout group "
                + fanoutGroup;
    }
}
