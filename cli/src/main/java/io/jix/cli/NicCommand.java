package io.jix.cli;

import io.jix.nic.QueueCounter;
import io.jix.nic.bench.Macs;
import io.jix.nic.bench.RxBench;
import io.jix.nic.bench.TrafficGenerator;
import io.jix.testnet.TestNet;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ./jix nic bench|generate}: the NIC receive benchmark over the test network, and the traffic
 * generator it runs in the peer namespace.
 */
@Command(name = "nic", mixinStandardHelpOptions = true, versionProvider = TestnetCommand.RootVersion.class,
        description = "NIC drivers: the receive benchmark and its traffic generator.",
        subcommands = {NicCommand.Bench.class, NicCommand.Generate.class})
public final class NicCommand implements Runnable {

    @Spec
    CommandSpec spec;

    /** For picocli. */
    public NicCommand() {
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing subcommand: bench or generate");
    }

    /** Parses a comma-separated CPU list ({@code 0,1}); empty: none. */
    static int[] cpus(String list) {
        if (list == null || list.isBlank() || list.equals("none")) {
            return new int[0];
        }
        return Arrays.stream(list.split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
    }

    /** CPU time this process has used so far, in milliseconds (-1 when unknown). */
    static long cpuMillis() {
        return ProcessHandle.current().info().totalCpuDuration().map(Duration::toMillis).orElse(-1L);
    }

    static Inet4Address ipv4(String text) {
        try {
            if (InetAddress.getByName(text) instanceof Inet4Address a && text.chars().allMatch(
                    ch -> ch == '.' || Character.isDigit(ch))) {
                return a;
            }
        } catch (UnknownHostException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("not an IPv4 address (dotted quad): " + text);
    }

    // ----------------------------------------------------------------------------------------- generate

    /** {@code nic generate}: sends UDP frames as fast as it can, bounded by count and time. */
    @Command(name = "generate", mixinStandardHelpOptions = true,
            versionProvider = TestnetCommand.RootVersion.class,
            description = {
                "Send UDP frames as fast as this machine allows, bounded by --frames and --seconds, through AF_XDP"
                        + " or AF_PACKET TX on one interface. Needs root. Only 198.18.0.0/15 addresses.",
                "The last line is: offered=<frames> seconds=<s> pps=<rate> queues=<per queue>."
            })
    public static final class Generate implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--interface", required = true, paramLabel = "IF", description = "Interface to send on.")
        String ifname;

        @Option(names = "--driver", defaultValue = "xdp", paramLabel = "xdp|packet",
                description = "Transmit path (default: ${DEFAULT-VALUE}).")
        TrafficGenerator.Driver driver;

        @Option(names = "--source", defaultValue = TestNet.PEER_ADDRESS, paramLabel = "IPV4",
                description = "Source address (default: ${DEFAULT-VALUE}).")
        String source;

        @Option(names = "--destination", defaultValue = "198.18.0.3", paramLabel = "IPV4",
                description = "Destination address (default: ${DEFAULT-VALUE}).")
        String destination;

        @Option(names = "--destination-mac", required = true, paramLabel = "MAC",
                description = "Destination Ethernet address (aa:bb:cc:dd:ee:ff); no ARP is done.")
        String destinationMac;

        @Option(names = "--port", defaultValue = "9000", description = "UDP destination port (default: ${DEFAULT-VALUE}).")
        int port;

        @Option(names = "--size", defaultValue = "64", paramLabel = "BYTES",
                description = "Frame size on the wire, FCS included, 64..1518 (default: ${DEFAULT-VALUE}).")
        int size;

        @Option(names = "--flows", defaultValue = "64",
                description = "Distinct UDP source ports, so flows hash over all queues (default: ${DEFAULT-VALUE}).")
        int flows;

        @Option(names = "--queues", defaultValue = "0",
                description = "TX queues to send on; 0: all of the interface's (default: ${DEFAULT-VALUE}).")
        int queues;

        @Option(names = "--threads", defaultValue = "0",
                description = "Sending threads, each owning some queues; 0: one per queue (default: ${DEFAULT-VALUE}).")
        int threads;

        @Option(names = "--cpus", defaultValue = "", paramLabel = "LIST",
                description = "CPUs to pin the threads to, e.g. 1 or 0,1; empty: not pinned.")
        String cpus;

        @Option(names = "--frames", defaultValue = "100000000",
                description = "Stop after this many frames (default: ${DEFAULT-VALUE}).")
        long frames;

        @Option(names = "--seconds", defaultValue = "5", description = "Stop after this long (default: ${DEFAULT-VALUE}).")
        double seconds;

        @Option(names = "--batch", defaultValue = "64",
                description = "Frames per transmit call, 1..256 (default: ${DEFAULT-VALUE}).")
        int batch;

        /** For picocli. */
        public Generate() {
        }

        @Override
        public Integer call() {
            io.jix.sys.Interfaces.index(ifname); // a missing interface is one clear line, before anything else
            int q = queues == 0 ? io.jix.nic.xdp.XdpPort.queueCount(ifname) : queues;
            int t = threads == 0 ? q : threads;
            TrafficGenerator.Config c = new TrafficGenerator.Config(ifname, driver, ipv4(source), ipv4(destination),
                    Macs.parse(destinationMac), port, size, flows, q, t, cpus(cpus), frames,
                    Duration.ofNanos((long) (seconds * 1e9)), batch);
            TrafficGenerator.Result r = TrafficGenerator.run(c);
            PrintWriter out = spec.commandLine().getOut();
            out.println(r.describe() + ", " + t + " thread(s) pinned to " + Arrays.toString(r.pinned())
                    + ", TX kicks per queue " + Arrays.toString(r.kicks()) + ", ring full per queue "
                    + Arrays.toString(r.ringFull()));
            out.println(r.line() + " cpu_ms=" + cpuMillis());
            out.flush();
            return 0;
        }
    }

    // ----------------------------------------------------------------------------------------- bench

    /** {@code nic bench}: the generator in the peer namespace, the driver under test counting in jix. */
    @Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = TestnetCommand.RootVersion.class,
            description = {
                "Receive benchmark over the test network: jix opens --interface with the driver under test for"
                        + " --address (an address the kernel does not own), `jix nic generate` floods it from"
                        + " namespace " + TestNet.NAMESPACE + " for --seconds, and the table shows what was offered,"
                        + " what jix received, and every drop by reason. Needs root; brings the test network up"
                        + " (and down again) if it is not up.",
                "The last line is: rx_pps=<n> tx_pps=<n> drops=<n>."
            })
    public static final class Bench implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--backend", defaultValue = "xdp", paramLabel = "xdp|packet",
                description = "Driver under test (default: ${DEFAULT-VALUE}).")
        RxBench.Driver backend;

        @Option(names = "--interface", defaultValue = TestNet.LOCAL_IF, paramLabel = "IF",
                description = "Interface jix receives on (default: ${DEFAULT-VALUE}); its veth peer in "
                        + TestNet.NAMESPACE + " is " + TestNet.PEER_IF + ".")
        String ifname;

        @Option(names = "--address", defaultValue = "198.18.0.3", paramLabel = "IPV4",
                description = "The address jix serves, not the kernel's (default: ${DEFAULT-VALUE}).")
        String address;

        @Option(names = "--queues", defaultValue = "0",
                description = "Receive queues; 0: all of the interface's (AF_XDP always opens all) (default: ${DEFAULT-VALUE}).")
        int queues;

        @Option(names = "--seconds", defaultValue = "5", description = "Generator run time (default: ${DEFAULT-VALUE}).")
        double seconds;

        @Option(names = "--size", defaultValue = "64", paramLabel = "BYTES",
                description = "Frame size on the wire, FCS included (default: ${DEFAULT-VALUE}).")
        int size;

        @Option(names = "--frames", defaultValue = "100000000",
                description = "Generator frame limit (default: ${DEFAULT-VALUE}).")
        long frames;

        @Option(names = "--rx-threads", defaultValue = "1",
                description = "Receive threads, each polling some queues; 0: one per queue (default: ${DEFAULT-VALUE}).")
        int rxThreads;

        @Option(names = "--rx-cpus", defaultValue = "0", paramLabel = "LIST",
                description = "CPUs for the receive threads (default: ${DEFAULT-VALUE}; 'none': not pinned).")
        String rxCpus;

        @Option(names = "--rx-batch", defaultValue = "64",
                description = "Frames per receive call, 1..256 (default: ${DEFAULT-VALUE}).")
        int rxBatch;

        @Option(names = "--rx-ring", defaultValue = "8192",
                description = "RX ring entries per queue (default: ${DEFAULT-VALUE}).")
        int rxRing;

        @Option(names = "--idle", defaultValue = "sleep", paramLabel = "spin|yield|sleep",
                description = "What a receive thread does when its queues are empty (default: ${DEFAULT-VALUE}).")
        RxBench.Idle idle;

        @Option(names = "--generator", defaultValue = "xdp", paramLabel = "xdp|packet",
                description = "The generator's transmit path (default: ${DEFAULT-VALUE}).")
        TrafficGenerator.Driver generator;

        @Option(names = "--generator-threads", defaultValue = "0",
                description = "Generator threads; 0: one per queue (default: ${DEFAULT-VALUE}).")
        int generatorThreads;

        @Option(names = "--generator-cpus", defaultValue = "0,1", paramLabel = "LIST",
                description = "CPUs for the generator threads (default: ${DEFAULT-VALUE}; 'none': not pinned).")
        String generatorCpus;

        /** For picocli. */
        public Bench() {
        }

        @Override
        public Integer call() throws Exception {
            if (seconds <= 0 || seconds > TrafficGenerator.MAX_DURATION.toSeconds()) {
                throw new IllegalArgumentException("--seconds must be in (0, " + TrafficGenerator.MAX_DURATION.toSeconds()
                        + "]: " + seconds);
            }
            String why = TestNet.unavailableReason();
            if (why != null) {
                throw new IllegalStateException("nic bench: " + why);
            }
            Inet4Address ours = ipv4(address);
            PrintWriter out = spec.commandLine().getOut();
            boolean broughtUp = !TestNet.status().complete();
            if (broughtUp) {
                TestNet.up();
            }
            try {
                return measure(out, ours);
            } finally {
                if (broughtUp) {
                    TestNet.down();
                }
            }
        }

        private int measure(PrintWriter out, Inet4Address ours) throws Exception {
            byte[] mac = Macs.read(ifname);
            int peerQueues = Integer.parseInt(TestNet.execInPeer(TestNet.COMMAND_TIMEOUT, "sh", "-c",
                    "ls -d /sys/class/net/" + TestNet.PEER_IF + "/queues/tx-* | wc -l").strip());
            Duration maxRun = Duration.ofNanos((long) (seconds * 1e9)).plusSeconds(60);
            RxBench.Config rc = new RxBench.Config(backend, ifname, ours, queues, rxThreads, cpus(rxCpus), rxBatch,
                    rxRing, 9000, idle, maxRun);
            try (RxBench rx = RxBench.start(rc)) {
                Map<String, Long> ethtool0 = ethtool(ifname);
                long[] peer0 = peerTx();
                Map<String, long[]> cpu0 = cpuTimes();
                Map<Long, Task> tasks0 = tasks();
                int genQueues = Math.min(peerQueues, queues == 0 ? peerQueues : queues);
                int genThreads = generatorThreads == 0 ? genQueues : Math.min(generatorThreads, genQueues);
                List<String> gen = generatorCommand(mac, ours, genQueues, genThreads);
                long t0 = System.nanoTime();
                String genOut = runGenerator(gen, Duration.ofNanos((long) (seconds * 1e9)).plusSeconds(30));
                long genWall = System.nanoTime() - t0;
                Map<String, long[]> cpu1 = cpuTimes();
                Map<Long, Task> tasks1 = tasks();
                settle(rx);
                RxBench.Result r = rx.stop();
                long[] peer1 = peerTx();
                Map<String, Long> ethtool1 = ethtool(ifname);
                String summary = report(out, r, genOut, genWall, peer0, peer1, ethtool0, ethtool1, genThreads);
                cpuReport(out, cpu0, cpu1);
                othersReport(out, tasks0, tasks1);
                out.println(summary);
            }
            out.flush();
            return 0;
        }

        /** Waits (at most 2 s) until the receive count stops moving: the rings are drained. */
        private static void settle(RxBench rx) throws InterruptedException {
            long last = -1;
            long by = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < by) {
                long now = rx.received();
                if (now == last) {
                    return;
                }
                last = now;
                Thread.sleep(50);
            }
        }

        /** The generator as a child JVM in the peer namespace (PeerJvm), with a small serial heap. */
        private List<String> generatorCommand(byte[] mac, Inet4Address ours, int genQueues, int genThreads) {
            return PeerJvm.command(List.of("-XX:+UseSerialGC", "-Xmx512m"), List.of("nic", "generate",
                    "--interface", TestNet.PEER_IF, "--driver", generator.name().toLowerCase(), "--source",
                    TestNet.PEER_ADDRESS, "--destination", ours.getHostAddress(), "--destination-mac",
                    Macs.format(mac), "--port", "9000", "--size", Integer.toString(size), "--queues",
                    Integer.toString(genQueues), "--threads", Integer.toString(genThreads), "--cpus",
                    generatorCpus.equals("none") ? "" : generatorCpus, "--frames", Long.toString(frames),
                    "--seconds", Double.toString(seconds)));
        }

        /** Runs the generator, bounded; returns its stdout, or throws with its error. */
        private static String runGenerator(List<String> cmd, Duration limit) throws Exception {
            PeerJvm.Outcome o = PeerJvm.run(cmd, limit);
            if (o.exit() != 0) {
                String err = o.err().strip();
                throw new IllegalStateException("the generator failed (exit " + o.exit() + "): "
                        + (err.isEmpty() ? o.out().strip() : err));
            }
            return o.out();
        }

        /** {@code /proc/stat} per CPU: user, nice, system, idle, iowait, irq, softirq, steal (clock ticks). */
        private static Map<String, long[]> cpuTimes() {
            Map<String, long[]> m = new LinkedHashMap<>();
            try {
                for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                    if (line.startsWith("cpu") && line.length() > 3 && Character.isDigit(line.charAt(3))) {
                        String[] f = line.split("\\s+");
                        long[] v = new long[8];
                        for (int i = 0; i < 8 && i + 1 < f.length; i++) {
                            v[i] = Long.parseLong(f[i + 1]);
                        }
                        m.put(f[0], v);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return m;
        }

        /** Where the CPUs' time went while the generator ran (both namespaces share them). */
        private static void cpuReport(PrintWriter out, Map<String, long[]> a, Map<String, long[]> b) {
            StringBuilder s = new StringBuilder();
            for (var e : b.entrySet()) {
                long[] x = a.get(e.getKey());
                if (x == null) {
                    continue;
                }
                long[] d = new long[8];
                long total = 0;
                for (int i = 0; i < 8; i++) {
                    d[i] = e.getValue()[i] - x[i];
                    total += d[i];
                }
                if (total <= 0) {
                    continue;
                }
                s.append(s.isEmpty() ? "" : "; ").append(String.format("%s user %.0f %%, system %.0f %%, softirq %.0f %%,"
                        + " idle %.0f %%", e.getKey(), 100.0 * (d[0] + d[1]) / total, 100.0 * (d[2] + d[5]) / total,
                        100.0 * d[6] / total, 100.0 * (d[3] + d[4]) / total));
            }
            out.println("CPU time during the run (generator JVM start included): " + s);
        }

        /** A process's name and CPU time (utime + stime, in clock ticks) from {@code /proc/<pid>/stat}. */
        private record Task(String name, long ticks) {
        }

        /** Every process now; processes that vanish while being read are skipped. */
        private static Map<Long, Task> tasks() {
            Map<Long, Task> m = new LinkedHashMap<>();
            try (var dirs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
                for (Path d : dirs) {
                    try {
                        String stat = Files.readString(d.resolve("stat"));
                        int open = stat.indexOf('(');
                        int close = stat.lastIndexOf(')');
                        String[] f = stat.substring(close + 2).split(" ");
                        // After the name: state is field 3, utime field 14, stime field 15.
                        m.put(Long.parseLong(d.getFileName().toString()), new Task(stat.substring(open + 1, close),
                                Long.parseLong(f[11]) + Long.parseLong(f[12])));
                    } catch (IOException | RuntimeException e) {
                        // gone meanwhile
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return m;
        }

        /**
         * The processes other than this one that used the most CPU while the generator ran: on a machine
         * shared with other work the rates are only as good as the CPUs left to the benchmark.
         */
        private static void othersReport(PrintWriter out, Map<Long, Task> before, Map<Long, Task> after) {
            long self = ProcessHandle.current().pid();
            List<String> busy = new ArrayList<>();
            long total = 0;
            long softirqThreads = 0;
            for (var e : after.entrySet()) {
                Task b = before.get(e.getKey());
                long d = e.getValue().ticks() - (b == null ? 0 : b.ticks());
                if (e.getKey() == self || e.getValue().name().startsWith("ksoftirqd/")) {
                    softirqThreads += e.getKey() == self ? 0 : d;
                    continue;
                }
                if (d * 10 >= 100) {
                    busy.add(String.format("%s[%d] %,d ms", e.getValue().name(), e.getKey(), d * 10));
                }
                total += d;
            }
            out.printf("other processes' CPU during the run (not the generator, which had exited): %,d ms%s%n",
                    total * 10, busy.isEmpty() ? "" : " - " + String.join(", ", busy)
                            + (total * 10 >= 500 ? " (the machine was busy with other work: rates are low)" : ""));
            if (softirqThreads > 0) {
                out.printf("ksoftirqd (network work deferred by the kernel, the benchmark's own): %,d ms%n",
                        softirqThreads * 10);
            }
        }

        /** jix1's tx_packets and tx_dropped. */
        private static long[] peerTx() {
            String s = TestNet.execInPeer(TestNet.COMMAND_TIMEOUT, "cat",
                    "/sys/class/net/" + TestNet.PEER_IF + "/statistics/tx_packets",
                    "/sys/class/net/" + TestNet.PEER_IF + "/statistics/tx_dropped");
            String[] lines = s.strip().split("\\s+");
            return new long[] {Long.parseLong(lines[0]), Long.parseLong(lines[1])};
        }

        /** {@code ethtool -S <if>} as name to value (veth: per-queue XDP statistics); empty when unavailable. */
        private static Map<String, Long> ethtool(String ifname) {
            Map<String, Long> m = new LinkedHashMap<>();
            try {
                Path o = Files.createTempFile("jix-ethtool", ".out");
                try {
                    Process p = new ProcessBuilder("ethtool", "-S", ifname).redirectErrorStream(true)
                            .redirectOutput(o.toFile()).start();
                    if (!p.waitFor(10, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                        return m;
                    }
                    Matcher x = Pattern.compile("^\\s*([a-z0-9_]+):\\s*(\\d+)\\s*$", Pattern.MULTILINE)
                            .matcher(Files.readString(o));
                    while (x.find()) {
                        m.put(x.group(1), Long.parseLong(x.group(2)));
                    }
                } finally {
                    Files.deleteIfExists(o);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return m;
        }

        /** Prints the table and the rest; returns the summary line, printed last. */
        private String report(PrintWriter out, RxBench.Result r, String genOut, long genWall, long[] peer0,
                long[] peer1, Map<String, Long> e0, Map<String, Long> e1, int genThreads) {
            String[] lines = genOut.strip().split("\n");
            String last = lines[lines.length - 1].strip();
            Matcher m = Pattern.compile("offered=(\\d+) seconds=([0-9.]+) pps=(\\d+) queues=([0-9,]+)").matcher(last);
            if (!m.find()) {
                throw new IllegalStateException("the generator's last line is not its report: " + last);
            }
            long offered = Long.parseLong(m.group(1));
            double genSeconds = Double.parseDouble(m.group(2));
            long[] genQueue = Arrays.stream(m.group(4).split(",")).mapToLong(Long::parseLong).toArray();
            long received = r.received();
            double pct = offered == 0 ? 0 : 100.0 * received / offered;
            long rxPps = genSeconds <= 0 ? 0 : Math.round(received / genSeconds);
            long txPps = genSeconds <= 0 ? 0 : Math.round(offered / genSeconds);

            out.printf("nic bench: %s receives on %s for %s; generator in %s: %s%n", backend.name().toLowerCase(),
                    ifname, address, TestNet.NAMESPACE, lines.length > 1 ? lines[lines.length - 2].strip() : "");
            out.printf("receiver: %s, %d thread(s) on CPU %s, batch %d, RX ring %d, idle %s; %d-byte frames, %s s%n",
                    r.describe(), r.queues().stream().mapToInt(RxBench.QueueResult::thread).max().orElse(0) + 1,
                    r.queues().stream().map(q -> q.cpu() < 0 ? "any" : Integer.toString(q.cpu())).distinct().toList(),
                    rxBatch, rxRing, idle.name().toLowerCase(), size, seconds);
            out.println();
            String fmt = "%-6s %12s %12s %9s %11s %8s %10s %10s %10s %10s %10s%n";
            out.printf(fmt, "queue", "offered", "received", "recv %", "recv pps", "other", "ring_full",
                    "fill_empty", "k_dropped", "pool_empty", "malformed");
            for (RxBench.QueueResult q : r.queues()) {
                // On veth an AF_XDP sender's TX queue i lands on the receiver's queue i; AF_PACKET fanout hashes instead.
                long off = q.queueId() < genQueue.length && generator == TrafficGenerator.Driver.XDP
                        && backend == RxBench.Driver.XDP ? genQueue[q.queueId()] : -1;
                out.printf(fmt, q.queueId(), off < 0 ? "-" : Long.toString(off), q.received(),
                        off <= 0 ? "-" : String.format("%.1f", 100.0 * q.received() / off),
                        Math.round(q.received() / genSeconds), q.other(), q.counter(QueueCounter.KERNEL_RX_RING_FULL),
                        q.counter(QueueCounter.KERNEL_FILL_EMPTY), q.counter(QueueCounter.KERNEL_RX_DROPPED),
                        q.counter(QueueCounter.DROP_POOL_EMPTY), q.counter(QueueCounter.DROP_MALFORMED));
            }
            out.printf(fmt, "all", offered, received, String.format("%.1f", pct), rxPps, r.other(),
                    r.counter(QueueCounter.KERNEL_RX_RING_FULL), r.counter(QueueCounter.KERNEL_FILL_EMPTY),
                    r.counter(QueueCounter.KERNEL_RX_DROPPED), r.counter(QueueCounter.DROP_POOL_EMPTY),
                    r.counter(QueueCounter.DROP_MALFORMED));
            out.println();
            out.printf("offered %,d frames in %.2f s = %,d pps (generator %s thread(s), queues per generator "
                    + "report); received %,d = %.1f %% = %,d pps%n", offered, genSeconds, txPps, genThreads, received,
                    pct, rxPps);
            long cpu = r.cpuNanos();
            if (cpu >= 0) {
                out.printf("receive threads: %,d ms of CPU in all (%.0f %% of one CPU over the generator's %.2f s)%s%n",
                        cpu / 1_000_000, 100.0 * cpu / (genSeconds * 1e9), genSeconds,
                        received > 0 ? String.format(", %.0f ns per frame received", (double) cpu / received) : "");
            }
            out.printf("peer %s: tx_packets +%,d, tx_dropped +%,d%n", TestNet.PEER_IF, peer1[0] - peer0[0],
                    peer1[1] - peer0[1]);
            StringBuilder k = new StringBuilder();
            for (var e : e1.entrySet()) {
                long d = e.getValue() - e0.getOrDefault(e.getKey(), 0L);
                if (d != 0 && !e.getKey().endsWith("_bytes") && !e.getKey().equals("peer_ifindex")) {
                    k.append(k.isEmpty() ? "" : ", ").append(e.getKey()).append(" +").append(d);
                }
            }
            out.printf("kernel %s (ethtool -S, deltas): %s%n", ifname, k.isEmpty() ? "(no change)" : k);
            out.printf("generator wall time incl. JVM start %.2f s%n", genWall / 1e9);
            return String.format("rx_pps=%d tx_pps=%d drops=%d", rxPps, txPps, Math.max(0, offered - received));
        }
    }
}
