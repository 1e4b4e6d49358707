package io.jix.nic.bench;

import io.jix.nic.Frame;
import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.NicQueue;
import io.jix.nic.QueueCounter;
import io.jix.nic.packet.PacketConfig;
import io.jix.nic.packet.PacketPort;
import io.jix.nic.packet.PacketQueue;
import io.jix.nic.xdp.XdpConfig;
import io.jix.nic.xdp.XdpPort;
import io.jix.nic.xdp.XdpQueue;
import io.jix.sys.Affinity;
import io.jix.sys.Interfaces;
import java.net.Inet4Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A UDP traffic generator that sends as fast as the machine lets it, bounded by a frame count and
 * by time: the peer side of {@code ./jix nic bench}, run in the test network's peer namespace.
 *
 * <p>It transmits on {@code queues} TX queues of one interface, through AF_XDP (copy mode on veth;
 * transmitting needs no XDP program) or AF_PACKET ({@code TPACKET_V2} TX ring, qdisc bypass), with
 * {@code threads} threads each owning some of the queues (queue {@code q} belongs to thread
 * {@code q % threads}), pinned to the CPUs given. Every frame of a queue's pool is written once
 * before the clock starts, each with its own source port out of {@code flows}, so that flows hash
 * over every receive queue of a NIC with RSS; sending then only moves descriptors. On veth the
 * receive queue is the sender's TX queue (AF_XDP) or the sending CPU (AF_PACKET), so on the test
 * network it is the number of queues, not the ports, that spreads the load.
 *
 * <p>"Offered" counts frames the kernel finished sending (AF_XDP completions, AF_PACKET TX slots
 * handed back), not frames merely queued: what the receiving side could have seen.
 */
public final class TrafficGenerator {

    /** The transmit path. */
    public enum Driver {
        /** AF_XDP TX (copy mode on veth). */
        XDP,
        /** AF_PACKET TPACKET_V2 TX ring with qdisc bypass. */
        PACKET
    }

    /** Hard limits, whatever is asked: the generator never runs away. */
    public static final Duration MAX_DURATION = Duration.ofSeconds(60);
    public static final long MAX_FRAMES = 1_000_000_000L;
    public static final int MAX_BATCH = 256;
    private static final long DRAIN_NANOS = 1_000_000_000L;

    /**
     * What to send.
     *
     * @param interfaceName  the interface to send on
     * @param driver         the transmit path
     * @param source         source IPv4 address, in 198.18.0.0/15
     * @param destination    destination IPv4 address, in 198.18.0.0/15
     * @param destinationMac the destination Ethernet address (no ARP: the generator is told)
     * @param destinationPort UDP destination port
     * @param wireSize       frame size on the wire, FCS included (64..1518)
     * @param flows          distinct UDP source ports, from {@value #FIRST_SOURCE_PORT} up
     * @param queues         TX queues to use (queue ids 0..queues-1)
     * @param threads        sending threads (at most {@code queues})
     * @param cpus           CPUs to pin the threads to, round-robin; empty: not pinned
     * @param maxFrames      stop after this many frames in all
     * @param duration       stop after this long
     * @param batch          frames per transmit call (1..{@value #MAX_BATCH})
     */
    public record Config(String interfaceName, Driver driver, Inet4Address source, Inet4Address destination,
            byte[] destinationMac, int destinationPort, int wireSize, int flows, int queues, int threads, int[] cpus,
            long maxFrames, Duration duration, int batch) {

        public Config {
            Objects.requireNonNull(interfaceName, "interfaceName");
            Objects.requireNonNull(driver, "driver");
            UdpFrames.requireBenchmarkRange("source", source);
            UdpFrames.requireBenchmarkRange("destination", destination);
            if (destinationMac == null || destinationMac.length != 6) {
                throw new IllegalArgumentException("destination MAC must be 6 bytes");
            }
            destinationMac = destinationMac.clone();
            UdpFrames.checkWireSize(wireSize);
            if (destinationPort < 1 || destinationPort > 65535) {
                throw new IllegalArgumentException("destination port must be 1..65535: " + destinationPort);
            }
            if (flows < 1 || flows > 65535 - FIRST_SOURCE_PORT) {
                throw new IllegalArgumentException("flows must be 1.." + (65535 - FIRST_SOURCE_PORT) + ": " + flows);
            }
            if (queues < 1 || threads < 1 || threads > queues) {
                throw new IllegalArgumentException("need 1 <= threads <= queues: " + threads + " threads, " + queues
                        + " queues");
            }
            cpus = cpus == null ? new int[0] : cpus.clone();
            if (maxFrames < 1 || maxFrames > MAX_FRAMES) {
                throw new IllegalArgumentException("frames must be 1.." + MAX_FRAMES + ": " + maxFrames);
            }
            if (duration.isNegative() || duration.isZero() || duration.compareTo(MAX_DURATION) > 0) {
                throw new IllegalArgumentException("duration must be in (0, " + MAX_DURATION.toSeconds() + " s]: "
                        + duration);
            }
            if (batch < 1 || batch > MAX_BATCH) {
                throw new IllegalArgumentException("batch must be 1.." + MAX_BATCH + ": " + batch);
            }
        }

        @Override
        public byte[] destinationMac() {
            return destinationMac.clone();
        }

        @Override
        public int[] cpus() {
            return cpus.clone();
        }
    }

    /** The first UDP source port; flow {@code i} uses {@code FIRST_SOURCE_PORT + i}. */
    public static final int FIRST_SOURCE_PORT = 10000;

    /**
     * What was sent.
     *
     * @param offered  frames the kernel finished sending, in all
     * @param perQueue the same per TX queue
     * @param kicks    TX kicks (syscalls asking the kernel to send) per queue
     * @param ringFull times a frame did not fit the TX ring, per queue
     * @param nanos    from the first frame to the last completion
     * @param pinned   the CPU each thread was pinned to, or -1
     * @param describe the transmit path in words
     */
    public record Result(long offered, long[] perQueue, long[] kicks, long[] ringFull, long nanos, int[] pinned,
            String describe) {

        public double seconds() {
            return nanos / 1e9;
        }

        /** Frames offered per second. */
        public long pps() {
            return nanos <= 0 ? 0 : Math.round(offered / seconds());
        }

        /** One line, {@code offered=<n> seconds=<s> pps=<n> queues=<a,b>}: what {@code nic generate} prints last. */
        public String line() {
            StringBuilder q = new StringBuilder();
            for (long n : perQueue) {
                q.append(q.isEmpty() ? "" : ",").append(n);
            }
            return String.format("offered=%d seconds=%.3f pps=%d queues=%s", offered, seconds(), pps(), q);
        }
    }

    private TrafficGenerator() {
    }

    /** Opens the queues, sends until the frame count or the time is used up, drains, closes. */
    public static Result run(Config c) {
        int ifindex = Interfaces.index(c.interfaceName());
        byte[] srcMac = mac(c.interfaceName());
        List<NicQueue> queues = new ArrayList<>();
        PacketPort packetPort = null;
        try {
            String describe;
            if (c.driver() == Driver.XDP) {
                int available = XdpPort.queueCount(c.interfaceName());
                if (c.queues() > available) {
                    throw new IllegalArgumentException(c.interfaceName() + " has " + available + " queues, not "
                            + c.queues());
                }
                // TX only: a small fill ring, the rest of the UMEM for frames in flight.
                XdpConfig xc = XdpConfig.DEFAULT.withFrames(8192, 2048);
                for (int q = 0; q < c.queues(); q++) {
                    queues.add(XdpQueue.open(ifindex, q, xc));
                }
                describe = "AF_XDP TX on " + c.interfaceName() + " ("
                        + (((XdpQueue) queues.getFirst()).zeroCopy() ? "zero-copy" : "copy mode") + ")";
            } else {
                packetPort = PacketPort.open(c.interfaceName(), c.queues(), new PacketConfig(32, 1024, 1024));
                queues.addAll(packetPort.queues());
                describe = "AF_PACKET TPACKET_V2 TX on " + c.interfaceName() + " (qdisc bypass)";
            }
            int srcIp = UdpFrames.ip(c.source());
            int dstIp = UdpFrames.ip(c.destination());
            int len = UdpFrames.dataLength(c.wireSize());
            int flow = 0;
            for (NicQueue q : queues) {
                flow = writeTemplates(q, len, srcMac, c.destinationMac(), srcIp, dstIp, flow, c.flows(),
                        c.destinationPort());
            }
            return send(c, queues, len, describe);
        } finally {
            if (packetPort != null) {
                packetPort.close();
            } else {
                queues.forEach(NicQueue::close);
            }
        }
    }

    /** Writes a whole frame into every free frame of the pool, source ports continuing from {@code flow}. */
    private static int writeTemplates(NicQueue q, int len, byte[] srcMac, byte[] dstMac, int srcIp, int dstIp,
            int flow, int flows, int dstPort) {
        FramePool pool = q.pool();
        Frame f = new Frame();
        int[] taken = new int[pool.available()];
        int n = 0;
        for (int id = pool.allocate(); id >= 0 && n < taken.length; id = pool.allocate()) {
            taken[n++] = id;
            f.wrap(pool, id, 0, len);
            UdpFrames.write(f, srcMac, dstMac, srcIp, dstIp, FIRST_SOURCE_PORT + flow, dstPort);
            flow = flow + 1 == flows ? 0 : flow + 1;
        }
        // Released in reverse so that the pool (a stack) hands them out in the order written: consecutive
        // frames, consecutive source ports.
        for (int i = n - 1; i >= 0; i--) {
            pool.release(taken[i]);
        }
        return flow;
    }

    private static Result send(Config c, List<NicQueue> queues, int len, String describe) {
        int threads = c.threads();
        long[] perQueue = new long[queues.size()];
        long[] kicks = new long[queues.size()];
        long[] ringFull = new long[queues.size()];
        int[] pinned = new int[threads];
        int[] allowed = Affinity.allowedCpus();
        Thread[] workers = new Thread[threads];
        Throwable[] failure = new Throwable[1];
        long start = System.nanoTime();
        long deadline = start + c.duration().toNanos();
        long[] end = new long[threads];
        for (int t = 0; t < threads; t++) {
            int me = t;
            long budget = c.maxFrames() / threads + (t == 0 ? c.maxFrames() % threads : 0);
            int[] mine = mineOf(t, threads, queues.size());
            int cpu = c.cpus().length == 0 ? -1 : c.cpus()[t % c.cpus().length];
            pinned[t] = cpu >= 0 && contains(allowed, cpu) ? cpu : -1;
            workers[t] = Thread.ofPlatform().name("jix-gen-" + t).unstarted(() -> {
                try {
                    if (pinned[me] >= 0) {
                        Affinity.pinCurrentThread(pinned[me]);
                    }
                    NicQueue[] qs = new NicQueue[mine.length];
                    for (int i = 0; i < mine.length; i++) {
                        qs[i] = queues.get(mine[i]);
                    }
                    long[] done = sendLoop(qs, c.driver(), len, budget, deadline, c.batch());
                    for (int i = 0; i < mine.length; i++) {
                        perQueue[mine[i]] = done[i];
                        kicks[mine[i]] = qs[i].counters().get(QueueCounter.TX_KICKS);
                        ringFull[mine[i]] = qs[i].counters().get(QueueCounter.DROP_TX_RING_FULL);
                    }
                    end[me] = System.nanoTime();
                } catch (Throwable e) {
                    synchronized (failure) {
                        failure[0] = e;
                    }
                }
            });
        }
        for (Thread w : workers) {
            w.start();
        }
        long joinBy = deadline + 2 * DRAIN_NANOS + 5_000_000_000L;
        for (Thread w : workers) {
            try {
                w.join(Duration.ofNanos(Math.max(1_000_000L, joinBy - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while sending", e);
            }
            if (w.isAlive()) {
                throw new IllegalStateException(w.getName() + " did not stop in time");
            }
        }
        synchronized (failure) {
            if (failure[0] instanceof RuntimeException re) {
                throw re;
            }
            if (failure[0] != null) {
                throw new IllegalStateException("generator thread failed: " + failure[0], failure[0]);
            }
        }
        long last = Arrays.stream(end).max().orElse(start);
        return new Result(Arrays.stream(perQueue).sum(), perQueue, kicks, ringFull, last - start, pinned, describe);
    }

    /** The queues thread {@code t} of {@code threads} owns: {@code q % threads == t}. */
    private static int[] mineOf(int t, int threads, int queues) {
        int[] mine = new int[(queues - t + threads - 1) / threads];
        for (int i = 0, q = t; q < queues; q += threads) {
            mine[i++] = q;
        }
        return mine;
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    /**
     * One thread's loop over its queues until {@code budget} frames are queued or the deadline
     * passes, then up to a second to let the kernel finish what was queued. Returns the frames
     * completed per queue.
     */
    private static long[] sendLoop(NicQueue[] qs, Driver driver, int len, long budget, long deadline, int batch) {
        FrameBurst burst = new FrameBurst(batch);
        long[] taken = new long[qs.length];
        long[] completed = new long[qs.length];
        long queued = 0;
        while (queued < budget && System.nanoTime() < deadline) {
            for (int i = 0; i < qs.length && queued < budget; i++) {
                NicQueue q = qs[i];
                completed[i] += q.reclaim();
                FramePool pool = q.pool();
                long want = Math.min(batch, budget - queued);
                while (burst.count() < want) {
                    int id = pool.allocate();
                    if (id < 0) {
                        break;
                    }
                    burst.add(id, 0, len);
                }
                int n = q.transmit(burst);
                taken[i] += n;
                queued += n;
                for (int k = 0; k < burst.count(); k++) {
                    pool.release(burst.frame(k)); // the ring was full: they go again next round
                }
                burst.clear();
            }
        }
        long drainBy = System.nanoTime() + DRAIN_NANOS;
        for (int i = 0; i < qs.length; i++) {
            if (driver == Driver.XDP) {
                while (completed[i] < taken[i] && System.nanoTime() < drainBy) {
                    completed[i] += qs[i].reclaim();
                }
            } else {
                PacketQueue pq = (PacketQueue) qs[i];
                while (pq.transmitPending() > 0 && System.nanoTime() < drainBy) {
                    pq.reclaim();
                    Thread.onSpinWait();
                }
                completed[i] = taken[i] - pq.transmitPending();
            }
        }
        return completed;
    }

    /** The interface's MAC address, from sysfs. */
    static byte[] mac(String ifname) {
        return Macs.read(ifname);
    }
}
