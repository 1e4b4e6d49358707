package io.jix.api;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 address and port, mutable so that the dataplane can hand one out per event
 * without allocating. Events lend theirs only for the duration of the callback: copy it with
 * {@link #copyFrom} to keep it.
 */
public final class Endpoint {

    /** Address family IPv4. */
    public static final int IPV4 = 4;
    /** Address family IPv6. */
    public static final int IPV6 = 6;

    private int family = IPV4;
    private int port;
    private final byte[] address = new byte[16];

    /** An unset endpoint (0.0.0.0:0). */
    public Endpoint() {
    }

    /** An endpoint holding {@code socketAddress}, which must be resolved. */
    public static Endpoint of(InetSocketAddress socketAddress) {
        return new Endpoint().set(socketAddress);
    }

    /** {@link #IPV4} or {@link #IPV6}. */
    public int family() {
        return family;
    }

    /** The port, 0 to 65535. */
    public int port() {
        return port;
    }

    /** The IPv4 address as an int, most significant byte first; only for {@link #IPV4}. */
    public int ipv4() {
        return (address[0] & 0xff) << 24 | (address[1] & 0xff) << 16 | (address[2] & 0xff) << 8 | address[3] & 0xff;
    }

    /** The address byte {@code i} (0..3 for IPv4, 0..15 for IPv6), in network order. */
    public int addressByte(int i) {
        return address[i] & 0xff;
    }

    /** Sets an IPv4 address (most significant byte first) and port. */
    public Endpoint setIpv4(int ipv4, int port) {
        this.family = IPV4;
        this.port = checkPort(port);
        Arrays.fill(address, (byte) 0);
        address[0] = (byte) (ipv4 >>> 24);
        address[1] = (byte) (ipv4 >>> 16);
        address[2] = (byte) (ipv4 >>> 8);
        address[3] = (byte) ipv4;
        return this;
    }

    /** Sets an IPv6 address from 16 bytes in network order, and a port. */
    public Endpoint setIpv6(byte[] ipv6, int port) {
        if (ipv6.length != 16) {
            throw new IllegalArgumentException("IPv6 address needs 16 bytes, got " + ipv6.length);
        }
        this.family = IPV6;
        this.port = checkPort(port);
        System.arraycopy(ipv6, 0, address, 0, 16);
        return this;
    }

    /** Sets address byte {@code i} without touching the others; for backends filling IPv6. */
    public Endpoint setAddressByte(int i, int value) {
        address[i] = (byte) value;
        return this;
    }

    /** Sets the family and port, leaving the address bytes as they are. */
    public Endpoint setFamilyAndPort(int family, int port) {
        if (family != IPV4 && family != IPV6) {
            throw new IllegalArgumentException("family must be 4 or 6, got " + family);
        }
        this.family = family;
        this.port = checkPort(port);
        return this;
    }

    /** Copies {@code socketAddress}, which must be resolved. */
    public Endpoint set(InetSocketAddress socketAddress) {
        InetAddress a = socketAddress.getAddress();
        if (a == null) {
            throw new IllegalArgumentException("unresolved address " + socketAddress);
        }
        if (a instanceof Inet4Address) {
            byte[] b = a.getAddress();
            return setIpv4((b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | b[3] & 0xff,
                    socketAddress.getPort());
        }
        return setIpv6(((Inet6Address) a).getAddress(), socketAddress.getPort());
    }

    /** Copies another endpoint into this one. */
    public Endpoint copyFrom(Endpoint other) {
        this.family = other.family;
        this.port = other.port;
        System.arraycopy(other.address, 0, address, 0, 16);
        return this;
    }

    /** A new {@link InetSocketAddress} for this endpoint (allocates). */
    public InetSocketAddress toInetSocketAddress() {
        try {
            byte[] bytes = Arrays.copyOf(address, family == IPV4 ? 4 : 16);
            return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
        } catch (UnknownHostException e) {
            throw new AssertionError("a 4 or 16 byte address is always valid", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Endpoint e && e.family == family && e.port == port && Arrays.equals(e.address, address);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(address) * 31 + port * 7 + family;
    }

    @Override
    public String toString() {
        if (family == IPV4) {
            return addressByte(0) + "." + addressByte(1) + "." + addressByte(2) + "." + addressByte(3) + ":" + port;
        }
        return "[" + toInetSocketAddress().getAddress().getHostAddress() + "]:" + port;
    }

    private static int checkPort(int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        return port;
    }
}
