package io.jix.nic.tools;

import io.jix.nic.Frame;
import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.NicQueue;
import java.util.function.BooleanSupplier;

/**
 * A tiny frame responder over any {@link NicQueue}, for driver tests, demos and
 * {@code ./jix nic bench}: it owns one MAC and one IPv4 address and
 *
 * <ul>
 *   <li>answers ARP requests for its address (it learns nothing from them),</li>
 *   <li>answers ICMP echo requests to its address (echo reply; IPv4 options of the request are
 *       not echoed, the reply has a plain 20-byte header; both checksums are recomputed),</li>
 *   <li>reflects UDP datagrams sent to its address and the configured port back to their sender
 *       (MACs, addresses and ports swapped; the UDP checksum, a one's complement sum, is unchanged
 *       by the swap and so stays valid, or stays 0 if the sender sent none).</li>
 * </ul>
 *
 * <p>Replies are written in place, in the received frame, which is then transmitted. Everything
 * else is freed and counted by reason ({@link Drop}). Every length is validated before it is
 * read: a truncated or malformed frame is a counted drop, never an exception.
 *
 * <p>One thread drives a responder (it owns the queue); the counters are plain fields, exact for
 * that thread and after it stopped, recent at best for others. {@link #poll()} allocates nothing.
 */
public final class Responder {

    /** Why a received frame got no reply. */
    public enum Drop {
        /** Shorter than its headers or its own length fields say. */
        TRUNCATED,
        /** For another MAC, IPv4 address or UDP port. */
        NOT_FOR_US,
        /** An IPv4 header, ICMP or UDP checksum that does not add up. */
        BAD_CHECKSUM,
        /** An IPv4 fragment (more-fragments set or an offset): not reassembled. */
        FRAGMENT,
        /** Anything else: other EtherTypes and protocols, ARP replies, malformed headers, non-echo ICMP. */
        OTHER,
        /** A reply was ready but the queue's transmit ring was full. */
        TX_FULL
    }

    /** What {@link #run} does when a poll finds nothing. */
    public enum Idle {
        /** Poll again at once. */
        SPIN,
        /** Spin 200 empty polls, yield 50, then wait in the queue's {@link NicQueue#awaitTraffic} up to 1 ms at a time. */
        BACKOFF
    }

    /** The most frames one poll receives. */
    public static final int BURST = 64;

    private static final int ETH = 14;
    private static final int ETH_IPV4 = 0x0800;
    private static final int ETH_ARP = 0x0806;
    private static final int ARP_LEN = 28;
    private static final int PROTO_ICMP = 1;
    private static final int PROTO_UDP = 17;
    private static final int TTL = 64;

    private final NicQueue queue;
    private final byte[] mac;
    private final int macHi;   // first 2 bytes
    private final int macLo;   // last 4 bytes
    private final int ip;
    private final int udpPort;
    private final FrameBurst in = new FrameBurst(BURST);
    private final FrameBurst out = new FrameBurst(BURST);
    private final Frame frame = new Frame();

    private long arpReplies;
    private long icmpReplies;
    private long udpReflected;
    private final long[] drops = new long[Drop.values().length];

    /**
     * A responder on {@code queue} for MAC {@code mac} (6 bytes) and IPv4 address {@code ipv4}
     * (4 bytes, network order), reflecting UDP sent to {@code udpPort} (1..65535; 0 reflects no UDP).
     */
    public Responder(NicQueue queue, byte[] mac, byte[] ipv4, int udpPort) {
        if (mac == null || mac.length != 6 || ipv4 == null || ipv4.length != 4) {
            throw new IllegalArgumentException("a MAC address has 6 bytes and an IPv4 address 4");
        }
        if (udpPort < 0 || udpPort > 0xffff) {
            throw new IllegalArgumentException("udp port out of range: " + udpPort);
        }
        this.queue = queue;
        this.mac = mac.clone();
        this.macHi = (mac[0] & 0xff) << 8 | mac[1] & 0xff;
        this.macLo = (mac[2] & 0xff) << 24 | (mac[3] & 0xff) << 16 | (mac[4] & 0xff) << 8 | mac[5] & 0xff;
        this.ip = (ipv4[0] & 0xff) << 24 | (ipv4[1] & 0xff) << 16 | (ipv4[2] & 0xff) << 8 | ipv4[3] & 0xff;
        this.udpPort = udpPort;
    }

    // ------------------------------------------------------------------------------ the loop

    /**
     * One round: reclaims sent frames, receives up to {@link #BURST} frames, answers those that
     * deserve it in place and transmits the answers in one burst, frees the rest.
     *
     * @return frames received (the work done; 0 means the queue was idle)
     */
    public int poll() {
        queue.reclaim();
        in.clear();
        int n = queue.receive(in, BURST);
        if (n == 0) {
            return 0;
        }
        FramePool pool = queue.pool();
        for (int i = 0; i < n; i++) {
            int id = in.frame(i);
            frame.wrap(pool, id, in.offset(i), in.length(i));
            if (answer(frame)) {
                out.add(id, in.offset(i), frame.length());
            } else {
                pool.release(id);
            }
        }
        if (out.count() > 0) {
            queue.transmit(out);
            int left = out.count();
            for (int i = 0; i < left; i++) {
                pool.release(out.frame(i));
            }
            drops[Drop.TX_FULL.ordinal()] += left;
            out.clear();
        }
        return n;
    }

    /**
     * Polls until {@code keepGoing} says stop (asked after every poll), idling as {@code idle} says.
     *
     * @return frames received in all
     */
    public long run(BooleanSupplier keepGoing, Idle idle) {
        long total = 0;
        int empty = 0;
        while (keepGoing.getAsBoolean()) {
            int n = poll();
            total += n;
            if (n > 0 || idle == Idle.SPIN) {
                empty = 0;
                continue;
            }
            empty++;
            if (empty < 200) {
                Thread.onSpinWait();
            } else if (empty < 250) {
                Thread.yield();
            } else {
                queue.awaitTraffic(1_000_000);
            }
        }
        return total;
    }

    // ------------------------------------------------------------------------------ counters

    /** ARP replies sent (or handed to a full ring, then also counted as {@link Drop#TX_FULL}). */
    public long arpReplies() {
        return arpReplies;
    }

    /** ICMP echo replies made. */
    public long icmpReplies() {
        return icmpReplies;
    }

    /** UDP datagrams reflected. */
    public long udpReflected() {
        return udpReflected;
    }

    /** Frames dropped for {@code reason}. */
    public long dropped(Drop reason) {
        return drops[reason.ordinal()];
    }

    /** Frames dropped for any reason. */
    public long dropped() {
        long sum = 0;
        for (long d : drops) {
            sum += d;
        }
        return sum;
    }

    /** The queue this responder drives. */
    public NicQueue queue() {
        return queue;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder().append("arp=").append(arpReplies).append(" icmp=").append(icmpReplies)
                .append(" udp=").append(udpReflected);
        for (Drop d : Drop.values()) {
            if (drops[d.ordinal()] != 0) {
                b.append(" drop_").append(d.name().toLowerCase()).append('=').append(drops[d.ordinal()]);
            }
        }
        return b.toString();
    }

    // ------------------------------------------------------------------------------ frames

    private boolean drop(Drop reason) {
        drops[reason.ordinal()]++;
        return false;
    }

    /** Rewrites {@code f} into its reply and returns true, or counts why not and returns false. */
    private boolean answer(Frame f) {
        int len = f.length();
        if (len < ETH) {
            return drop(Drop.TRUNCATED);
        }
        if ((f.u8(6) & 1) != 0) {
            return drop(Drop.OTHER); // a multicast source MAC: never answer it
        }
        int type = f.u16(12);
        if (type == ETH_ARP) {
            return arp(f, len);
        }
        if (type == ETH_IPV4) {
            if (!toUs(f)) {
                return drop(Drop.NOT_FOR_US);
            }
            return ipv4(f, len);
        }
        return drop(Drop.OTHER);
    }

    private boolean toUs(Frame f) {
        return f.u16(0) == macHi && f.u32(2) == macLo;
    }

    private boolean broadcast(Frame f) {
        return f.u16(0) == 0xffff && f.u32(2) == -1;
    }

    private boolean arp(Frame f, int len) {
        if (len < ETH + ARP_LEN) {
            return drop(Drop.TRUNCATED);
        }
        if (!toUs(f) && !broadcast(f)) {
            return drop(Drop.NOT_FOR_US);
        }
        if (f.u16(14) != 1 || f.u16(16) != ETH_IPV4 || f.u8(18) != 6 || f.u8(19) != 4) {
            return drop(Drop.OTHER);
        }
        if (f.u16(20) != 1) {
            return drop(Drop.OTHER); // replies and the rest: we learn nothing
        }
        if (f.u32(38) != ip) {
            return drop(Drop.NOT_FOR_US);
        }
        if ((f.u8(22) & 1) != 0) {
            return drop(Drop.OTHER); // a multicast sender hardware address
        }
        int senderIp = f.u32(28);
        f.copyWithin(22, 0, 6);   // Ethernet destination: the asker
        f.copyWithin(22, 32, 6);  // target hardware address: the asker
        f.u32(38, senderIp);      // target protocol address: the asker
        writeMac(f, 6);           // Ethernet source: us
        writeMac(f, 22);          // sender hardware address: us
        f.u32(28, ip);            // sender protocol address: us
        f.u16(20, 2);             // reply
        arpReplies++;
        return true;
    }

    private boolean ipv4(Frame f, int len) {
        if (len < ETH + 20) {
            return drop(Drop.TRUNCATED);
        }
        int vihl = f.u8(ETH);
        if (vihl >>> 4 != 4) {
            return drop(Drop.OTHER);
        }
        int hl = (vihl & 0xf) * 4;
        if (hl < 20) {
            return drop(Drop.OTHER);
        }
        if (len < ETH + hl) {
            return drop(Drop.TRUNCATED);
        }
        int total = f.u16(ETH + 2);
        if (total < hl) {
            return drop(Drop.OTHER);
        }
        if (len < ETH + total) {
            return drop(Drop.TRUNCATED);
        }
        if (fold(sum(f, ETH, hl, 0)) != 0xffff) {
            return drop(Drop.BAD_CHECKSUM);
        }
        if (f.u32(ETH + 16) != ip) {
            return drop(Drop.NOT_FOR_US);
        }
        if ((f.u16(ETH + 6) & 0x3fff) != 0) {
            return drop(Drop.FRAGMENT); // more fragments, or an offset
        }
        int src = f.u32(ETH + 12);
        if (src >>> 28 == 0xe || src == -1 || src == 0 || src >>> 24 == 127) {
            return drop(Drop.OTHER); // multicast, broadcast, unspecified or loopback sender: no reply
        }
        int proto = f.u8(ETH + 9);
        int l4 = ETH + hl;
        int l4len = total - hl;
        if (proto == PROTO_ICMP) {
            return icmp(f, src, l4, l4len);
        }
        if (proto == PROTO_UDP) {
            return udp(f, src, l4, l4len);
        }
        return drop(Drop.OTHER);
    }

    private boolean icmp(Frame f, int src, int at, int n) {
        if (n < 8) {
            return drop(Drop.TRUNCATED);
        }
        if (fold(sum(f, at, n, 0)) != 0xffff) {
            return drop(Drop.BAD_CHECKSUM);
        }
        if (f.u8(at) != 8 || f.u8(at + 1) != 0) {
            return drop(Drop.OTHER);
        }
        int l4 = stripOptions(f, at, n);
        f.u8(l4, 0);      // echo reply
        f.u16(l4 + 2, 0);
        f.u16(l4 + 2, ~fold(sum(f, l4, n, 0)) & 0xffff);
        replyHeaders(f, src, PROTO_ICMP, n);
        icmpReplies++;
        return true;
    }

    private boolean udp(Frame f, int src, int at, int n) {
        if (n < 8) {
            return drop(Drop.TRUNCATED);
        }
        int ulen = f.u16(at + 4);
        if (ulen < 8) {
            return drop(Drop.OTHER);
        }
        if (ulen > n) {
            return drop(Drop.TRUNCATED);
        }
        int checksum = f.u16(at + 6);
        if (checksum != 0) {
            int pseudo = (src >>> 16) + (src & 0xffff) + (ip >>> 16) + (ip & 0xffff) + PROTO_UDP + ulen;
            if (fold(sum(f, at, ulen, pseudo)) != 0xffff) {
                return drop(Drop.BAD_CHECKSUM);
            }
        }
        if (udpPort == 0 || f.u16(at + 2) != udpPort) {
            return drop(Drop.NOT_FOR_US);
        }
        int l4 = stripOptions(f, at, ulen);
        int srcPort = f.u16(l4);
        f.u16(l4, udpPort);
        f.u16(l4 + 2, srcPort);
        // Swapping addresses and ports leaves the one's complement sum, and so the checksum, as it was.
        replyHeaders(f, src, PROTO_UDP, ulen);
        udpReflected++;
        return true;
    }

    /**
     * Moves {@code n} bytes of layer-4 data at {@code at} to right after a 20-byte IPv4 header
     * (dropping any options) and cuts the frame after them (dropping Ethernet padding).
     *
     * @return where the layer-4 data starts now
     */
    private static int stripOptions(Frame f, int at, int n) {
        int l4 = ETH + 20;
        if (at != l4) {
            f.copyWithin(at, l4, n);
        }
        f.length(l4 + n);
        return l4;
    }

    /** Writes the Ethernet and a fresh 20-byte IPv4 header of a reply to {@code dst}, carrying {@code n} bytes of {@code proto}. */
    private void replyHeaders(Frame f, int dst, int proto, int n) {
        f.copyWithin(6, 0, 6);   // Ethernet destination: whoever sent the request
        writeMac(f, 6);
        f.u8(ETH, 0x45);          // version 4, no options; TOS kept
        f.u16(ETH + 2, 20 + n);
        f.u16(ETH + 6, 0);        // identification kept; no flags, no offset
        f.u8(ETH + 8, TTL);
        f.u8(ETH + 9, proto);
        f.u32(ETH + 12, ip);
        f.u32(ETH + 16, dst);
        f.u16(ETH + 10, 0);
        f.u16(ETH + 10, ~fold(sum(f, ETH, 20, 0)) & 0xffff);
    }

    private void writeMac(Frame f, int at) {
        f.u16(at, macHi);
        f.u32(at + 2, macLo);
    }

    /** One's complement sum of {@code n} bytes at {@code at} (an odd last byte padded with zero), plus {@code initial}, not folded. */
    private static long sum(Frame f, int at, int n, long initial) {
        long s = initial;
        int end = at + (n & ~1);
        for (int i = at; i < end; i += 2) {
            s += f.u16(i);
        }
        if ((n & 1) != 0) {
            s += f.u8(at + n - 1) << 8;
        }
        return s;
    }

    private static int fold(long s) {
        while (s >>> 16 != 0) {
            s = (s & 0xffff) + (s >>> 16);
        }
        return (int) s;
    }

    // ------------------------------------------------------------------------------ helpers

    /**
     * Writes a gratuitous ARP (an ARP request from {@code ipv4} for {@code ipv4}, to the broadcast
     * address, as RFC 5227 announcements do) from {@code mac} into {@code f}, padded with zeros to
     * the 60-byte Ethernet minimum, and sets its length. {@code f} needs a capacity of 60 bytes.
     *
     * @return the frame length, 60
     */
    public static int gratuitousArp(Frame f, byte[] mac, byte[] ipv4) {
        if (mac == null || mac.length != 6 || ipv4 == null || ipv4.length != 4) {
            throw new IllegalArgumentException("a MAC address has 6 bytes and an IPv4 address 4");
        }
        f.length(60);
        for (int i = 0; i < 60; i += 4) {
            f.u32(i, 0);
        }
        for (int i = 0; i < 6; i++) {
            f.u8(i, 0xff);
            f.u8(6 + i, mac[i]);
            f.u8(22 + i, mac[i]);
        }
        f.u16(12, ETH_ARP);
        f.u16(14, 1);
        f.u16(16, ETH_IPV4);
        f.u8(18, 6);
        f.u8(19, 4);
        f.u16(20, 1);
        for (int i = 0; i < 4; i++) {
            f.u8(28 + i, ipv4[i]);
            f.u8(38 + i, ipv4[i]);
        }
        return 60;
    }

    /** This responder's MAC address (a copy). */
    public byte[] mac() {
        return mac.clone();
    }
}
