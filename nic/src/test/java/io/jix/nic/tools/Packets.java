package io.jix.nic.tools;

import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.NicQueue;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Test frames built in heap arrays, and an Internet checksum written from RFC 1071 a byte at a
 * time: independent of the responder's own code.
 */
final class Packets {

    private Packets() {
    }

    static byte[] arpRequest(byte[] srcMac, byte[] srcIp, byte[] targetIp) {
        ByteBuffer b = ByteBuffer.allocate(60);
        b.put(new byte[] {-1, -1, -1, -1, -1, -1}).put(srcMac).putShort((short) 0x0806);
        b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) 1);
        b.put(srcMac).put(srcIp).put(new byte[6]).put(targetIp);
        return b.array();
    }

    /** An IPv4 packet in an Ethernet frame; {@code options} (a multiple of 4 bytes) go in the IP header. */
    static byte[] ipv4(byte[] srcMac, byte[] dstMac, byte[] srcIp, byte[] dstIp, int proto, byte[] options,
                       byte[] l4) {
        int hl = 20 + options.length;
        ByteBuffer b = ByteBuffer.allocate(Math.max(60, 14 + hl + l4.length));
        b.put(dstMac).put(srcMac).putShort((short) 0x0800);
        b.put((byte) (0x40 | hl / 4)).put((byte) 0).putShort((short) (hl + l4.length));
        b.putShort((short) 0x1234).putShort((short) 0x4000).put((byte) 64).put((byte) proto).putShort((short) 0);
        b.put(srcIp).put(dstIp).put(options).put(l4);
        byte[] f = b.array();
        fixIpChecksum(f);
        return f;
    }

    static byte[] icmpEcho(int id, int seq, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.put((byte) 8).put((byte) 0).putShort((short) 0).putShort((short) id).putShort((short) seq).put(payload);
        byte[] m = b.array();
        int c = checksum(m, 0, m.length, 0);
        m[2] = (byte) (c >> 8);
        m[3] = (byte) c;
        return m;
    }

    static byte[] udp(byte[] srcIp, byte[] dstIp, int srcPort, int dstPort, byte[] payload, boolean withChecksum) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) (8 + payload.length)).putShort((short) 0)
                .put(payload);
        byte[] u = b.array();
        if (withChecksum) {
            int c = checksum(u, 0, u.length, pseudo(srcIp, dstIp, 17, u.length));
            if (c == 0) {
                c = 0xffff;
            }
            u[6] = (byte) (c >> 8);
            u[7] = (byte) c;
        }
        return u;
    }

    static long pseudo(byte[] srcIp, byte[] dstIp, int proto, int length) {
        return u16(srcIp, 0) + u16(srcIp, 2) + u16(dstIp, 0) + u16(dstIp, 2) + proto + length;
    }

    /** RFC 1071: the one's complement of the one's complement sum of 16-bit words, a byte at a time. */
    static int checksum(byte[] b, int off, int len, long initial) {
        long sum = initial;
        for (int i = 0; i < len; i++) {
            int v = b[off + i] & 0xff;
            sum += (i % 2 == 0) ? v << 8 : v;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    static void fixIpChecksum(byte[] f) {
        int hl = (f[14] & 0xf) * 4;
        f[24] = 0;
        f[25] = 0;
        int c = checksum(f, 14, hl, 0);
        f[24] = (byte) (c >> 8);
        f[25] = (byte) c;
    }

    static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | b[at + 1] & 0xff;
    }

    static byte[] slice(byte[] b, int from, int to) {
        return java.util.Arrays.copyOfRange(b, from, to);
    }

    /** Copies {@code data} into a frame of {@code q}'s pool at its headroom and transmits it; false if the pool is empty. */
    static boolean send(NicQueue q, FrameBurst burst, byte[] data) {
        FramePool pool = q.pool();
        int f = pool.allocate();
        if (f < 0) {
            return false;
        }
        MemorySegment.copy(data, 0, pool.region(), ValueLayout.JAVA_BYTE, pool.offset(f) + q.headroom(), data.length);
        burst.add(f, q.headroom(), data.length);
        return true;
    }

    /** Receives everything waiting on {@code q} as arrays, freeing the frames. */
    static List<byte[]> receive(NicQueue q) {
        List<byte[]> got = new ArrayList<>();
        FrameBurst rx = new FrameBurst(64);
        FramePool pool = q.pool();
        while (true) {
            rx.clear();
            int n = q.receive(rx, 64);
            if (n == 0) {
                return got;
            }
            for (int i = 0; i < n; i++) {
                byte[] b = new byte[rx.length(i)];
                MemorySegment.copy(pool.region(), ValueLayout.JAVA_BYTE, pool.offset(rx.frame(i)) + rx.offset(i), b, 0,
                        b.length);
                got.add(b);
                pool.release(rx.frame(i));
            }
        }
    }
}
