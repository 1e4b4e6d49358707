package io.jix.nic.xdp;

import io.jix.nic.Frame;
import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.NicQueue;

/**
 * A minimal, driver-independent responder for the driver's own tests, until the shared
 * {@code io.jix.nic.tools.Responder} exists: answers ARP requests and ICMP echo requests for its
 * address and reflects UDP sent to one port, in place, in the received frame. Counts frames that
 * were not for its address (the steering program should make that zero). One per queue; one
 * thread.
 */
final class MiniResponder {

    private final NicQueue queue;
    private final byte[] mac;
    private final int ip;
    private final int udpPort;
    private final FrameBurst in = new FrameBurst(64);
    private final FrameBurst out = new FrameBurst(64);
    private final Frame frame = new Frame();
    long arpReplies;
    long echoReplies;
    long udpReflected;
    long foreign;
    long ignored;

    MiniResponder(NicQueue queue, byte[] mac, byte[] ip, int udpPort) {
        this.queue = queue;
        this.mac = mac.clone();
        this.ip = (ip[0] & 0xff) << 24 | (ip[1] & 0xff) << 16 | (ip[2] & 0xff) << 8 | ip[3] & 0xff;
        this.udpPort = udpPort;
    }

    /** One receive-process-transmit round; returns frames received. */
    int poll() {
        queue.reclaim();
        in.clear();
        int n = queue.receive(in, 64);
        FramePool pool = queue.pool();
        for (int i = 0; i < n; i++) {
            frame.wrap(pool, in.frame(i), in.offset(i), in.length(i));
            if (answer(frame)) {
                out.add(in.frame(i), in.offset(i), frame.length());
            } else {
                pool.release(in.frame(i));
            }
        }
        if (out.count() > 0) {
            queue.transmit(out);
            for (int i = 0; i < out.count(); i++) {
                pool.release(out.frame(i)); // the TX ring was full: drop the reply
            }
            out.clear();
        }
        return n;
    }

    private boolean answer(Frame f) {
        if (f.length() < 14) {
            ignored++;
            return false;
        }
        int type = f.u16(12);
        if (type == 0x0806 && f.length() >= 42) {
            if (f.u32(38) != ip) {
                foreign++;
                return false;
            }
            if (f.u16(14) != 1 || f.u16(16) != 0x0800 || f.u16(18) != 0x0604 || f.u16(20) != 1) {
                ignored++;
                return false;
            }
            int senderIp = f.u32(28);
            f.copyWithin(22, 0, 6);   // Ethernet destination = the asker
            f.copyWithin(22, 32, 6);  // target hardware address = the asker
            f.u32(38, senderIp);
            f.u16(20, 2);             // reply
            writeMac(f, 6);
            writeMac(f, 22);
            f.u32(28, ip);
            arpReplies++;
            return true;
        }
        if (type == 0x0800 && f.length() >= 34) {
            if (f.u32(30) != ip) {
                foreign++;
                return false;
            }
            int ihl = (f.u8(14) & 0x0f) * 4;
            int proto = f.u8(23);
            int l4 = 14 + ihl;
            if (proto == 1 && f.length() >= l4 + 8 && f.u8(l4) == 8) {
                f.u8(l4, 0);
                // RFC 1624: HC' = ~(~HC + ~m + m') for the type/code word 0x0800 -> 0x0000.
                int sum = (~f.u16(l4 + 2) & 0xffff) + (~0x0800 & 0xffff);
                sum = (sum & 0xffff) + (sum >>> 16);
                sum = (sum & 0xffff) + (sum >>> 16);
                f.u16(l4 + 2, ~sum & 0xffff);
                swapAddresses(f);
                echoReplies++;
                return true;
            }
            if (proto == 17 && f.length() >= l4 + 8 && f.u16(l4 + 2) == udpPort) {
                int sport = f.u16(l4);
                f.u16(l4, f.u16(l4 + 2));
                f.u16(l4 + 2, sport);
                swapAddresses(f);
                udpReflected++;
                return true;
            }
        }
        ignored++;
        return false;
    }

    private void swapAddresses(Frame f) {
        f.copyWithin(6, 0, 6);
        writeMac(f, 6);
        int src = f.u32(26);
        f.u32(26, f.u32(30));
        f.u32(30, src);
    }

    private void writeMac(Frame f, int pos) {
        for (int i = 0; i < 6; i++) {
            f.u8(pos + i, mac[i]);
        }
    }
}
