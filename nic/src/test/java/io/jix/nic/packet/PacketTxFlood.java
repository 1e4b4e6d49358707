package io.jix.nic.packet;

import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The traffic generator {@link PacketRxBench} runs inside the peer namespace: 60-byte UDP frames
 * (64 on the wire with the FCS) from 198.18.0.2 to 198.18.0.4, over {@code flows} source ports,
 * sent through one AF_PACKET TX ring on the given interface for at most {@code seconds} and at
 * most {@code maxFrames} frames. Prints {@code sent=<n> seconds=<s>}.
 *
 * <p>{@code PacketTxFlood <interface> <destination MAC> <seconds> <maxFrames> <flows>}
 */
final class PacketTxFlood {

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final int FRAME = 60;

    private PacketTxFlood() {
    }

    public static void main(String[] args) {
        String ifname = args[0];
        String[] dstMac = args[1].split(":");
        double seconds = Double.parseDouble(args[2]);
        long maxFrames = Long.parseLong(args[3]);
        int flows = Integer.parseInt(args[4]);
        if (seconds > 60 || maxFrames > 500_000_000L || flows < 1 || flows > 4096) {
            throw new IllegalArgumentException("bounded: at most 60 s, 5e8 frames, 1..4096 flows");
        }
        try (PacketPort port = PacketPort.open(ifname, 1, new PacketConfig(32, 4096, 1024))) {
            PacketQueue q = port.queue(0);
            FramePool pool = q.pool();
            MemorySegment region = pool.region();
            byte[] srcMac = port.mac();
            // Write the template into every pool frame once; only the source port changes per frame.
            for (int f = 0; f < pool.capacity(); f++) {
                long b = pool.offset(f);
                for (int i = 0; i < 6; i++) {
                    region.set(ValueLayout.JAVA_BYTE, b + i, (byte) Integer.parseInt(dstMac[i], 16));
                    region.set(ValueLayout.JAVA_BYTE, b + 6 + i, srcMac[i]);
                }
                region.set(U16, b + 12, (short) 0x0800);
                long ip = b + 14;
                region.set(U16, ip, (short) 0x4500);
                region.set(U16, ip + 2, (short) (FRAME - 14));
                region.set(U32, ip + 4, 0x40000000);        // id 0, DF
                region.set(U16, ip + 8, (short) 0x4011);    // TTL 64, UDP
                region.set(U32, ip + 12, TestResponder.ipv4("198.18.0.2"));
                region.set(U32, ip + 16, TestResponder.ipv4("198.18.0.4"));
                region.set(U16, ip + 10, (short) ipChecksum(region, ip));
                long udp = ip + 20;
                region.set(U16, udp + 2, (short) 7777);
                region.set(U16, udp + 4, (short) (FRAME - 34));
                region.set(U16, udp + 6, (short) 0);        // no UDP checksum (IPv4 allows it)
            }
            FrameBurst burst = new FrameBurst(64);
            long sent = 0;
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            int flow = 0;
            while (sent < maxFrames && System.nanoTime() < end) {
                q.reclaim();
                burst.clear();
                while (burst.remaining() > 0 && sent + burst.count() < maxFrames) {
                    int f = pool.allocate();
                    if (f < 0) {
                        break;
                    }
                    region.set(U16, pool.offset(f) + 34, (short) (10000 + flow));
                    flow = flow + 1 == flows ? 0 : flow + 1;
                    burst.add(f, 0, FRAME);
                }
                sent += q.transmit(burst);
                for (int i = 0; i < burst.count(); i++) {
                    pool.release(burst.frame(i));
                }
            }
            double took = (System.nanoTime() - start) / 1e9;
            System.out.printf("sent=%d seconds=%.3f kicks=%d ring_full=%d%n", sent, took,
                    q.counters().get(io.jix.nic.QueueCounter.TX_KICKS),
                    q.counters().get(io.jix.nic.QueueCounter.DROP_TX_RING_FULL));
        }
    }

    private static int ipChecksum(MemorySegment s, long at) {
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += s.get(U16, at + i) & 0xFFFF;
        }
        while (sum >> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return ~sum & 0xFFFF;
    }
}
