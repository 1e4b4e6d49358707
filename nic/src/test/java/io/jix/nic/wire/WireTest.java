package io.jix.nic.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.QueueCounter;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class WireTest {

    /**
     * One thread per endpoint; each sends a million seeded frames to the other while receiving
     * and checking the million coming its way, byte for byte and in order.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void deliversBurstsInOrderByteExactBothWaysAcrossTwoThreads() throws Exception {
        int frames = 1_000_000;
        try (Wire wire = Wire.create(WireConfig.builder().frames(1024).ringSlots(256).build())) {
            Side a = new Side(wire.a(), new Payloads(1, 60, 300), new Payloads(2, 60, 300), frames);
            Side b = new Side(wire.b(), new Payloads(2, 60, 300), new Payloads(1, 60, 300), frames);
            Thread ta = Thread.ofPlatform().name("wire-a").start(a);
            Thread tb = Thread.ofPlatform().name("wire-b").start(b);
            ta.join(100_000);
            tb.join(100_000);
            assertThat(ta.isAlive() || tb.isAlive()).as("both sides finished").isFalse();
            assertThat(a.failure.get()).isNull();
            assertThat(b.failure.get()).isNull();
            for (WireQueue q : new WireQueue[] {wire.a(), wire.b()}) {
                assertThat(q.counters().get(QueueCounter.TX_FRAMES)).isEqualTo(frames);
                assertThat(q.counters().get(QueueCounter.RX_FRAMES)).isEqualTo(frames);
                assertThat(q.pool().available()).isEqualTo(q.pool().capacity());
            }
        }
    }

    /** Sends {@code n} frames of {@code out} and receives and checks {@code n} frames of {@code in}. */
    private static final class Side implements Runnable {
        final WireQueue q;
        final Payloads out;
        final Payloads in;
        final int n;
        final AtomicReference<String> failure = new AtomicReference<>();

        Side(WireQueue q, Payloads out, Payloads in, int n) {
            this.q = q;
            this.out = out;
            this.in = in;
            this.n = n;
        }

        @Override
        public void run() {
            FrameBurst tx = new FrameBurst(32);
            FrameBurst rx = new FrameBurst(32);
            FramePool pool = q.pool();
            long sent = 0;
            long received = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while ((sent < n || received < n || tx.count() > 0) && System.nanoTime() < deadline) {
                while (sent < n && tx.remaining() > 0 && out.add(pool, tx, sent, 0)) {
                    sent++;
                }
                q.transmit(tx);
                q.reclaim();
                rx.clear();
                int got = q.receive(rx, 32);
                for (int i = 0; i < got; i++) {
                    long at = pool.offset(rx.frame(i)) + rx.offset(i);
                    int d = in.differences(pool.region(), at, rx.length(i), received);
                    if (d != 0 && failure.get() == null) {
                        failure.set(q.name() + ": frame " + received + " differs in " + d + " bytes");
                    }
                    pool.release(rx.frame(i));
                    received++;
                }
                if (got == 0 && tx.count() > 0) {
                    Thread.onSpinWait();
                }
            }
            if (received != n || sent != n) {
                failure.compareAndSet(null, q.name() + ": sent " + sent + ", received " + received);
            }
        }
    }

    @Test
    void ringFullLeavesFramesWithTheCallerAndCountsThem() {
        try (Wire wire = Wire.create(WireConfig.builder().frames(64).ringSlots(8).build())) {
            Payloads p = new Payloads(7, 60, 200);
            FrameBurst tx = new FrameBurst(32);
            for (int i = 0; i < 20; i++) {
                p.add(wire.a().pool(), tx, i, 0);
            }
            assertThat(wire.a().transmit(tx)).isEqualTo(8);
            assertThat(tx.count()).isEqualTo(12);
            assertThat(Payloads.sequence(wire.a().pool().region(), wire.a().pool().offset(tx.frame(0)))).isEqualTo(8);
            assertThat(wire.a().counters().get(QueueCounter.DROP_TX_RING_FULL)).isEqualTo(12);
            assertThat(wire.a().reclaim()).isEqualTo(8);
            assertThat(wire.a().pool().available()).isEqualTo(64 - 12);

            Seen received = drain(wire.b(), p, 100);
            assertThat(received.count).isEqualTo(8);
            assertThat(wire.a().transmit(tx)).isEqualTo(8);
            assertThat(wire.a().transmit(tx)).isEqualTo(0);
            drain(wire.b(), p, 100, received);
            assertThat(wire.a().transmit(tx)).isEqualTo(4);
            drain(wire.b(), p, 100, received);
            assertThat(received.count).isEqualTo(20);
            assertThat(received.first).isZero();
            assertThat(received.inOrder).isTrue();
            assertThat(received.corrupt).isZero();
        }
    }

    @Test
    void emptyPoolLeavesFramesInTheRingAndCountsEachAttempt() {
        try (Wire wire = Wire.create(WireConfig.builder().frames(8).ringSlots(16).build())) {
            Payloads p = new Payloads(8, 60, 200);
            FrameBurst tx = new FrameBurst(16);
            long seq = 0;
            for (int round = 0; round < 2; round++) {
                while (tx.remaining() > 0 && p.add(wire.a().pool(), tx, seq, 0)) {
                    seq++;
                }
                wire.a().transmit(tx);
            }
            assertThat(seq).isEqualTo(16);
            FrameBurst rx = new FrameBurst(32);
            assertThat(wire.b().receive(rx, 32)).isEqualTo(8);
            assertThat(wire.b().receive(rx, 32)).isZero();
            assertThat(wire.b().receive(rx, 32)).isZero();
            assertThat(wire.b().counters().get(QueueCounter.DROP_POOL_EMPTY)).isEqualTo(3);
            for (int i = 0; i < rx.count(); i++) {
                wire.b().pool().release(rx.frame(i));
            }
            Seen rest = drain(wire.b(), p, 100);
            assertThat(rest.count).isEqualTo(8);
            assertThat(rest.first).isEqualTo(8);
            assertThat(rest.corrupt).isZero();
        }
    }

    @Test
    void framesThePeerCannotHoldAreDroppedAsMalformedAndForeignFramesThrow() {
        try (Wire wire = Wire.create(WireConfig.builder().frames(8).headroom(256).build())) {
            FramePool pool = wire.a().pool();
            FrameBurst tx = new FrameBurst(4);
            int f = pool.allocate();
            tx.add(f, 0, 2048 - 255);
            assertThat(wire.a().transmit(tx)).isEqualTo(1);
            assertThat(wire.a().counters().get(QueueCounter.DROP_MALFORMED)).isEqualTo(1);
            assertThat(wire.a().counters().get(QueueCounter.TX_FRAMES)).isZero();
            assertThat(pool.available()).isEqualTo(8);
            assertThat(wire.a().maxFrameLength()).isEqualTo(2048 - 256);

            tx.add(3, 0, 60); // never allocated
            assertThatThrownBy(() -> wire.a().transmit(tx)).isInstanceOf(IllegalArgumentException.class);
            tx.clear();
            int g = pool.allocate();
            tx.add(g, 100, 2000); // beyond the frame
            assertThatThrownBy(() -> wire.a().transmit(tx)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void awaitTrafficReturnsWhenAFrameIsWaitingAndOtherwiseAfterTheTimeout() {
        try (Wire wire = Wire.create()) {
            long t0 = System.nanoTime();
            wire.b().awaitTraffic(20_000_000);
            assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(20_000_000);
            Payloads p = new Payloads(9, 60, 60);
            FrameBurst tx = new FrameBurst(1);
            p.add(wire.a().pool(), tx, 0, 0);
            wire.a().transmit(tx);
            t0 = System.nanoTime();
            wire.b().awaitTraffic(10_000_000_000L);
            assertThat(System.nanoTime() - t0).isLessThan(1_000_000_000L);
        }
    }

    @Test
    void closingBothEndpointsFreesTheMemory() {
        Wire wire = Wire.create();
        java.lang.foreign.MemorySegment region = wire.a().pool().region();
        wire.a().close();
        assertThat(region.scope().isAlive()).isTrue();
        wire.b().close();
        wire.close();
        assertThat(region.scope().isAlive()).isFalse();
    }

    /** What drains saw, across calls. */
    static final class Seen {
        int count;
        long first = -1;
        long last = -1;
        boolean inOrder = true;
        int corrupt;
    }

    /** Receives everything waiting on {@code q} (up to {@code max}), checks it against {@code p} by its sequence number, frees it. */
    static Seen drain(WireQueue q, Payloads p, int max) {
        return drain(q, p, max, new Seen());
    }

    static Seen drain(WireQueue q, Payloads p, int max, Seen l) {
        int start = l.count;
        FrameBurst rx = new FrameBurst(32);
        FramePool pool = q.pool();
        while (l.count - start < max) {
            rx.clear();
            int got = q.receive(rx, 32);
            if (got == 0) {
                break;
            }
            for (int i = 0; i < got; i++) {
                long at = pool.offset(rx.frame(i)) + rx.offset(i);
                long seq = Payloads.sequence(pool.region(), at);
                if (l.count == 0) {
                    l.first = seq;
                } else if (seq != l.last + 1) {
                    l.inOrder = false;
                }
                l.last = seq;
                if (p.differences(pool.region(), at, rx.length(i), seq) != 0) {
                    l.corrupt++;
                }
                l.count++;
                pool.release(rx.frame(i));
            }
        }
        return l;
    }
}
