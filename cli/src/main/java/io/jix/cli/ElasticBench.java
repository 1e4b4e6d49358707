package io.jix.cli;

import io.jix.apps.echo.EchoServer;
import io.jix.control.ElasticControl;
import io.jix.control.IxcpPolicy;
import io.jix.dataplane.BackendKind;
import io.jix.dataplane.Dataplane;
import io.jix.dataplane.Idle;
import io.jix.loadgen.EchoWorkload;
import io.jix.loadgen.LoadGenerator;
import io.jix.nic.FlowSteering;
import io.jix.testnet.TestNet;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./jix bench elastic}: the elasticity experiment of IX's control plane. The echo server
 * runs on jix's own stack over jix0's two queues; a paced (open-loop) echo load from jix-peer
 * steps low → high → low. It runs twice — elastic ({@code --cores 1:2}, IXCP policy, backoff
 * idling) and static busy-polling (2 threads, {@code --idle spin}) — and records, per second, the
 * offered and achieved load, p99, the threads running and the CPU the elastic threads used.
 */
@Command(name = "elastic", mixinStandardHelpOptions = true, versionProvider = TestnetCommand.RootVersion.class,
        description = {
            "Elasticity: echo on xdp over jix0, load from " + TestNet.NAMESPACE + " stepping low -> high -> low"
                    + " (fractions of a capacity measured first), once with --cores 1:2 and once static and"
                    + " busy-polling; per-second CSV, a PNG plot and a summary (CPU at low load, p99 per phase).",
            "Root; brings the test network up and down. Bounded: about 2 x 3 x --step seconds plus calibration."
        })
final class ElasticBench implements Callable<Integer> {

    @Option(names = "--step", defaultValue = "20", paramLabel = "SECONDS", description = "Seconds per load step (default: ${DEFAULT-VALUE}).")
    int stepSeconds;

    @Option(names = "--low", defaultValue = "0.1", description = "Low load, fraction of capacity (default: ${DEFAULT-VALUE}).")
    double low;

    @Option(names = "--high", defaultValue = "0.9", description = "High load, fraction of capacity (default: ${DEFAULT-VALUE}).")
    double high;

    @Option(names = "--sla-us", defaultValue = "500", description = "The policy's SLA (default: ${DEFAULT-VALUE} us).")
    long slaMicros;

    @Option(names = "--connections", defaultValue = "16", description = "Client connections (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--out", defaultValue = "target/elastic", paramLabel = "DIR", description = "Where the CSV and PNG go.")
    Path out;

    private static final int PORT = 7007;

    /** One second of one run, as measured on both sides. */
    record Second(String config, int t, double offered, double achieved, double p99Micros, double threads,
                  double cpuPercent) {
    }

    @Override
    public Integer call() throws Exception {
        if (!TestNet.isRoot()) {
            System.err.println("bench elastic: needs root (AF_XDP and the test network)");
            return 2;
        }
        TestNet.acquire();
        boolean broughtUp = !TestNet.status().complete();
        try {
            if (broughtUp) {
                TestNet.up();
            }
            double capacity = calibrate();
            System.out.printf(Locale.ROOT, "capacity (closed loop, 2 busy-polling threads): %.0f echoes/s%n", capacity);
            double[] rates = {low * capacity, high * capacity, low * capacity};
            List<Second> all = new ArrayList<>();
            all.addAll(run("elastic", rates));
            all.addAll(run("static", rates));
            Files.createDirectories(out);
            writeCsv(out.resolve("elastic.csv"), all);
            TimeSeriesPlot.write(out.resolve("elastic.png"), all, slaMicros);
            summarize(all);
            System.out.println("wrote " + out.resolve("elastic.csv") + " and " + out.resolve("elastic.png"));
            return 0;
        } finally {
            if (broughtUp) {
                TestNet.down();
            }
            TestNet.release();
        }
    }

    private Dataplane server(boolean elastic) throws IOException {
        Dataplane.Builder b = Dataplane.builder().backend(BackendKind.XDP).interfaceName(TestNet.LOCAL_IF)
                .address(InetAddress.getByName(TestNet.LOCAL_ADDRESS)).prefix(TestNet.PREFIX)
                .steering(FlowSteering.PORT_XOR).tcpPorts(PORT).udpPorts(PORT).name("elastic-bench");
        if (elastic) {
            b.cores(1, 2).idle(Idle.BACKOFF);
        } else {
            b.threads(2).idle(Idle.SPIN);
        }
        return b.start(EchoServer.application());
    }

    private double calibrate() throws Exception {
        Dataplane dp = server(false);
        try {
            List<String> lines = peer(List.of("bench", "echo", "--address", TestNet.LOCAL_ADDRESS,
                    "--connections", String.valueOf(connections), "--depth", "4", "--warmup", "1", "--duration", "3"),
                    null);
            for (String l : lines) {
                int i = l.indexOf("rps=");
                if (i >= 0) {
                    return Double.parseDouble(l.substring(i + 4).split(" ")[0]);
                }
            }
            throw new IllegalStateException("calibration printed no rate: " + lines);
        } finally {
            dp.close();
        }
    }

    private List<Second> run(String config, double[] rates) throws Exception {
        System.out.printf("%s: %d s at each of %s echoes/s%n", config, stepSeconds, java.util.Arrays.toString(
                java.util.Arrays.stream(rates).mapToLong(Math::round).toArray()));
        Dataplane dp = server(config.equals("elastic"));
        java.util.concurrent.atomic.AtomicReference<ElasticControl.Step> lastStep = new java.util.concurrent.atomic.AtomicReference<>();
        ElasticControl control = config.equals("elastic")
                ? ElasticControl.start(dp, new IxcpPolicy(slaMicros * 1_000), Duration.ofMillis(50), lastStep::set) : null;
        try {
            ServerSampler sampler = new ServerSampler(dp);
            List<String> args = new ArrayList<>(List.of("bench", "elastic-load", "--address", TestNet.LOCAL_ADDRESS,
                    "--connections", String.valueOf(connections), "--step", String.valueOf(stepSeconds)));
            for (double r : rates) {
                args.add(String.valueOf(Math.round(r)));
            }
            List<Second> seconds = new ArrayList<>();
            peer(args, line -> {
                // "t=<s> rate=<offered> rps=<achieved> p99_us=<p99>", printed as each second ends
                String[] f = line.split(" ");
                if (f.length == 4 && f[0].startsWith("t=")) {
                    ServerSampler.Window w = sampler.window(Duration.ofSeconds(1));
                    seconds.add(new Second(config, Integer.parseInt(f[0].substring(2)), value(f[1]), value(f[2]),
                            value(f[3]), w.threads(), w.cpuPercent()));
                    ElasticControl.Step step = lastStep.get();
                    System.out.printf(Locale.ROOT, "  %s t=%3s offered %7.0f achieved %7.0f p99 %8.1f us threads %.1f cpu %5.1f%%%s%n",
                            config, f[0].substring(2), value(f[1]), value(f[2]), value(f[3]), w.threads(), w.cpuPercent(),
                            step == null ? "" : String.format(Locale.ROOT, " (policy saw busy %.2f, queue %.2f, delay %.1f us)",
                                    step.sample().busyFraction(), step.sample().queueLength(),
                                    step.sample().queueingDelayNanos() / 1e3));
                }
            });
            sampler.stop();
            return seconds;
        } finally {
            if (control != null) {
                control.close();
            }
            dp.close();
        }
    }

    private static double value(String kv) {
        return Double.parseDouble(kv.substring(kv.indexOf('=') + 1));
    }

    /** Runs this CLI in the peer namespace, hands each stdout line to {@code onLine} as it arrives, returns them all. */
    private List<String> peer(List<String> args, java.util.function.Consumer<String> onLine) throws Exception {
        Process p = new ProcessBuilder(PeerJvm.command(List.of("-Xmx512m"), args))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
                if (onLine != null) {
                    onLine.accept(line);
                }
            }
        } finally {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("the load generator in " + TestNet.NAMESPACE + " failed: exit " + p.exitValue());
        }
        return lines;
    }

    private static void writeCsv(Path file, List<Second> all) throws IOException {
        StringBuilder sb = new StringBuilder("config,t,offered_rps,achieved_rps,p99_us,threads,cpu_percent\n");
        for (Second s : all) {
            sb.append(String.format(Locale.ROOT, "%s,%d,%.0f,%.0f,%.1f,%.2f,%.1f%n", s.config(), s.t(), s.offered(),
                    s.achieved(), s.p99Micros(), s.threads(), s.cpuPercent()));
        }
        Files.writeString(file, sb);
    }

    private void summarize(List<Second> all) {
        System.out.println();
        System.out.println("phase          config   offered/s  achieved/s  p99 us (median of seconds)  threads  CPU %");
        String[] phases = {"low", "high", "low again"};
        double[] lowCpu = new double[2];
        for (String config : new String[] {"elastic", "static"}) {
            for (int ph = 0; ph < 3; ph++) {
                int from = ph * stepSeconds + 2; // skip each step's first two seconds: the transition
                int to = (ph + 1) * stepSeconds;
                List<Second> in = all.stream().filter(s -> s.config().equals(config) && s.t() > from && s.t() <= to).toList();
                if (in.isEmpty()) {
                    continue;
                }
                double p99 = in.stream().mapToDouble(Second::p99Micros).sorted().toArray()[in.size() / 2];
                double cpu = in.stream().mapToDouble(Second::cpuPercent).average().orElse(0);
                if (ph == 0) {
                    lowCpu[config.equals("elastic") ? 0 : 1] = cpu;
                }
                System.out.printf(Locale.ROOT, "%-14s %-8s %9.0f  %10.0f  %26.1f  %7.2f  %5.1f%n", phases[ph], config,
                        in.stream().mapToDouble(Second::offered).average().orElse(0),
                        in.stream().mapToDouble(Second::achieved).average().orElse(0), p99,
                        in.stream().mapToDouble(Second::threads).average().orElse(0), cpu);
            }
        }
        System.out.printf(Locale.ROOT, "CPU at low load: elastic %.1f %% vs static busy-polling %.1f %% = %.2fx%n",
                lowCpu[0], lowCpu[1], lowCpu[1] == 0 ? 0 : lowCpu[0] / lowCpu[1]);
    }

    /** Samples the server every 100 ms: threads owning flow groups and the elastic threads' CPU time. */
    private static final class ServerSampler {
        record Sample(long at, int threads, long cpuNanos) {
        }

        record Window(double threads, double cpuPercent) {
        }

        private final Dataplane dp;
        private final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        private final List<Sample> samples = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile boolean running = true;

        ServerSampler(Dataplane dp) {
            this.dp = dp;
            this.thread = Thread.ofPlatform().daemon().name("jix-elastic-sampler").start(this::loop);
        }

        private void loop() {
            while (running) {
                long cpu = 0;
                for (long id : dp.elasticThreadIds()) {
                    cpu += Math.max(0, mx.getThreadCpuTime(id));
                }
                samples.add(new Sample(System.nanoTime(), dp.activeThreads(), cpu));
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** The last {@code length}: mean threads running, CPU used as a percentage of one core. */
        Window window(Duration length) {
            long now = System.nanoTime();
            long from = now - length.toNanos();
            Sample first = null;
            Sample last = null;
            double threads = 0;
            int n = 0;
            for (Sample s : samples) {
                if (s.at() >= from) {
                    if (first == null) {
                        first = s;
                    }
                    last = s;
                    threads += s.threads();
                    n++;
                }
            }
            if (first == null || last == first) {
                return new Window(dp.activeThreads(), 0);
            }
            return new Window(threads / n, 100.0 * (last.cpuNanos() - first.cpuNanos()) / (last.at() - first.at()));
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join(1_000);
        }
    }

    /** {@code bench elastic-load} (runs in jix-peer): paced echo load, one rate per step, one line per second. */
    @Command(name = "elastic-load", hidden = true, mixinStandardHelpOptions = true,
            versionProvider = TestnetCommand.RootVersion.class,
            description = "The load side of bench elastic (runs in " + TestNet.NAMESPACE + "): paced echo load,"
                    + " --step seconds at each RATE, one line per second: t= rate= rps= p99_us=.")
    static final class Load implements Callable<Integer> {
        @Option(names = "--address", required = true)
        String address;
        @Option(names = "--connections", defaultValue = "16")
        int connections;
        @Option(names = "--step", defaultValue = "20")
        int stepSeconds;
        @picocli.CommandLine.Parameters(paramLabel = "RATE")
        List<Long> rates;

        @Override
        public Integer call() throws Exception {
            InetSocketAddress target = new InetSocketAddress(InetAddress.getByName(address), PORT);
            int t = 0;
            for (long rate : rates) {
                for (int s = 0; s < stepSeconds; s++) {
                    LoadGenerator.Result r = LoadGenerator.run(new LoadGenerator.Config(target, connections, 1, 4,
                            Duration.ZERO, Duration.ofSeconds(1), Long.MAX_VALUE, rate, Duration.ofSeconds(5)),
                            new EchoWorkload(64));
                    t++;
                    System.out.printf(Locale.ROOT, "t=%d rate=%d rps=%.0f p99_us=%.1f%n", t, rate,
                            r.requestsPerSecond(), r.micros(99));
                    System.out.flush();
                }
            }
            return 0;
        }
    }
}
