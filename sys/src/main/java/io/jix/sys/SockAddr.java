package io.jix.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/**
 * A reusable flyweight over one native {@code sockaddr_storage} (128 bytes) followed by the
 * {@code socklen_t} that accept4/recvfrom write back, so the data path can name peers without
 * allocating. Holds IPv4 ({@code sockaddr_in}) and IPv6 ({@code sockaddr_in6}) addresses.
 * Not thread-safe. The memory lives as long as the arena given to the constructor.
 */
public final class SockAddr {
    /** sizeof(struct sockaddr_storage). */
    public static final int STORAGE_SIZE = 128;
    /** sizeof(struct sockaddr_in). */
    public static final int IPV4_SIZE = 16;
    /** sizeof(struct sockaddr_in6). */
    public static final int IPV6_SIZE = 28;

    private static final ValueLayout.OfShort NET_SHORT = JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt NET_INT = JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong NET_LONG = JAVA_LONG.withOrder(ByteOrder.BIG_ENDIAN);

    private static final long FAMILY = 0;
    private static final long PORT = 2;
    private static final long IN_ADDR = 4;
    private static final long IN_ZERO = 8;
    private static final long IN6_FLOWINFO = 4;
    private static final long IN6_ADDR = 8;
    private static final long IN6_SCOPE_ID = 24;
    private static final long LENGTH_SLOT = STORAGE_SIZE;

    private final MemorySegment segment;
    private final long address;
    private int length;

    /** Allocates the struct and its socklen slot once, from {@code arena}; starts empty. */
    public SockAddr(Arena arena) {
        this.segment = arena.allocate(STORAGE_SIZE + 8, 8);
        this.address = segment.address();
    }

    /** Native address of the struct, for syscalls. */
    public long address() {
        return address;
    }

    /**
     * Bytes of the struct that are meaningful: 16 for IPv4, 28 for IPv6, or what the kernel
     * reported through {@link #setLength} after a receive; 0 while empty.
     */
    public int length() {
        return length;
    }

    /** Records the length the kernel wrote to {@link #lengthSlot()}, capped at the storage size. */
    public void setLength(int length) {
        this.length = Math.min(Math.max(length, 0), STORAGE_SIZE);
    }

    /** Native address of the socklen_t that accept4/recvfrom read and write. */
    public long lengthSlot() {
        return address + LENGTH_SLOT;
    }

    /** Resets the socklen slot to the full storage size before the kernel writes a peer into it. */
    public void prepareForReceive() {
        segment.set(JAVA_INT, LENGTH_SLOT, STORAGE_SIZE);
    }

    /** The kernel-written socklen, as found in {@link #lengthSlot()}. */
    int lengthSlotValue() {
        return segment.get(JAVA_INT, LENGTH_SLOT);
    }

    /** Writes {@code a} (must be resolved) in network byte order. Allocates a little: InetAddress copies its bytes. */
    public SockAddr set(InetSocketAddress a) {
        InetAddress ip = a.getAddress();
        if (ip == null) {
            throw new IllegalArgumentException("unresolved address: " + a);
        }
        if (ip instanceof Inet4Address v4) {
            byte[] b = v4.getAddress();
            return setIpv4((b[0] & 0xFF) << 24 | (b[1] & 0xFF) << 16 | (b[2] & 0xFF) << 8 | b[3] & 0xFF,
                    a.getPort());
        }
        Inet6Address v6 = (Inet6Address) ip;
        return setIpv6(v6.getAddress(), a.getPort(), v6.getScopeId());
    }

    /** Makes this an IPv4 address; {@code ipv4HostOrder} is e.g. 0x7F000001 for 127.0.0.1. */
    public SockAddr setIpv4(int ipv4HostOrder, int port) {
        checkPort(port);
        segment.set(JAVA_SHORT, FAMILY, (short) Net.AF_INET);
        segment.set(NET_SHORT, PORT, (short) port);
        segment.set(NET_INT, IN_ADDR, ipv4HostOrder);
        segment.set(JAVA_LONG, IN_ZERO, 0L);
        length = IPV4_SIZE;
        return this;
    }

    /** Makes this an IPv6 address from its 16 bytes (network order). */
    public SockAddr setIpv6(byte[] addr16, int port, int scopeId) {
        if (addr16.length != 16) {
            throw new IllegalArgumentException("IPv6 address needs 16 bytes, got " + addr16.length);
        }
        checkPort(port);
        segment.set(JAVA_SHORT, FAMILY, (short) Net.AF_INET6);
        segment.set(NET_SHORT, PORT, (short) port);
        segment.set(JAVA_INT, IN6_FLOWINFO, 0);
        MemorySegment.copy(addr16, 0, segment, ValueLayout.JAVA_BYTE, IN6_ADDR, 16);
        segment.set(JAVA_INT, IN6_SCOPE_ID, scopeId);
        length = IPV6_SIZE;
        return this;
    }

    private static void checkPort(int port) {
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** The address family (AF_INET, AF_INET6, or 0 while empty). */
    public int family() {
        return segment.get(JAVA_SHORT, FAMILY) & 0xFFFF;
    }

    /** The port, in host order. */
    public int port() {
        return segment.get(NET_SHORT, PORT) & 0xFFFF;
    }

    /** The IPv4 address in host order; meaningful only when {@code family() == AF_INET}. */
    public int ipv4() {
        return segment.get(NET_INT, IN_ADDR);
    }

    /** The first 8 bytes of the IPv6 address as a big-endian long (AF_INET6 only). */
    public long ipv6High() {
        return segment.get(NET_LONG, IN6_ADDR);
    }

    /** The last 8 bytes of the IPv6 address as a big-endian long (AF_INET6 only). */
    public long ipv6Low() {
        return segment.get(NET_LONG, IN6_ADDR + 8);
    }

    /** The IPv6 scope id (AF_INET6 only). */
    public int scopeId() {
        return segment.get(JAVA_INT, IN6_SCOPE_ID);
    }

    /** Same family, address and port (flow info and scope are ignored). Allocates nothing. */
    public boolean sameAs(SockAddr other) {
        int family = family();
        if (family != other.family() || port() != other.port()) {
            return false;
        }
        return switch (family) {
            case Net.AF_INET -> ipv4() == other.ipv4();
            case Net.AF_INET6 -> ipv6High() == other.ipv6High() && ipv6Low() == other.ipv6Low();
            default -> length == other.length
                    && MemorySegment.mismatch(segment, 0, length, other.segment, 0, length) < 0;
        };
    }

    /** Copies the whole struct and its length from {@code other}. */
    public void copyFrom(SockAddr other) {
        MemorySegment.copy(other.segment, 0, segment, 0, STORAGE_SIZE);
        length = other.length;
    }

    /** A Java copy of this address. Allocates; not for hot paths. */
    public InetSocketAddress toInetSocketAddress() {
        try {
            return switch (family()) {
                case Net.AF_INET -> new InetSocketAddress(
                        InetAddress.getByAddress(segment.asSlice(IN_ADDR, 4).toArray(ValueLayout.JAVA_BYTE)),
                        port());
                case Net.AF_INET6 -> new InetSocketAddress(
                        Inet6Address.getByAddress(null,
                                segment.asSlice(IN6_ADDR, 16).toArray(ValueLayout.JAVA_BYTE), scopeId()),
                        port());
                default -> throw new IllegalStateException("not an IP address: family " + family());
            };
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // unreachable: the byte counts are right
        }
    }

    /** {@code "198.18.0.2:5001"}, {@code "[::1]:80"} (RFC 5952 form). */
    @Override
    public String toString() {
        int family = family();
        StringBuilder sb = new StringBuilder(48);
        if (family == Net.AF_INET) {
            int ip = ipv4();
            sb.append(ip >>> 24).append('.').append(ip >>> 16 & 0xFF).append('.')
                    .append(ip >>> 8 & 0xFF).append('.').append(ip & 0xFF);
        } else if (family == Net.AF_INET6) {
            sb.append('[');
            appendIpv6(sb);
            int scope = scopeId();
            if (scope != 0) {
                sb.append('%').append(Integer.toUnsignedString(scope));
            }
            sb.append(']');
        } else {
            return family == 0 ? "(empty)" : "(family " + family + ")";
        }
        return sb.append(':').append(port()).toString();
    }

    /** RFC 5952: lower-case hex, the longest run (2+) of zero groups, leftmost on ties, is "::". */
    private void appendIpv6(StringBuilder sb) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = segment.get(NET_SHORT, IN6_ADDR + 2L * i) & 0xFFFF;
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (i > 0 && i != bestStart + bestLen) {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
    }
}
