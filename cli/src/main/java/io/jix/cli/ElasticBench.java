package io.jix.cli;

import io.jix.apps.echo.EchoServer;
import io.jix.control.ElasticControl;
import io.jix.control.IxcpPolicy;
import io.jix.dataplane.BackendKind;
import io.jix.dataplane.Dataplane;
import io.jix.dataplane.Idle;
import io.jix.loadgen.EchoWorkload;
import io.jix.loadgen.LoadGenerator;
import io.jix.loadgen.SteppedLoad;
import io.jix.nic.FlowSteering;
import io.jix.testnet.DamonPause;
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
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Option;

/**
 * {@code ./jix bench elastic}: the elasticity experiment of IX's control plane. The echo server
 * runs on jix's own stack over jix0's two queues; a paced (open-loop) echo load from jix-peer steps
 * low → high → low, as fractions of the <em>capacity</em>: the highest paced rate at which two
 * elastic threads keep p99 within the SLA, measured first by bisection (a rate the box cannot serve
 * within the SLA is not load the dataplane could be asked to carry). The load runs twice — elastic
 * ({@code --cores 1:2}, IXCP policy, backoff idling) and static busy-polling (2 threads,
 * {@code --idle spin}) — over connections made once, and records per second the offered and
 * achieved load, p99, the threads running and the CPU the elastic threads used.
 */
@Command(name = "elastic", mixinStandardHelpOptions = true, versionProvider = TestnetCommand.RootVersion.class,
        description = {
            "Elasticity: echo on xdp over jix0, load from " + TestNet.NAMESPACE + " stepping low -> high -> low"
                    + " (fractions of the capacity at the SLA, measured first), once with --cores 1:2 and once static"
                    + " and busy-polling; per-second CSV, a PNG plot and a summary (CPU at low load, p99 per phase).",
            "Root; brings the test network up and down. Bounded: about 2 x (3 x --step + --warmup) seconds plus"
                    + " about a minute of calibration."
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

    @Option(names = "--capacity", defaultValue = "0", paramLabel = "RATE",
            description = "Skip the capacity search and use this many echoes/s (default: search).")
    long givenCapacity;

    @Option(names = "--settle", defaultValue = "3", paramLabel = "SECONDS",
            description = "Seconds after each step change counted as the transition (default: ${DEFAULT-VALUE}).")
    int settleSeconds;

    @Option(names = "--poll-us", defaultValue = "20", paramLabel = "MICROS",
            description = "Polling budget under load for the elastic threads (the policy's, and the capacity"
                    + " search's two threads); 0 parks as soon as idle (default: ${DEFAULT-VALUE}).")
    long pollMicros;

    @Option(names = "--work-us", defaultValue = "0", paramLabel = "MICROS",
            description = "Service time: the server computes this long per 64-byte request before it echoes"
                    + " (default: ${DEFAULT-VALUE}, a plain echo).")
    long workMicros;

    @Option(names = "--pause-damon", description = "Turn the kernel's DAMON monitors off while measuring and back on"
            + " after: on VMs that reclaim memory with a DAMON pageout scheme it stalls every process every few"
            + " seconds (scripts/vm-floor.sh shows it against Linux alone).")
    boolean pauseDamon;

    @Option(names = "--out", defaultValue = "target/elastic", paramLabel = "DIR", description = "Where the CSV and PNG go.")
    Path out;

    private static final int PORT = 7007;
    private static final int WARMUP_SECONDS = 5;
    private static final String[] PHASES = {"low", "high", "low again"};

    /** One second of one run, as measured on both sides. */
    record Second(String config, int t, double offered, double achieved, double p99Micros, double threads,
                  double cpuPercent) {
    }

    /** One step's steady seconds (after the transition), latencies merged by the generator. */
    record Phase(String config, int index, double offered, double achieved, double p50Micros, double p99Micros,
                 double p999Micros) {
    }

    private enum Server { ELASTIC, TWO_THREADS, STATIC }

    @Override
    public Integer call() throws Exception {
        if (!TestNet.isRoot()) {
            System.err.println("bench elastic: needs root (AF_XDP and the test network)");
            return 2;
        }
        if (settleSeconds < 0 || settleSeconds >= stepSeconds) {
            System.err.println("bench elastic: --settle must be 0.." + (stepSeconds - 1));
            return 2;
        }
        TestNet.acquire();
        boolean broughtUp = false;
        DamonPause damon = null;
        try {
            if (pauseDamon) { // inside the try: a pause that fails must still release the lock
                damon = DamonPause.pause();
                System.out.println("DAMON monitors paused for the run: " + damon.paused());
            }
            broughtUp = !TestNet.status().complete();
            if (broughtUp) {
                TestNet.up();
            }
            double capacity = givenCapacity > 0 ? givenCapacity : capacity();
            double[] rates = {low * capacity, high * capacity, low * capacity};
            List<Second> seconds = new ArrayList<>();
            List<Phase> phases = new ArrayList<>();
            run("elastic", rates, seconds, phases);
            run("static", rates, seconds, phases);
            Files.createDirectories(out);
            writeCsv(out.resolve("elastic.csv"), seconds);
            TimeSeriesPlot.write(out.resolve("elastic.png"), seconds, slaMicros);
            summarize(capacity, seconds, phases);
            System.out.println("wrote " + out.resolve("elastic.csv") + " and " + out.resolve("elastic.png"));
            return 0;
        } finally {
            if (damon != null) {
                damon.close();
            }
            if (broughtUp) {
                TestNet.down();
            }
            TestNet.release();
        }
    }

    private Dataplane server(Server kind) throws IOException {
        Dataplane.Builder b = Dataplane.builder().backend(BackendKind.XDP).interfaceName(TestNet.LOCAL_IF)
                .address(InetAddress.getByName(TestNet.LOCAL_ADDRESS)).prefix(TestNet.PREFIX)
                .steering(FlowSteering.PORT_XOR).tcpPorts(PORT).udpPorts(PORT).name("elastic-bench");
        switch (kind) {
            case ELASTIC -> b.cores(1, 2).idle(Idle.BACKOFF);
            case TWO_THREADS -> b.cores(2, 2).idle(Idle.BACKOFF);
            case STATIC -> b.threads(2).idle(Idle.SPIN);
        }
        Dataplane dp = b.start(workMicros > 0 ? EchoServer.withWork(64, workMicros * 1_000) : EchoServer.application());
        if (kind == Server.TWO_THREADS) {
            dp.spinNanos(pollMicros * 1_000);
        }
        return dp;
    }

    /**
     * The closed-loop peak of two busy-polling threads bounds the search; the capacity is the
     * highest paced rate two backoff threads serve within the SLA (with the polling budget the
     * policy sets under load).
     */
    private double capacity() throws Exception {
        double peak;
        try (Dataplane _ = server(Server.STATIC)) {
            peak = value(only(peer(List.of("bench", "echo", "--address", TestNet.LOCAL_ADDRESS, "--connections",
                    String.valueOf(connections), "--depth", "4", "--warmup", "1", "--duration", "3"), null), "rps="));
        }
        System.out.printf(Locale.ROOT, "closed-loop peak (2 busy-polling threads, depth 4): %.0f echoes/s%n", peak);
        double capacity;
        try (Dataplane _ = server(Server.TWO_THREADS)) {
            capacity = value(only(peer(List.of("bench", "elastic-capacity", "--address", TestNet.LOCAL_ADDRESS,
                    "--connections", String.valueOf(connections), "--sla-us", String.valueOf(slaMicros),
                    "--from", String.valueOf(Math.round(peak * 0.05)), "--to", String.valueOf(Math.round(peak))),
                    line -> System.out.println("  " + line)), "capacity="));
        }
        System.out.printf(Locale.ROOT, "capacity (paced, 2 elastic threads, p99 <= %d us): %.0f echoes/s = %.2f of the"
                + " closed-loop peak%n", slaMicros, capacity, capacity / peak);
        return capacity;
    }

    private void run(String config, double[] rates, List<Second> seconds, List<Phase> phases) throws Exception {
        System.out.printf("%s: %d s warm-up, then %d s at each of %s echoes/s%n", config, WARMUP_SECONDS, stepSeconds,
                java.util.Arrays.toString(java.util.Arrays.stream(rates).mapToLong(Math::round).toArray()));
        boolean elastic = config.equals("elastic");
        Dataplane dp = server(elastic ? Server.ELASTIC : Server.STATIC);
        java.util.concurrent.atomic.AtomicReference<ElasticControl.Step> lastStep = new java.util.concurrent.atomic.AtomicReference<>();
        ElasticControl control = elastic
                ? ElasticControl.start(dp, new IxcpPolicy(slaMicros * 1_000).withPollNanos(pollMicros * 1_000),
                Duration.ofMillis(50), lastStep::set) : null;
        try {
            ServerSampler sampler = new ServerSampler(dp);
            List<String> args = new ArrayList<>(List.of("bench", "elastic-load", "--address", TestNet.LOCAL_ADDRESS,
                    "--connections", String.valueOf(connections), "--step", String.valueOf(stepSeconds),
                    "--warmup", String.valueOf(WARMUP_SECONDS), "--settle", String.valueOf(settleSeconds)));
            for (double r : rates) {
                args.add(String.valueOf(Math.round(r)));
            }
            peer(args, line -> {
                String[] f = line.split(" ");
                if (f[0].startsWith("t=")) { // t= rate= rps= p50_us= p99_us= max_us=, as each second ends
                    ServerSampler.Window w = sampler.window(Duration.ofSeconds(1));
                    Second s = new Second(config, (int) value(f[0]), value(f[1]), value(f[2]), value(f[4]),
                            w.threads(), w.cpuPercent());
                    seconds.add(s);
                    ElasticControl.Step step = lastStep.get();
                    System.out.printf(Locale.ROOT, "  %s t=%3d offered %7.0f achieved %7.0f p50 %7.1f p99 %8.1f us"
                                    + " threads %.1f cpu %5.1f%%%s%n", config, s.t(), s.offered(), s.achieved(),
                            value(f[3]), s.p99Micros(), s.threads(), s.cpuPercent(), step == null ? ""
                                    : String.format(Locale.ROOT, " (policy saw busy %.2f, queue %.2f, delay %.1f us)",
                                    step.sample().busyFraction(), step.sample().queueLength(),
                                    step.sample().queueingDelayNanos() / 1e3));
                } else if (f[0].startsWith("phase=")) { // phase= rate= rps= p50_us= p99_us= p999_us=
                    phases.add(new Phase(config, (int) value(f[0]), value(f[1]), value(f[2]), value(f[3]), value(f[4]),
                            value(f[5])));
                }
            });
            sampler.stop();
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

    /** The {@code key=value} field starting with {@code key} in the one line that has it. */
    private static String only(List<String> lines, String key) {
        for (String l : lines) {
            for (String f : l.split(" ")) {
                if (f.startsWith(key)) {
                    return f;
                }
            }
        }
        throw new IllegalStateException("the load generator printed no " + key + ": " + lines);
    }

    /** Runs this CLI in the peer namespace, hands each stdout line to {@code onLine} as it arrives, returns them all. */
    private List<String> peer(List<String> args, java.util.function.Consumer<String> onLine) throws Exception {
        List<String> jvm = new ArrayList<>(List.of("-Xmx512m"));
        String extra = System.getenv("JIX_PEER_JAVA_OPTS"); // e.g. GC logging for the generator
        if (extra != null && !extra.isBlank()) {
            jvm.addAll(List.of(extra.trim().split("\\s+")));
        }
        // The generator on the last CPU, always: elastic thread 0 is pinned to CPU 0, and a spinning
        // generator the scheduler puts beside it turns time slices into milliseconds of p99.
        List<String> cmd = new ArrayList<>();
        int cpus = Runtime.getRuntime().availableProcessors();
        if (cpus >= 2) {
            cmd.addAll(List.of("taskset", "-c", String.valueOf(cpus - 1)));
        }
        cmd.addAll(PeerJvm.command(jvm, args));
        Process p = new ProcessBuilder(cmd)
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

    /**
     * Per phase: the generator's merged latencies over the steady seconds, how many of those seconds
     * broke the SLA, mean threads and CPU; then CPU at low load, elastic vs static.
     */
    private void summarize(double capacity, List<Second> seconds, List<Phase> phases) {
        System.out.println();
        System.out.printf(Locale.ROOT, "capacity %.0f echoes/s; each phase's first %d s are its transition%n", capacity,
                settleSeconds);
        System.out.println("phase      config   offered/s achieved/s  p50 us   p99 us  p99.9 us  steady s > SLA  threads  CPU %");
        double[] lowCpu = new double[2];
        for (Phase p : phases) {
            int from = p.index() * stepSeconds + settleSeconds;
            int to = (p.index() + 1) * stepSeconds;
            List<Second> in = seconds.stream().filter(s -> s.config().equals(p.config()) && s.t() > from && s.t() <= to)
                    .toList();
            double cpu = in.stream().mapToDouble(Second::cpuPercent).average().orElse(0);
            if (p.index() == 0) {
                lowCpu[p.config().equals("elastic") ? 0 : 1] = cpu;
            }
            System.out.printf(Locale.ROOT, "%-10s %-8s %9.0f %10.0f %7.1f %8.1f %9.1f %9d of %-3d %8.2f %6.1f%n",
                    PHASES[p.index()], p.config(), p.offered(), p.achieved(), p.p50Micros(), p.p99Micros(),
                    p.p999Micros(), in.stream().filter(s -> s.p99Micros() > slaMicros).count(), in.size(),
                    in.stream().mapToDouble(Second::threads).average().orElse(0), cpu);
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

    /**
     * {@code bench elastic-load} (runs in jix-peer): one stepped, paced echo load over connections
     * made once. Prints a line per second (after the warm-up) and, at the end, one line per step
     * with the latencies of its steady seconds merged.
     */
    @Command(name = "elastic-load", hidden = true, mixinStandardHelpOptions = true,
            versionProvider = TestnetCommand.RootVersion.class,
            description = "The load side of bench elastic (runs in " + TestNet.NAMESPACE + "): paced echo load,"
                    + " --step seconds at each RATE after --warmup seconds at the first; per second"
                    + " t= rate= rps= p50_us= p99_us= max_us=, per step phase= rate= rps= p50_us= p99_us= p999_us=.")
    static final class Load implements Callable<Integer> {
        @Option(names = "--address", required = true)
        String address;
        @Option(names = "--connections", defaultValue = "16")
        int connections;
        @Option(names = "--step", defaultValue = "20")
        int stepSeconds;
        @Option(names = "--warmup", defaultValue = "5", description = "Seconds at the first rate, not reported.")
        int warmupSeconds;
        @Option(names = "--settle", defaultValue = "3", description = "Seconds at the start of each step left out of its phase line.")
        int settleSeconds;
        @picocli.CommandLine.Parameters(paramLabel = "RATE")
        List<Long> rates;

        @Override
        public Integer call() throws Exception {
            List<SteppedLoad.Step> steps = new ArrayList<>();
            if (warmupSeconds > 0) {
                steps.add(new SteppedLoad.Step(rates.getFirst(), warmupSeconds));
            }
            for (long rate : rates) {
                steps.add(new SteppedLoad.Step(rate, stepSeconds));
            }
            Histogram[] phases = new Histogram[rates.size()];
            for (int i = 0; i < phases.length; i++) {
                phases[i] = new Histogram(LoadGenerator.MAX_LATENCY_NANOS, 3);
            }
            SteppedLoad.run(new InetSocketAddress(InetAddress.getByName(address), PORT), connections, 4, steps,
                    new EchoWorkload(64), (second, offered, latency) -> {
                        int t = second - warmupSeconds;
                        if (t < 1) {
                            return;
                        }
                        int phase = (t - 1) / stepSeconds;
                        if ((t - 1) % stepSeconds >= settleSeconds && phase < phases.length) {
                            phases[phase].add(latency);
                        }
                        System.out.printf(Locale.ROOT, "t=%d rate=%.0f rps=%d p50_us=%.1f p99_us=%.1f max_us=%.1f%n", t,
                                offered, latency.getTotalCount(), micros(latency, 50), micros(latency, 99),
                                latency.getMaxValue() / 1e3);
                        System.out.flush();
                    });
            for (int i = 0; i < phases.length; i++) {
                Histogram h = phases[i];
                System.out.printf(Locale.ROOT, "phase=%d rate=%d rps=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f%n", i,
                        rates.get(i), h.getTotalCount() / (double) Math.max(1, stepSeconds - settleSeconds),
                        micros(h, 50), micros(h, 99), micros(h, 99.9));
            }
            return 0;
        }
    }

    /**
     * {@code bench elastic-capacity} (runs in jix-peer): the highest paced echo rate at which the
     * server keeps its p99 within the SLA, by bisection between a rate that holds and one that
     * need not. Each probe: a fresh set of connections, one second to settle, six measured — long
     * enough that the stall this VM shows every five seconds (milliseconds long, Linux alone shows
     * it too: scripts/vm-floor.sh) is under 1 % of the requests, so it does not decide the p99.
     */
    @Command(name = "elastic-capacity", hidden = true, mixinStandardHelpOptions = true,
            versionProvider = TestnetCommand.RootVersion.class,
            description = "The capacity search of bench elastic (runs in " + TestNet.NAMESPACE + "): bisects paced"
                    + " echo rates between --from and --to for the highest whose p99 stays within --sla-us;"
                    + " one line per probe, then capacity=.")
    static final class Capacity implements Callable<Integer> {
        @Option(names = "--address", required = true)
        String address;
        @Option(names = "--connections", defaultValue = "16")
        int connections;
        @Option(names = "--sla-us", defaultValue = "500")
        long slaMicros;
        @Option(names = "--from", required = true, description = "A rate expected to hold (echoes/s).")
        long from;
        @Option(names = "--to", required = true, description = "A rate not expected to hold, e.g. the closed-loop peak.")
        long to;
        @Option(names = "--probes", defaultValue = "7")
        int probes;

        @Override
        public Integer call() throws Exception {
            InetSocketAddress target = new InetSocketAddress(InetAddress.getByName(address), PORT);
            // Not judged: the generator's JIT, first at a light rate, then on its busy paths too.
            probe(target, from, 3);
            probe(target, to / 2.0, 2);
            double good = from;
            double bad = to;
            for (int i = 0; i < probes; i++) {
                double rate = (good + bad) / 2;
                double[] measured = probe(target, rate, 6);
                boolean holds = measured[1] <= slaMicros && measured[0] >= 0.97 * rate;
                System.out.printf(Locale.ROOT, "probe rate=%.0f rps=%.0f p99_us=%.1f holds=%b%n", rate,
                        measured[0], measured[1], holds);
                System.out.flush();
                if (holds) {
                    good = rate;
                } else {
                    bad = rate;
                }
            }
            System.out.printf(Locale.ROOT, "capacity=%.0f%n", good);
            return 0;
        }

        /** One probe: replies per second and p99 (us) over its last {@code measured} seconds. */
        private double[] probe(InetSocketAddress target, double rate, int measured) throws InterruptedException {
            Histogram h = new Histogram(LoadGenerator.MAX_LATENCY_NANOS, 3);
            SteppedLoad.run(target, connections, 4, List.of(new SteppedLoad.Step(rate, 1 + measured)),
                    new EchoWorkload(64), (second, offered, latency) -> {
                        if (second > 1) {
                            h.add(latency);
                        }
                    });
            return new double[] {h.getTotalCount() / (double) measured, micros(h, 99)};
        }
    }

    private static double micros(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1e3;
    }
}
