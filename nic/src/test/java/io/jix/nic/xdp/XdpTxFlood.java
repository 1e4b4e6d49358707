package io.jix.nic.xdp;

import io.jix.nic.Frame;
import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.QueueCounter;
import io.jix.sys.Interfaces;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A UDP frame generator over AF_XDP TX (copy mode on veth; no XDP program needed to transmit), for
 * {@link XdpRxBench}: meant to run inside the peer namespace on jix1. One thread per queue sends
 * 60-byte frames (64 on the wire) 198.18.0.2 to 198.18.0.3, bounded by seconds and by count.
 *
 * <pre>
 *   ip netns exec jix-peer java ... io.jix.nic.xdp.XdpTxFlood &lt;ifname&gt; &lt;dst mac&gt; &lt;seconds&gt; &lt;max frames&gt; [threads]
 * </pre>
 */
public final class XdpTxFlood {

    private XdpTxFlood() {
    }

    public static void main(String[] args) throws Exception {
        String ifname = args[0];
        byte[] dstMac = HexFormat.ofDelimiter(":").parseHex(args[1]);
        int seconds = Math.min(60, Integer.parseInt(args[2]));
        long max = Math.min(1_000_000_000L, Long.parseLong(args[3]));
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : XdpPort.queueCount(ifname);
        byte[] srcMac = HexFormat.ofDelimiter(":")
                .parseHex(Files.readString(Path.of("/sys/class/net", ifname, "address")).strip());
        int ifindex = Interfaces.index(ifname);
        long[] sent = new long[threads];
        List<Thread> workers = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            int queueId = t;
            XdpQueue q = XdpQueue.open(ifindex, queueId, XdpConfig.DEFAULT.withFrames(8192 + 256, 8192));
            workers.add(Thread.ofPlatform().name("tx-" + t).start(() -> {
                try (q) {
                    sent[queueId] = flood(q, srcMac, dstMac, queueId, t0 + seconds * 1_000_000_000L,
                            max / threads);
                }
            }));
        }
        for (Thread w : workers) {
            w.join();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        long total = 0;
        for (long s : sent) {
            total += s;
        }
        System.out.printf("sent=%d in %.2f s: %d pps%n", total, secs, Math.round(total / secs));
    }

    private static long flood(XdpQueue q, byte[] srcMac, byte[] dstMac, int queueId, long deadline, long max) {
        FramePool pool = q.pool();
        Frame f = new Frame();
        // Write the frame once into every free frame: transmission leaves it unchanged.
        int[] all = new int[pool.available()];
        for (int i = 0; i < all.length; i++) {
            all[i] = pool.allocate();
            f.wrap(pool, all[i], 0, 60);
            template(f, srcMac, dstMac, 10000 + queueId);
        }
        for (int id : all) {
            pool.release(id);
        }
        FrameBurst burst = new FrameBurst(64);
        long sent = 0;
        while (sent < max && System.nanoTime() < deadline) {
            q.reclaim();
            while (burst.remaining() > 0) {
                int id = pool.allocate();
                if (id < 0) {
                    break;
                }
                burst.add(id, 0, 60);
            }
            sent += q.transmit(burst);
            for (int i = 0; i < burst.count(); i++) {
                pool.release(burst.frame(i));
            }
            burst.clear();
        }
        long end = System.nanoTime() + 1_000_000_000L;
        while (q.framesInKernel() > 0 && System.nanoTime() < end) {
            q.reclaim();
        }
        System.err.println("tx queue " + queueId + ": " + q.counters().get(QueueCounter.TX_FRAMES) + " frames, "
                + q.counters().get(QueueCounter.TX_KICKS) + " kicks");
        return sent;
    }

    private static void template(Frame f, byte[] srcMac, byte[] dstMac, int srcPort) {
        for (int i = 0; i < 6; i++) {
            f.u8(i, dstMac[i]);
            f.u8(6 + i, srcMac[i]);
        }
        f.u16(12, 0x0800);
        f.u16(14, 0x4500);
        f.u16(16, 46);                      // IPv4 total length: 20 + 8 + 18
        f.u32(18, 0x4000);                  // id 0, DF
        f.u16(22, 64 << 8 | 17);            // TTL 64, UDP
        f.u16(24, 0);
        f.u32(26, 198 << 24 | 18 << 16 | 2);
        f.u32(30, 198 << 24 | 18 << 16 | 3);
        long sum = 0;
        for (int i = 14; i < 34; i += 2) {
            sum += f.u16(i);
        }
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        f.u16(24, (int) (~sum & 0xffff));
        f.u16(34, srcPort);
        f.u16(36, 9000);
        f.u16(38, 26);                      // UDP length: 8 + 18
        f.u16(40, 0);                       // no checksum
        for (int i = 42; i < 60; i++) {
            f.u8(i, i);
        }
    }
}
