package io.jix.stack.ip;

/**
 * IPv4 (RFC 791) header layout, protocol numbers and address helpers. Addresses are {@code int}s
 * holding the four octets big-endian (198.18.0.3 is {@code 0xC6120003}).
 */
public final class Ipv4 {

    /** The header without options. */
    public static final int HEADER = 20;
    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;
    /** 255.255.255.255. */
    public static final int LIMITED_BROADCAST = -1;
    /** More-fragments flag in the flags/fragment-offset word. */
    public static final int MF = 0x2000;
    /** Don't-fragment flag. */
    public static final int DF = 0x4000;
    /** Fragment offset (in 8-byte units) mask. */
    public static final int OFFSET_MASK = 0x1fff;

    private Ipv4() {
    }

    /** An address from dotted-quad text (digits and dots only; no name lookup). */
    public static int parse(String dotted) {
        String[] p = dotted.split("\\.", -1);
        if (p.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + dotted);
        }
        int a = 0;
        for (String s : p) {
            int v;
            try {
                v = Integer.parseInt(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an IPv4 address: " + dotted, e);
            }
            if (v < 0 || v > 255 || s.isEmpty() || s.length() > 3) {
                throw new IllegalArgumentException("not an IPv4 address: " + dotted);
            }
            a = a << 8 | v;
        }
        return a;
    }

    /** An address from four bytes. */
    public static int of(byte[] b) {
        if (b.length != 4) {
            throw new IllegalArgumentException("an IPv4 address has 4 bytes, not " + b.length);
        }
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    /** Four bytes of an address. */
    public static byte[] bytes(int a) {
        return new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a};
    }

    /** Dotted-quad text. */
    public static String toString(int a) {
        return (a >>> 24) + "." + (a >>> 16 & 0xff) + "." + (a >>> 8 & 0xff) + "." + (a & 0xff);
    }

    /** The network mask of a prefix length 0..32. */
    public static int mask(int prefix) {
        if (prefix < 0 || prefix > 32) {
            throw new IllegalArgumentException("prefix must be 0..32: " + prefix);
        }
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    /** 224.0.0.0/4. */
    public static boolean isMulticast(int a) {
        return (a >>> 28) == 0xe;
    }

    /** 127.0.0.0/8. */
    public static boolean isLoopback(int a) {
        return (a >>> 24) == 127;
    }
}
