package io.jix.nic.packet;

import io.jix.nic.Frame;
import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.NicQueue;

/**
 * A minimal answering machine over one {@link NicQueue}, for the driver tests only (until the
 * shared {@code io.jix.nic.tools.Responder} exists): ARP requests for its IPv4 address, ICMP echo
 * requests to it, and UDP datagrams to one port reflected back to their sender unchanged (MACs,
 * addresses and ports swapped; the IPv4 and UDP checksums are sums and do not change). Everything
 * else is released. Replies are written in place.
 */
final class TestResponder {

    private final NicQueue queue;
    private final FramePool pool;
    private final byte[] mac;
    private final int ip;
    private final int udpPort;
    private final FrameBurst rx = new FrameBurst(64);
    private final FrameBurst tx = new FrameBurst(64);
    private final Frame frame = new Frame();

    long arpReplies;
    long echoReplies;
    long udpReflected;
    /** Frames whose source MAC is ours: the queue received something this host sent. */
    long ownFrames;
    long ignored;

    TestResponder(NicQueue queue, byte[] mac, int ip, int udpPort) {
        this.queue = queue;
        this.pool = queue.pool();
        this.mac = mac.clone();
        this.ip = ip;
        this.udpPort = udpPort;
    }

    static int ipv4(String dotted) {
        String[] p = dotted.split("\\.");
        return Integer.parseInt(p[0]) << 24 | Integer.parseInt(p[1]) << 16 | Integer.parseInt(p[2]) << 8
                | Integer.parseInt(p[3]);
    }

    /** One round: receive a burst, answer what is ours, transmit, reclaim. Returns frames received. */
    int poll() {
        queue.reclaim();
        rx.clear();
        int n = queue.receive(rx, 64);
        tx.clear();
        for (int i = 0; i < n; i++) {
            int f = rx.frame(i);
            frame.wrap(pool, f, rx.offset(i), rx.length(i));
            boolean reply;
            try {
                reply = answer();
            } catch (IndexOutOfBoundsException truncated) {
                reply = false;
            }
            if (reply) {
                tx.add(f, rx.offset(i), frame.length());
            } else {
                ignored++;
                pool.release(f);
            }
        }
        if (tx.count() > 0) {
            queue.transmit(tx);
            for (int i = 0; i < tx.count(); i++) {
                pool.release(tx.frame(i)); // the ring was full: drop the reply
            }
        }
        return n;
    }

    private boolean answer() {
        if (isOurMac(6)) {
            ownFrames++;
            return false;
        }
        int type = frame.u16(12);
        if (type == 0x0806) {
            return arp();
        }
        if (type == 0x0800) {
            return ipv4();
        }
        return false;
    }

    private boolean arp() {
        int a = 14;
        if (frame.u16(a) != 1 || frame.u16(a + 2) != 0x0800 || frame.u8(a + 4) != 6 || frame.u8(a + 5) != 4
                || frame.u16(a + 6) != 1 || frame.u32(a + 24) != ip) {
            return false;
        }
        frame.copyWithin(a + 8, a + 18, 10);    // target hardware + protocol address := sender's
        frame.copyWithin(a + 8, 0, 6);          // Ethernet destination := sender
        writeMac(6);
        writeMac(a + 8);
        frame.u32(a + 14, ip);
        frame.u16(a + 6, 2);
        arpReplies++;
        return true;
    }

    private boolean ipv4() {
        int h = 14;
        int vihl = frame.u8(h);
        int ihl = (vihl & 0x0F) * 4;
        int total = frame.u16(h + 2);
        if (vihl >> 4 != 4 || ihl < 20 || total < ihl || h + total > frame.length() || frame.u32(h + 16) != ip) {
            return false;
        }
        int l4 = h + ihl;
        int protocol = frame.u8(h + 9);
        if (protocol == 1) {
            if (total - ihl < 8 || frame.u8(l4) != 8) {
                return false;
            }
            frame.u8(l4, 0);
            frame.u16(l4 + 2, 0);
            frame.u16(l4 + 2, checksum(l4, total - ihl));
            echoReplies++;
        } else if (protocol == 17) {
            if (total - ihl < 8 || frame.u16(l4 + 2) != udpPort) {
                return false;
            }
            int sport = frame.u16(l4);
            frame.u16(l4, udpPort);
            frame.u16(l4 + 2, sport);
            udpReflected++;
        } else {
            return false;
        }
        int src = frame.u32(h + 12);
        frame.u32(h + 12, ip);
        frame.u32(h + 16, src);
        frame.copyWithin(6, 0, 6);
        writeMac(6);
        frame.length(h + total); // drop Ethernet padding
        return true;
    }

    private int checksum(int pos, int len) {
        long sum = 0;
        int i = 0;
        for (; i + 1 < len; i += 2) {
            sum += frame.u16(pos + i);
        }
        if (i < len) {
            sum += frame.u8(pos + i) << 8;
        }
        while (sum >> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (int) ~sum & 0xFFFF;
    }

    private boolean isOurMac(int pos) {
        for (int i = 0; i < 6; i++) {
            if ((byte) frame.u8(pos + i) != mac[i]) {
                return false;
            }
        }
        return true;
    }

    private void writeMac(int pos) {
        for (int i = 0; i < 6; i++) {
            frame.u8(pos + i, mac[i]);
        }
    }
}
