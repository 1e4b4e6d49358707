package io.jix.nic.bench;

import io.jix.nic.Frame;
import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.NicQueue;
import io.jix.nic.QueueCounter;
import io.jix.nic.packet.PacketConfig;
import io.jix.nic.packet.PacketPort;
import io.jix.nic.xdp.XdpConfig;
import io.jix.nic.xdp.XdpPort;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * The receiving side of {@code ./jix nic bench}: opens a port on an interface with the driver under
 * test and counts what arrives, per queue, with receive threads that poll their queues in batches,
 * look at every frame (Ethernet type, destination address, UDP port) and hand it straight back to
 * the pool. Frames that are not the generator's (anything else the link carries) are counted apart.
 *
 * <p>Queue {@code q} belongs to thread {@code q % threads}; thread {@code t} is pinned to
 * {@code cpus[t % cpus.length]} when that CPU is allowed. Receivers run until {@link #stop()} or a
 * hard time limit, whichever comes first.
 */
public final class RxBench implements AutoCloseable {

    /** The driver under test. */
    public enum Driver {
        /** AF_XDP with jix's steering program ({@link XdpPort}). */
        XDP,
        /** AF_PACKET with a hash fanout group ({@link PacketPort}). */
        PACKET
    }

    /** What a receive thread does after a round over its queues found nothing. */
    public enum Idle {
        /** Poll again at once (with a spin-wait hint): the lowest latency, a whole CPU. */
        SPIN,
        /** {@link Thread#yield()}: lets a thread sharing the CPU run. */
        YIELD,
        /** Sleep {@value #SLEEP_NANOS} ns: the rings buffer meanwhile; leaves the CPU to the kernel and others. */
        SLEEP
    }

    static final long SLEEP_NANOS = 50_000;

    /**
     * What to open and how to poll it.
     *
     * @param driver          the driver under test
     * @param interfaceName   the interface
     * @param address         the IPv4 address jix serves (steered to jix by the XDP program), in 198.18.0.0/15
     * @param queues          queues to open: for AF_XDP every queue of the interface is opened, so this
     *                        must be that count or 0 (meaning: the interface's); for AF_PACKET the
     *                        fanout group size
     * @param threads         receive threads (1..queues; 0: one per queue)
     * @param cpus            CPUs to pin threads to, round-robin; empty: not pinned
     * @param batch           frames per receive call (1..256)
     * @param rxRing          AF_XDP RX ring entries / AF_PACKET RX slots per queue
     * @param destinationPort the UDP port the generator sends to
     * @param idle            what a thread does when its queues are empty
     * @param maxRun          receivers stop by themselves after this long
     */
    public record Config(Driver driver, String interfaceName, Inet4Address address, int queues, int threads,
            int[] cpus, int batch, int rxRing, int destinationPort, Idle idle, Duration maxRun) {

        public Config {
            Objects.requireNonNull(driver, "driver");
            Objects.requireNonNull(interfaceName, "interfaceName");
            Objects.requireNonNull(idle, "idle");
            UdpFrames.requireBenchmarkRange("address", address);
            if (queues < 0 || threads < 0 || (queues > 0 && threads > queues)) {
                throw new IllegalArgumentException("need 0 <= threads <= queues: " + threads + " threads, " + queues
                        + " queues");
            }
            cpus = cpus == null ? new int[0] : cpus.clone();
            if (batch < 1 || batch > 256) {
                throw new IllegalArgumentException("batch must be 1..256: " + batch);
            }
            if (rxRing < 32 || Integer.bitCount(rxRing) != 1 || rxRing > 65536) {
                throw new IllegalArgumentException("RX ring must be a power of two, 32..65536: " + rxRing);
            }
            if (maxRun.isNegative() || maxRun.isZero() || maxRun.compareTo(Duration.ofMinutes(5)) > 0) {
                throw new IllegalArgumentException("max run must be in (0, 5 min]: " + maxRun);
            }
        }

        @Override
        public int[] cpus() {
            return cpus.clone();
        }
    }

    /**
     * One queue's count.
     *
     * @param queueId  the queue
     * @param thread   the receive thread that polled it
     * @param cpu      the CPU that thread was pinned to, or -1
     * @param received the generator's frames received
     * @param bytes    their bytes (as handed over, without FCS)
     * @param other    frames received that were not the generator's
     * @param counters the queue's {@link QueueCounter}s, indexed by ordinal, kernel statistics refreshed
     */
    public record QueueResult(int queueId, int thread, int cpu, long received, long bytes, long other,
            long[] counters) {

        public long counter(QueueCounter c) {
            return counters[c.ordinal()];
        }
    }

    /**
     * What the receivers saw.
     *
     * @param queues   per queue
     * @param threadCpuNanos CPU time each receive thread used (-1: unknown)
     * @param describe the port in words (driver, mode)
     */
    public record Result(List<QueueResult> queues, long[] threadCpuNanos, String describe) {

        /** CPU time the receive threads used, in all (user + system, from {@code /proc/thread-self/stat}; -1 if unknown). */
        public long cpuNanos() {
            long n = 0;
            for (long t : threadCpuNanos) {
                if (t < 0) {
                    return -1;
                }
                n += t;
            }
            return n;
        }

        public long received() {
            return queues.stream().mapToLong(QueueResult::received).sum();
        }

        public long other() {
            return queues.stream().mapToLong(QueueResult::other).sum();
        }

        public long counter(QueueCounter c) {
            return queues.stream().mapToLong(q -> q.counter(c)).sum();
        }
    }

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final Config config;
    private final XdpPort xdp;
    private final PacketPort packet;
    private final List<NicQueue> queues;
    private final Thread[] threads;
    private final int[] pinned;
    private final long[] cpuNanos;
    /** Per queue: received, bytes, other; written by the owning thread with opaque stores. */
    private final long[] received;
    private final long[] bytes;
    private final long[] other;
    private volatile boolean stop;
    private volatile Throwable failure;
    private Result result;
    private boolean closed;

    private RxBench(Config config, XdpPort xdp, PacketPort packet, List<NicQueue> queues) {
        this.config = config;
        this.xdp = xdp;
        this.packet = packet;
        this.queues = List.copyOf(queues);
        int n = config.threads() == 0 ? queues.size() : Math.min(config.threads(), queues.size());
        this.threads = new Thread[n];
        this.pinned = new int[n];
        this.cpuNanos = new long[n];
        java.util.Arrays.fill(cpuNanos, -1);
        this.received = new long[queues.size()];
        this.bytes = new long[queues.size()];
        this.other = new long[queues.size()];
    }

    /**
     * Opens the port and starts the receive threads. Throws {@link io.jix.sys.SysException} when
     * the port cannot be opened (nothing is left open then).
     */
    public static RxBench start(Config c) {
        XdpPort xdp = null;
        PacketPort packet = null;
        List<NicQueue> queues = new ArrayList<>();
        if (c.driver() == Driver.XDP) {
            int count = XdpPort.queueCount(c.interfaceName());
            if (c.queues() != 0 && c.queues() != count) {
                throw new IllegalArgumentException("AF_XDP opens every queue of " + c.interfaceName() + ": it has "
                        + count + ", not " + c.queues() + " (a queue without a socket would leak jix's traffic"
                        + " to the kernel)");
            }
            int fill = Math.max(8192, c.rxRing());
            XdpConfig xc = new XdpConfig(2048, 2 * fill, fill, 4096, c.rxRing(), 4096, true, true, true);
            xdp = XdpPort.open(c.interfaceName(), c.address(), xc);
            queues.addAll(xdp.queues());
        } else {
            int n = c.queues() == 0 ? XdpPort.queueCount(c.interfaceName()) : c.queues();
            int slots = Math.max(PacketConfig.SLOTS_PER_BLOCK, c.rxRing());
            packet = PacketPort.open(c.interfaceName(), n, new PacketConfig(slots, PacketConfig.SLOTS_PER_BLOCK,
                    Math.max(1024, 4 * c.batch())));
            queues.addAll(packet.queues());
        }
        RxBench b = new RxBench(c, xdp, packet, queues);
        try {
            b.startThreads();
        } catch (RuntimeException | Error e) {
            b.close();
            throw e;
        }
        return b;
    }

    private void startThreads() {
        int[] allowed = io.jix.sys.Affinity.allowedCpus();
        int[] cpus = config.cpus();
        long deadline = System.nanoTime() + config.maxRun().toNanos();
        for (int t = 0; t < threads.length; t++) {
            int me = t;
            int cpu = cpus.length == 0 ? -1 : cpus[t % cpus.length];
            pinned[t] = cpu >= 0 && contains(allowed, cpu) ? cpu : -1;
            List<Integer> mine = new ArrayList<>();
            for (int q = t; q < queues.size(); q += threads.length) {
                mine.add(q);
            }
            int[] ids = mine.stream().mapToInt(Integer::intValue).toArray();
            threads[t] = Thread.ofPlatform().name("jix-rx-" + t).start(() -> {
                try {
                    if (pinned[me] >= 0) {
                        io.jix.sys.Affinity.pinCurrentThread(pinned[me]);
                    }
                    long cpu0 = threadCpuNanos();
                    receiveLoop(ids, deadline);
                    long cpu1 = threadCpuNanos();
                    cpuNanos[me] = cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0;
                } catch (Throwable e) {
                    failure = e;
                }
            });
        }
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    /** The calling thread's CPU time (utime + stime) from {@code /proc/thread-self/stat}, or -1. */
    static long threadCpuNanos() {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/thread-self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            return ticks * (1_000_000_000L / CLOCK_TICKS_PER_SECOND);
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    /** USER_HZ: what /proc counts CPU time in, 100 on Linux. */
    private static final long CLOCK_TICKS_PER_SECOND = 100;

    /** One receive thread: rounds over its queues until stopped or past the deadline. */
    private void receiveLoop(int[] ids, long deadline) {
        NicQueue[] qs = new NicQueue[ids.length];
        for (int i = 0; i < ids.length; i++) {
            qs[i] = queues.get(ids[i]);
        }
        FrameBurst burst = new FrameBurst(config.batch());
        Frame f = new Frame();
        int batch = config.batch();
        int ip = UdpFrames.ip(config.address());
        int port = config.destinationPort();
        Idle idle = config.idle();
        long[] rx = new long[ids.length];
        long[] rxBytes = new long[ids.length];
        long[] foreign = new long[ids.length];
        while (!stop && System.nanoTime() < deadline) {
            int round = 0;
            for (int i = 0; i < qs.length; i++) {
                NicQueue q = qs[i];
                FramePool pool = q.pool();
                int n = q.receive(burst, batch);
                for (int k = 0; k < n; k++) {
                    int len = burst.length(k);
                    f.wrap(pool, burst.frame(k), burst.offset(k), len);
                    if (len >= UdpFrames.HEADERS && f.u16(UdpFrames.ETHERTYPE_AT) == UdpFrames.ETHERTYPE_IPV4
                            && f.u32(UdpFrames.IP_DST_AT) == ip && f.u16(UdpFrames.UDP_DST_PORT_AT) == port) {
                        rx[i]++;
                        rxBytes[i] += len;
                    } else {
                        foreign[i]++;
                    }
                    pool.release(burst.frame(k));
                }
                burst.clear();
                if (n > 0) {
                    round += n;
                    LONGS.setOpaque(received, ids[i], rx[i]);
                    LONGS.setOpaque(bytes, ids[i], rxBytes[i]);
                    LONGS.setOpaque(other, ids[i], foreign[i]);
                }
            }
            if (round == 0) {
                switch (idle) {
                    case SPIN -> Thread.onSpinWait();
                    case YIELD -> Thread.yield();
                    case SLEEP -> LockSupport.parkNanos(SLEEP_NANOS);
                }
            }
        }
    }

    /** The generator's frames received so far (a recent value). */
    public long received() {
        long n = 0;
        for (int i = 0; i < received.length; i++) {
            n += (long) LONGS.getOpaque(received, i);
        }
        return n;
    }

    /** The port in words. */
    public String describe() {
        return xdp != null ? xdp.toString() : packet.toString();
    }

    /** Stops the receive threads (waiting up to 5 s for them), refreshes the kernel's counters, and reports. */
    public Result stop() {
        if (result != null) {
            return result;
        }
        stop = true;
        for (Thread t : threads) {
            if (t == null) {
                continue;
            }
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while stopping the receivers", e);
            }
            if (t.isAlive()) {
                throw new IllegalStateException(t.getName() + " did not stop within 5 s");
            }
        }
        if (failure != null) {
            throw new IllegalStateException("a receive thread failed: " + failure, failure);
        }
        List<QueueResult> out = new ArrayList<>();
        for (int q = 0; q < queues.size(); q++) {
            NicQueue nq = queues.get(q);
            nq.refreshCounters();
            long[] counters = new long[QueueCounter.values().length];
            for (QueueCounter c : QueueCounter.values()) {
                counters[c.ordinal()] = nq.counters().get(c);
            }
            int thread = q % threads.length;
            out.add(new QueueResult(nq.queueId(), thread, pinned[thread], received[q], bytes[q], other[q], counters));
        }
        result = new Result(List.copyOf(out), cpuNanos.clone(), describe());
        return result;
    }

    /** Stops the receivers if running and closes the port (the XDP program is detached). Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        stop = true;
        for (Thread t : threads) {
            if (t != null) {
                try {
                    t.join(Duration.ofSeconds(5));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        boolean alive = false;
        for (Thread t : threads) {
            alive |= t != null && t.isAlive();
        }
        if (alive) {
            // Never unmap rings a thread may still touch; the process exit will release them.
            return;
        }
        closed = true;
        if (xdp != null) {
            xdp.close();
        }
        if (packet != null) {
            packet.close();
        }
    }
}
