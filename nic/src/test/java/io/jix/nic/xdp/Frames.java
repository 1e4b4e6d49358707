package io.jix.nic.xdp;

import java.nio.ByteBuffer;

/** Ethernet frames for tests, built byte by byte. */
final class Frames {

    private Frames() {
    }

    static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};
    static final byte[] MAC_A = {0x02, 0, 0, 0, 0, 0x0a};
    static final byte[] MAC_B = {0x02, 0, 0, 0, 0, 0x0b};

    static byte[] ip(int a, int b, int c, int d) {
        return new byte[] {(byte) a, (byte) b, (byte) c, (byte) d};
    }

    /** An ARP request from {@code senderIp} asking for {@code targetIp}, padded to 60 bytes. */
    static byte[] arpRequest(byte[] senderMac, byte[] senderIp, byte[] targetIp) {
        ByteBuffer b = ByteBuffer.allocate(60);
        b.put(BROADCAST).put(senderMac).putShort((short) 0x0806);
        b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1);
        b.put(senderMac).put(senderIp).put(new byte[6]).put(targetIp);
        return b.array();
    }

    /** An IPv4/UDP frame with a correct IP header checksum and no UDP checksum. */
    static byte[] udp(byte[] srcMac, byte[] dstMac, byte[] srcIp, byte[] dstIp, int srcPort, int dstPort,
            byte[] payload) {
        int ipLen = 20 + 8 + payload.length;
        ByteBuffer b = ByteBuffer.allocate(Math.max(60, 14 + ipLen));
        b.put(dstMac).put(srcMac).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) ipLen).putShort((short) 0).putShort((short) 0x4000)
                .put((byte) 64).put((byte) 17).putShort((short) 0).put(srcIp).put(dstIp);
        b.putShort(24, (short) checksum(b.array(), 14, 20));
        b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) (8 + payload.length))
                .putShort((short) 0).put(payload);
        return b.array();
    }

    static int checksum(byte[] a, int off, int len) {
        long sum = 0;
        for (int i = 0; i < len; i += 2) {
            sum += ((a[off + i] & 0xff) << 8) | (i + 1 < len ? a[off + i + 1] & 0xff : 0);
        }
        while (sum >> 16 != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }
}
