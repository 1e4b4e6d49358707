package io.jix.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;

class SockAddrTest {

    @Test
    void ipv4RoundTrip() {
        try (Arena arena = Arena.ofConfined()) {
            SockAddr sa = new SockAddr(arena);
            assertThat(sa.family()).isZero();
            assertThat(sa.length()).isZero();
            InetSocketAddress isa = new InetSocketAddress("198.18.0.2", 5001);
            sa.set(isa);
            assertThat(sa.family()).isEqualTo(Net.AF_INET);
            assertThat(sa.length()).isEqualTo(16);
            assertThat(sa.port()).isEqualTo(5001);
            assertThat(sa.ipv4()).isEqualTo(0xC612_0002);
            assertThat(sa.toString()).isEqualTo("198.18.0.2:5001");
            assertThat(sa.toInetSocketAddress()).isEqualTo(isa);

            // Wire layout: family in host order, then port and address in network order.
            byte[] raw = raw(sa, 16);
            assertThat(raw).containsExactly(2, 0, 0x13, (byte) 0x89, (byte) 198, 18, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0);

            SockAddr other = new SockAddr(arena).setIpv4(0xC612_0002, 5001);
            assertThat(other.sameAs(sa)).isTrue();
            assertThat(other.setIpv4(0xC612_0002, 5002).sameAs(sa)).isFalse();
            assertThat(other.setIpv4(0xC612_0003, 5001).sameAs(sa)).isFalse();
            assertThat(new SockAddr(arena).setIpv4(0xFFFF_FFFF, 65535).toString()).isEqualTo("255.255.255.255:65535");
        }
    }

    @Test
    void ipv6RoundTrip() throws UnknownHostException {
        try (Arena arena = Arena.ofConfined()) {
            SockAddr sa = new SockAddr(arena);
            InetSocketAddress isa = new InetSocketAddress(InetAddress.getByName("::1"), 80);
            sa.set(isa);
            assertThat(sa.family()).isEqualTo(Net.AF_INET6);
            assertThat(sa.length()).isEqualTo(28);
            assertThat(sa.port()).isEqualTo(80);
            assertThat(sa.ipv6High()).isZero();
            assertThat(sa.ipv6Low()).isEqualTo(1);
            assertThat(sa.toString()).isEqualTo("[::1]:80");
            assertThat(sa.toInetSocketAddress()).isEqualTo(isa);
            byte[] raw = raw(sa, 28);
            assertThat(raw[0]).isEqualTo((byte) 10);
            assertThat(raw[2]).isZero();
            assertThat(raw[3]).isEqualTo((byte) 80);
            assertThat(raw[23]).isEqualTo((byte) 1);

            InetSocketAddress doc = new InetSocketAddress(InetAddress.getByName("2001:db8::ff00:42:8329"), 443);
            SockAddr b = new SockAddr(arena).set(doc);
            assertThat(b.toInetSocketAddress()).isEqualTo(doc);
            assertThat(b.toString()).isEqualTo("[2001:db8::ff00:42:8329]:443");
            assertThat(b.sameAs(sa)).isFalse();

            SockAddr c = new SockAddr(arena);
            c.copyFrom(b);
            assertThat(c.sameAs(b)).isTrue();
            assertThat(c.length()).isEqualTo(28);
            // An IPv4 socket address with the same port is a different address.
            assertThat(c.setIpv4(0, 443).sameAs(b)).isFalse();
        }
    }

    @Test
    void ipv6TextFollowsRfc5952() throws UnknownHostException {
        assertThat(text("::")).isEqualTo("[::]:1");
        assertThat(text("2001:db8:0:0:1:0:0:1")).isEqualTo("[2001:db8::1:0:0:1]:1");
        assertThat(text("2001:db8:0:1:1:1:1:1")).isEqualTo("[2001:db8:0:1:1:1:1:1]:1");
        assertThat(text("2001:0:0:1:0:0:0:1")).isEqualTo("[2001:0:0:1::1]:1");
        assertThat(text("1:0:0:0:0:0:0:0")).isEqualTo("[1::]:1");
        assertThat(text("fe80::1")).isEqualTo("[fe80::1]:1");
    }

    @Test
    void ipv6ScopeSurvives() throws UnknownHostException {
        try (Arena arena = Arena.ofConfined()) {
            byte[] ll = InetAddress.getByName("fe80::1").getAddress();
            SockAddr sa = new SockAddr(arena).setIpv6(ll, 9, 3);
            assertThat(sa.scopeId()).isEqualTo(3);
            assertThat(sa.toString()).isEqualTo("[fe80::1%3]:9");
            assertThat(((java.net.Inet6Address) sa.toInetSocketAddress().getAddress()).getScopeId()).isEqualTo(3);
        }
    }

    @Test
    void rejectsWhatItCannotHold() {
        try (Arena arena = Arena.ofConfined()) {
            SockAddr sa = new SockAddr(arena);
            assertThatThrownBy(() -> sa.set(InetSocketAddress.createUnresolved("example.com", 80)))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> sa.setIpv4(1, 65536)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> sa.setIpv6(new byte[4], 1, 0)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void lengthSlotFollowsTheStruct() {
        try (Arena arena = Arena.ofConfined()) {
            SockAddr sa = new SockAddr(arena);
            assertThat(sa.lengthSlot()).isEqualTo(sa.address() + 128);
            sa.prepareForReceive();
            assertThat(MemorySegment.ofAddress(sa.lengthSlot()).reinterpret(4)
                    .get(java.lang.foreign.ValueLayout.JAVA_INT, 0)).isEqualTo(128);
        }
    }

    private static String text(String ip) throws UnknownHostException {
        try (Arena arena = Arena.ofConfined()) {
            return new SockAddr(arena).set(new InetSocketAddress(InetAddress.getByName(ip), 1)).toString();
        }
    }

    private static byte[] raw(SockAddr sa, int len) {
        return MemorySegment.ofAddress(sa.address()).reinterpret(len).toArray(JAVA_BYTE);
    }
}
