package io.jix.stack.link;

import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.wire.Faults;
import io.jix.nic.wire.Wire;
import io.jix.nic.wire.WireConfig;
import io.jix.nic.wire.WireQueue;
import io.jix.stack.NetStack;
import io.jix.stack.NetStackConfig;
import io.jix.stack.StackCounter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A scripted peer for stack tests: a {@link NetStack} on wire endpoint b, raw frames in and out of
 * endpoint a, a manual clock, and frame builders written from the RFCs in heap arrays (with a
 * byte-at-a-time checksum), independent of the stack's own code.
 */
public final class Peer implements AutoCloseable {

    public static final byte[] PEER_MAC = {0x02, 0, 0, 0, 0, 0x0a};
    public static final byte[] STACK_MAC = {0x02, 0, 0, 0, 0, 0x0b};
    public static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};
    public static final byte[] PEER_IP = {(byte) 198, 18, 0, 2};
    public static final byte[] STACK_IP = {(byte) 198, 18, 0, 3};

    public final Wire wire;
    public final WireQueue peer;
    public final NetStack stack;
    public long now = 1_000_000_000L;
    private final FrameBurst burst = new FrameBurst(256);

    /** A peer with default stack settings (gratuitous ARP off), tweaked by {@code config}. */
    public Peer(UnaryOperator<NetStackConfig.Builder> config) {
        this(config, Faults.NONE);
    }

    public Peer(UnaryOperator<NetStackConfig.Builder> config, Faults faults) {
        wire = Wire.create(WireConfig.builder().frames(1024).ringSlots(512).macs(PEER_MAC, STACK_MAC)
                .faults(faults).build());
        peer = wire.a();
        stack = new NetStack(wire.b(), config.apply(NetStackConfig.builder(STACK_MAC, "198.18.0.3", 24)
                .gratuitousArp(false)).build(), now);
    }

    /** Sends raw frames to the stack. */
    public void send(byte[]... frames) {
        FramePool pool = peer.pool();
        for (byte[] f : frames) {
            int id = pool.allocate();
            MemorySegment.copy(f, 0, pool.region(), ValueLayout.JAVA_BYTE, pool.offset(id), f.length);
            burst.add(id, 0, f.length);
        }
        peer.transmit(burst);
        if (burst.count() != 0) {
            throw new IllegalStateException("wire full");
        }
        peer.reclaim();
    }

    /** Polls the stack at the current time. */
    public void poll() {
        stack.poll(now);
    }

    /** Sends frames, polls, and returns what the stack sent. */
    public List<byte[]> exchange(byte[]... frames) {
        send(frames);
        poll();
        return received();
    }

    /** Frames the stack sent since the last call. */
    public List<byte[]> received() {
        List<byte[]> out = new ArrayList<>();
        FramePool pool = peer.pool();
        while (true) {
            burst.clear();
            int n = peer.receive(burst, 64);
            if (n == 0) {
                return out;
            }
            for (int i = 0; i < n; i++) {
                byte[] b = new byte[burst.length(i)];
                MemorySegment.copy(pool.region(), ValueLayout.JAVA_BYTE, pool.offset(burst.frame(i)) + burst.offset(i),
                        b, 0, b.length);
                out.add(b);
                pool.release(burst.frame(i));
            }
        }
    }

    public long count(StackCounter c) {
        return stack.counters().get(c);
    }

    @Override
    public void close() {
        wire.close();
    }

    // ------------------------------------------------------------------ builders

    public static byte[] arp(int op, byte[] dstMac, byte[] sha, byte[] spa, byte[] tha, byte[] tpa) {
        ByteBuffer b = ByteBuffer.allocate(60);
        b.put(dstMac).put(sha).putShort((short) 0x0806);
        b.putShort((short) 1).putShort((short) 0x0800).put((byte) 6).put((byte) 4).putShort((short) op);
        b.put(sha).put(spa).put(tha).put(tpa);
        return b.array();
    }

    /** An ARP request from the peer for {@code target}. */
    public static byte[] arpRequest(byte[] target) {
        return arp(1, BROADCAST, PEER_MAC, PEER_IP, new byte[6], target);
    }

    /** An IPv4 packet from the peer to the stack. */
    public static byte[] ipv4(int proto, byte[] l4) {
        return ipv4(PEER_MAC, STACK_MAC, PEER_IP, STACK_IP, proto, 0x1234, 0x4000, 64, new byte[0], l4);
    }

    /** An IPv4 packet; {@code options} a multiple of 4 bytes; {@code fragWord} flags and offset. */
    public static byte[] ipv4(byte[] srcMac, byte[] dstMac, byte[] src, byte[] dst, int proto, int ident,
                              int fragWord, int ttl, byte[] options, byte[] l4) {
        int hl = 20 + options.length;
        ByteBuffer b = ByteBuffer.allocate(Math.max(60, 14 + hl + l4.length));
        b.put(dstMac).put(srcMac).putShort((short) 0x0800);
        b.put((byte) (0x40 | hl / 4)).put((byte) 0).putShort((short) (hl + l4.length));
        b.putShort((short) ident).putShort((short) fragWord).put((byte) ttl).put((byte) proto).putShort((short) 0);
        b.put(src).put(dst).put(options).put(l4);
        byte[] f = b.array();
        fixIpChecksum(f);
        return f;
    }

    /** Recomputes the IPv4 header checksum of an Ethernet frame. */
    public static void fixIpChecksum(byte[] f) {
        int hl = (f[14] & 0xf) * 4;
        f[24] = 0;
        f[25] = 0;
        int c = checksum(f, 14, hl, 0);
        f[24] = (byte) (c >> 8);
        f[25] = (byte) c;
    }

    public static byte[] icmpEcho(int type, int id, int seq, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.put((byte) type).put((byte) 0).putShort((short) 0).putShort((short) id).putShort((short) seq).put(payload);
        byte[] m = b.array();
        int c = checksum(m, 0, m.length, 0);
        m[2] = (byte) (c >> 8);
        m[3] = (byte) c;
        return m;
    }

    public static byte[] udp(byte[] src, byte[] dst, int srcPort, int dstPort, byte[] payload, boolean withChecksum) {
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) (8 + payload.length)).putShort((short) 0)
                .put(payload);
        byte[] u = b.array();
        if (withChecksum) {
            int c = checksum(u, 0, u.length, pseudo(src, dst, 17, u.length));
            if (c == 0) {
                c = 0xffff;
            }
            u[6] = (byte) (c >> 8);
            u[7] = (byte) c;
        }
        return u;
    }

    /** A UDP datagram from the peer to the stack in a frame. */
    public static byte[] udpFrame(int srcPort, int dstPort, byte[] payload) {
        return ipv4(17, udp(PEER_IP, STACK_IP, srcPort, dstPort, payload, true));
    }

    public static long pseudo(byte[] src, byte[] dst, int proto, int length) {
        long s = 0;
        for (int i = 0; i < 4; i += 2) {
            s += ((src[i] & 0xff) << 8) | (src[i + 1] & 0xff);
            s += ((dst[i] & 0xff) << 8) | (dst[i + 1] & 0xff);
        }
        return s + proto + length;
    }

    /** RFC 1071, a byte pair at a time. */
    public static int checksum(byte[] b, int off, int len, long initial) {
        long s = initial;
        for (int i = 0; i < len; i += 2) {
            int hi = b[off + i] & 0xff;
            int lo = i + 1 < len ? b[off + i + 1] & 0xff : 0;
            s += (hi << 8) | lo;
        }
        while ((s >>> 16) != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) (~s & 0xffff);
    }

    /** Big-endian u16 of a byte array. */
    public static int u16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
    }

    public static byte[] slice(byte[] b, int from, int length) {
        return java.util.Arrays.copyOfRange(b, from, from + length);
    }
}
