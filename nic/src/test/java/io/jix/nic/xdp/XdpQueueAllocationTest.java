package io.jix.nic.xdp;

import io.jix.testkit.Allocations;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.FrameBurst;
import io.jix.nic.QueueCounter;
import io.jix.sys.Syscalls;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * receive, transmit and reclaim allocate nothing: the rings are ordinary memory and this test plays
 * the kernel (fill to RX, TX to completion), then measures this thread's allocation over 200,000
 * round trips of 32 frames.
 */
class XdpQueueAllocationTest {

    private static final long PROD = 0;
    private static final long CONS = 64;
    private static final long DESC = 192;
    private static final int RING = 256;

    private final Arena arena = Arena.ofShared();

    private XdpRing ring(int descSize, boolean weProduce) {
        return new XdpRing(arena.allocate(DESC + (long) RING * descSize, 64), PROD, CONS, 128, DESC, RING,
                weProduce);
    }

    /** The kernel moves up to 32 fill entries into RX, and every TX entry into the completion ring. */
    private static void kernel(XdpRing fill, XdpRing rx, XdpRing tx, XdpRing comp) {
        MemorySegment f = fill.memory;
        MemorySegment r = rx.memory;
        int fc = f.get(JAVA_INT, CONS);
        int fp = f.get(JAVA_INT, PROD);
        int rp = r.get(JAVA_INT, PROD);
        int n = Math.min(32, fp - fc);
        for (int i = 0; i < n; i++) {
            long addr = f.get(JAVA_LONG, DESC + 8L * ((fc + i) & (RING - 1)));
            long d = DESC + 16L * ((rp + i) & (RING - 1));
            r.set(JAVA_LONG, d, addr + XdpQueue.XDP_PACKET_HEADROOM);
            r.set(JAVA_INT, d + 8, 60);
        }
        f.set(JAVA_INT, CONS, fc + n);
        r.set(JAVA_INT, PROD, rp + n);
        MemorySegment t = tx.memory;
        MemorySegment c = comp.memory;
        int tc = t.get(JAVA_INT, CONS);
        int tp = t.get(JAVA_INT, PROD);
        int cp = c.get(JAVA_INT, PROD);
        for (int i = 0; i < tp - tc; i++) {
            c.set(JAVA_LONG, DESC + 8L * ((cp + i) & (RING - 1)),
                    t.get(JAVA_LONG, DESC + 16L * ((tc + i) & (RING - 1))));
        }
        t.set(JAVA_INT, CONS, tp);
        c.set(JAVA_INT, PROD, cp + (tp - tc));
    }

    private static long roundTrips(XdpQueue q, XdpRing fill, XdpRing rx, XdpRing tx, XdpRing comp, FrameBurst b,
            int n) {
        long frames = 0;
        for (int i = 0; i < n; i++) {
            kernel(fill, rx, tx, comp);
            b.clear();
            frames += q.receive(b, 64);
            q.transmit(b);
            q.reclaim();
        }
        return frames;
    }

    @Test
    void steadyStateAllocatesNothing() {
        XdpRing fill = ring(8, true);
        XdpRing comp = ring(8, false);
        XdpRing rx = ring(16, false);
        XdpRing tx = ring(16, true);
        MemorySegment umem = arena.allocate(1024L * 2048, 4096);
        XdpQueue q = new XdpQueue(new Syscalls(), -1, 0, null, umem, 2048, 1024, fill, comp, rx, tx, true, false,
                false);
        FrameBurst b = new FrameBurst(64);
        long[] frames = {0};
        long allocated = Allocations.steadyState(() -> frames[0] += roundTrips(q, fill, rx, tx, comp, b, 50_000),
                Allocations::ofCurrentThread, 4, 100, 4);
        assertThat(frames[0]).isGreaterThan(1_000_000);
        assertThat(q.counters().get(QueueCounter.DROP_MALFORMED)).isZero();
        assertThat(allocated).as("bytes allocated over the last 200,000 round trips").isZero();
        q.close();
        arena.close();
    }
}
