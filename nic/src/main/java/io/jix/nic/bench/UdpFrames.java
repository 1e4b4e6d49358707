package io.jix.nic.bench;

import io.jix.nic.Frame;
import java.net.Inet4Address;

/**
 * The frames the benchmark sends: Ethernet + IPv4 + UDP, no UDP checksum (0 is allowed for IPv4),
 * a payload of counting bytes. Sizes are wire sizes as RFC 2544 counts them, the 4-byte FCS
 * included: a 64-byte frame is 60 bytes handed to the NIC, 18 of them UDP payload.
 */
final class UdpFrames {

    /** The smallest Ethernet frame on the wire, FCS included. */
    static final int MIN_WIRE_SIZE = 64;
    /** The largest untagged frame for a 1500-byte MTU, FCS included. */
    static final int MAX_WIRE_SIZE = 1518;
    static final int FCS = 4;
    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int UDP = 17;
    /** Where the fields the receiver checks start. */
    static final int ETHERTYPE_AT = 12;
    static final int IP_DST_AT = 30;
    static final int UDP_SRC_PORT_AT = 34;
    static final int UDP_DST_PORT_AT = 36;
    /** Ethernet + IPv4 + UDP headers. */
    static final int HEADERS = 42;

    private UdpFrames() {
    }

    /** Bytes handed to the NIC for a frame of {@code wireSize} bytes on the wire. */
    static int dataLength(int wireSize) {
        checkWireSize(wireSize);
        return wireSize - FCS;
    }

    static void checkWireSize(int wireSize) {
        if (wireSize < MIN_WIRE_SIZE || wireSize > MAX_WIRE_SIZE) {
            throw new IllegalArgumentException("frame size must be " + MIN_WIRE_SIZE + ".." + MAX_WIRE_SIZE
                    + " bytes (on the wire, FCS included): " + wireSize);
        }
    }

    /** An IPv4 address as a big-endian int. */
    static int ip(Inet4Address a) {
        byte[] b = a.getAddress();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | b[3] & 0xff;
    }

    /**
     * Writes the whole frame into {@code f} (wrapped with length {@code dataLength}): from
     * {@code srcMac}/{@code srcIp}:{@code srcPort} to {@code dstMac}/{@code dstIp}:{@code dstPort}.
     */
    static void write(Frame f, byte[] srcMac, byte[] dstMac, int srcIp, int dstIp, int srcPort, int dstPort) {
        int len = f.length();
        for (int i = 0; i < 6; i++) {
            f.u8(i, dstMac[i]);
            f.u8(6 + i, srcMac[i]);
        }
        f.u16(ETHERTYPE_AT, ETHERTYPE_IPV4);
        f.u16(14, 0x4500);                 // IPv4, 20-byte header, no TOS
        f.u16(16, len - 14);               // total length
        f.u32(18, 0x4000);                 // id 0, don't fragment
        f.u16(22, 64 << 8 | UDP);          // TTL 64, UDP
        f.u16(24, 0);                      // checksum, below
        f.u32(26, srcIp);
        f.u32(IP_DST_AT, dstIp);
        long sum = 0;
        for (int i = 14; i < 34; i += 2) {
            sum += f.u16(i);
        }
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        f.u16(24, (int) (~sum & 0xffff));
        f.u16(UDP_SRC_PORT_AT, srcPort);
        f.u16(UDP_DST_PORT_AT, dstPort);
        f.u16(38, len - 34);               // UDP length
        f.u16(40, 0);                      // no checksum
        for (int i = HEADERS; i < len; i++) {
            f.u8(i, i);
        }
    }

    /**
     * Refuses anything outside the benchmarking range 198.18.0.0/15 (RFC 2544): the benchmark never
     * sends to, or as, a real address.
     */
    static void requireBenchmarkRange(String what, Inet4Address a) {
        byte[] b = a.getAddress();
        if ((b[0] & 0xff) != 198 || (b[1] & 0xfe) != 18) {
            throw new IllegalArgumentException(what + " " + a.getHostAddress()
                    + " is outside 198.18.0.0/15, the only range the benchmark uses");
        }
    }
}
