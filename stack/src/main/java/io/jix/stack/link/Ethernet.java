package io.jix.stack.link;

import io.jix.nic.Frame;

/**
 * Ethernet II framing: header layout, ethertypes, and MAC addresses as the low 48 bits of a
 * {@code long} (first octet in bits 47..40).
 */
public final class Ethernet {

    /** Destination, source, ethertype. */
    public static final int HEADER = 14;
    /** The shortest frame on the wire without its FCS; shorter frames are padded with zeros. */
    public static final int MIN_FRAME = 60;
    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_ARP = 0x0806;
    public static final long BROADCAST = 0xffff_ffff_ffffL;

    private Ethernet() {
    }

    /** The MAC at {@code pos}. */
    public static long mac(Frame f, int pos) {
        return ((long) f.u16(pos) << 32) | (f.u32(pos + 2) & 0xffff_ffffL);
    }

    /** Writes a MAC at {@code pos}. */
    public static void mac(Frame f, int pos, long mac) {
        f.u16(pos, (int) (mac >>> 32));
        f.u32(pos + 2, (int) mac);
    }

    /** A MAC from six bytes. */
    public static long mac(byte[] b) {
        if (b.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes, not " + b.length);
        }
        long m = 0;
        for (byte x : b) {
            m = m << 8 | (x & 0xff);
        }
        return m;
    }

    /** Six bytes of a MAC. */
    public static byte[] bytes(long mac) {
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (mac >>> (40 - 8 * i));
        }
        return b;
    }

    /** Whether the group bit is set (multicast, broadcast included). */
    public static boolean isMulticast(long mac) {
        return (mac >>> 40 & 1) != 0;
    }

    /** aa:bb:cc:dd:ee:ff. */
    public static String toString(long mac) {
        return java.util.HexFormat.ofDelimiter(":").formatHex(bytes(mac));
    }

    /** Writes destination, source and type at the frame's position 0. */
    public static void header(Frame f, long dst, long src, int type) {
        mac(f, 0, dst);
        mac(f, 6, src);
        f.u16(12, type);
    }
}
