package io.jix.nic.xdp;

import io.jix.nic.QueueCounter;
import io.jix.testnet.TestNet;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Receive-rate sanity check (not a test): jix owns 198.18.0.3 on jix0 through AF_XDP, one thread
 * per queue receives and frees frames (answering ARP so that the peer can address it), and the
 * peer namespace runs a UDP generator against it for a bounded time. Prints what the peer offered
 * (its jix1 TX counters) beside what jix received, and the kernel's XDP statistics.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED -cp &lt;test class path&gt; io.jix.nic.xdp.XdpRxBench [seconds] [generator...]
 * </pre>
 *
 * The generator is a command run in the peer namespace with {@code %s} replaced by the seconds and {@code %m} by jix0's MAC;
 * the default is {@link XdpTxFlood} on jix1 (AF_XDP TX, one thread per queue, 60-byte frames: 64
 * on the wire with the FCS). {@code sockperf throughput -m 18} reached only ~80-115 kpps here.
 */
public final class XdpRxBench {

    private XdpRxBench() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        List<String> generator = new ArrayList<>();
        if (args.length > 1) {
            for (int i = 1; i < args.length; i++) {
                generator.add(args[i]);
            }
        }
        if (seconds < 1 || seconds > 60) {
            throw new IllegalArgumentException("1..60 seconds");
        }
        TestNet.up();
        Inet4Address ours = (Inet4Address) InetAddress.getByName("198.18.0.3");
        byte[] mac = HexFormat.ofDelimiter(":")
                .parseHex(Files.readString(Path.of("/sys/class/net", TestNet.LOCAL_IF, "address")).strip());
        generator.replaceAll(a -> a.replace("%s", Integer.toString(seconds))
                .replace("%m", HexFormat.ofDelimiter(":").formatHex(mac)));
        if (generator.isEmpty()) {
            generator.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    XdpTxFlood.class.getName(), TestNet.PEER_IF, HexFormat.ofDelimiter(":").formatHex(mac),
                    Integer.toString(seconds), "100000000"));
        }
        try (XdpPort port = XdpPort.open(TestNet.LOCAL_IF, ours, XdpConfig.DEFAULT)) {
            System.out.println(port);
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> threads = new ArrayList<>();
            for (XdpQueue q : port.queues()) {
                MiniResponder r = new MiniResponder(q, mac, ours.getAddress(), -1);
                threads.add(Thread.ofPlatform().name("rx-" + q.queueId()).start(() -> {
                    long deadline = System.nanoTime() + Duration.ofSeconds(seconds + 30).toNanos();
                    while (!stop.get() && System.nanoTime() < deadline) {
                        r.poll();
                    }
                }));
            }
            // Resolve our address in the peer before measuring.
            TestNet.execInPeer(Duration.ofSeconds(15), "ping", "-c", "1", "-W", "2", "198.18.0.3");
            try {
            long offered0 = peerTx();
            long rx0 = rx(port);
            long t0 = System.nanoTime();
            String out = TestNet.execInPeer(Duration.ofSeconds(seconds + 30), generator.toArray(String[]::new));
            long t1 = System.nanoTime();
            Thread.sleep(200); // let the rings drain
            long rx1 = rx(port);
            long offered1 = peerTx();
            double secs = (t1 - t0) / 1e9;
            long got = rx1 - rx0;
            long offered = offered1 - offered0;
            for (XdpQueue q : port.queues()) {
                q.refreshCounters();
                System.out.println("queue " + q.queueId() + ": " + q.counters());
            }
            String[] lines = out.strip().split("\n");
            System.out.println("generator: " + lines[lines.length - 1].strip());
            System.out.printf("offered=%d received=%d (%.1f %%) in %.2f s%n", offered, got,
                    offered == 0 ? 0.0 : 100.0 * got / offered, secs);
            System.out.printf("rx_pps=%d offered_pps=%d drops=%d%n", Math.round(got / secs),
                    Math.round(offered / secs), Math.max(0, offered - got));
            } finally {
                stop.set(true);
                for (Thread t : threads) {
                    t.join(5000);
                }
            }
        } finally {
            TestNet.down();
        }
    }

    private static long rx(XdpPort port) {
        long n = 0;
        for (XdpQueue q : port.queues()) {
            n += q.counters().get(QueueCounter.RX_FRAMES); // a recent value: written by the queue's thread
        }
        return n;
    }

    /** Frames jix1 sent (or tried to: veth counts a full peer ring as a TX drop). */
    private static long peerTx() {
        String s = TestNet.execInPeer(Duration.ofSeconds(15), "cat", "/sys/class/net/jix1/statistics/tx_packets",
                "/sys/class/net/jix1/statistics/tx_dropped");
        long n = 0;
        for (String line : s.strip().split("\n")) {
            n += Long.parseLong(line.strip());
        }
        return n;
    }
}
