package io.jix.nic.wire;

import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import java.lang.foreign.ValueLayout;

/**
 * A rough throughput measurement of the wire, not a test: run by hand with
 * {@code java -cp nic/target/classes:nic/target/test-classes io.jix.nic.wire.WireThroughput [seconds]}.
 * Prints frames per second for one thread driving both endpoints and for one sending and one
 * receiving thread, at 64 and 1500 bytes, without and with faults (5 % drop, 5 % duplicate,
 * 5 % reorder, 0.1 % corruption).
 */
public final class WireThroughput {

    private WireThroughput() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 3;
        Faults faults = Faults.builder().seed(1).drop(0.05).duplicate(0.05).reorder(0.05, 8).corrupt(0.001).build();
        for (int size : new int[] {64, 1500}) {
            for (Faults f : new Faults[] {Faults.NONE, faults}) {
                String what = size + " B, " + (f.any() ? "faults" : "no faults");
                oneThread(size, f, 0.5);
                System.out.printf("one thread,  %-18s %6.2f Mfps%n", what, oneThread(size, f, seconds) / 1e6);
                System.out.printf("two threads, %-18s %6.2f Mfps%n", what, twoThreads(size, f, seconds) / 1e6);
            }
        }
    }

    /** a transmits bursts of 32, b receives and frees, on this thread. */
    private static double oneThread(int size, Faults faults, double seconds) {
        try (Wire w = Wire.create(WireConfig.builder().frames(1024).ringSlots(512).faults(faults).build())) {
            WireQueue a = w.a();
            WireQueue b = w.b();
            FramePool pa = a.pool();
            FramePool pb = b.pool();
            FrameBurst tx = new FrameBurst(32);
            FrameBurst rx = new FrameBurst(32);
            long received = 0;
            long seq = 0;
            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long now = start;
            while (now < end) {
                for (int r = 0; r < 64; r++) {
                    while (tx.remaining() > 0) {
                        int f = pa.allocate();
                        if (f < 0) {
                            break;
                        }
                        pa.region().set(ValueLayout.JAVA_LONG, pa.offset(f), seq++);
                        tx.add(f, 0, size);
                    }
                    a.transmit(tx);
                    a.reclaim();
                    rx.clear();
                    int n = b.receive(rx, 32);
                    for (int i = 0; i < n; i++) {
                        pb.release(rx.frame(i));
                    }
                    received += n;
                }
                now = System.nanoTime();
            }
            return received / ((now - start) / 1e9);
        }
    }

    /** a transmits on one thread, b receives on another. */
    private static double twoThreads(int size, Faults faults, double seconds) throws InterruptedException {
        try (Wire w = Wire.create(WireConfig.builder().frames(1024).ringSlots(512).faults(faults).build())) {
            WireQueue a = w.a();
            WireQueue b = w.b();
            long stopAt = System.nanoTime() + (long) ((seconds + 0.5) * 1e9);
            Thread sender = Thread.ofPlatform().start(() -> {
                FramePool pa = a.pool();
                FrameBurst tx = new FrameBurst(32);
                long seq = 0;
                while (System.nanoTime() < stopAt) {
                    for (int r = 0; r < 64; r++) {
                        while (tx.remaining() > 0) {
                            int f = pa.allocate();
                            if (f < 0) {
                                break;
                            }
                            pa.region().set(ValueLayout.JAVA_LONG, pa.offset(f), seq++);
                            tx.add(f, 0, size);
                        }
                        if (a.transmit(tx) == 0) {
                            Thread.yield(); // ring full: let the receiver run if it shares our core
                        }
                        a.reclaim();
                    }
                }
            });
            FramePool pb = b.pool();
            FrameBurst rx = new FrameBurst(32);
            long t0 = System.nanoTime() + 500_000_000L; // after half a second of warm-up
            long received = 0;
            long start = 0;
            long now = System.nanoTime();
            while (now < stopAt) {
                rx.clear();
                int n = b.receive(rx, 32);
                for (int i = 0; i < n; i++) {
                    pb.release(rx.frame(i));
                }
                if (n == 0) {
                    Thread.yield();
                }
                if ((received += n) > 0 && start == 0 && now >= t0) {
                    start = now;
                    received = 0;
                }
                now = System.nanoTime();
            }
            sender.join();
            return received / ((now - start) / 1e9);
        }
    }
}
