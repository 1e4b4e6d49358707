package io.jix.cli;

import io.jix.dataplane.Counter;
import io.jix.dataplane.StatsFile;
import io.jix.loadgen.Targets;
import io.jix.loadgen.memcached.KeyValueMix;
import io.jix.loadgen.memcached.LatencyPlot;
import io.jix.loadgen.memcached.OpenLoopClient;
import io.jix.loadgen.memcached.ProcessCpu;
import io.jix.loadgen.memcached.Sweep;
import io.jix.loadgen.memcached.StepResult;
import io.jix.loadgen.memcached.SweepReport;
import io.jix.testnet.TestNet;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ./jix bench memcached}: an open-loop QPS sweep against one or more memcached servers. */
@Command(name = "memcached", mixinStandardHelpOptions = true, versionProvider = TestnetCommand.RootVersion.class,
        description = {
            "Open-loop memcached load in the manner of mutilate: --connections connections over --threads threads,"
                    + " each sending on its own Poisson schedule (seeded); latency counts from when each request was"
                    + " due, so queueing cannot hide. First SETs every key (--keys), then sweeps the rates of --qps,"
                    + " each for --warmup + --step-seconds, until two steps miss the SLA (p99 > --sla-us), a step"
                    + " achieves under 80 %% of its target, or --budget runs out. Every GET reply is checked against"
                    + " the bytes SET for its key (wrong ones count as errors).",
            "Workloads: etc (keys 20-70 B, values 1 B-1 KB from Facebook's ETC fit, 75 %% GET) and usr (keys 16-19"
                    + " B, 2-byte values, 99 %% GET).",
            "Server CPU per request (--pid LABEL=PID): for a jix server, the dataplane's busy nanoseconds (BUSY_NANOS"
                    + " of every elastic thread, from its stats file) per reply; for any other process, its utime +"
                    + " stime from /proc/PID/stat per reply.",
            "Prints a line per step, then a table; --csv and --plot write one CSV row per server and step and a PNG"
                    + " of p99/p50 against achieved QPS. --in-peer runs it in namespace " + TestNet.NAMESPACE + "."
        })
final class BenchMemcached implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--server", paramLabel = "[LABEL=]HOST:PORT",
            description = "A server to sweep, labelled for the table and plot; repeatable, swept one after the other"
                    + " (default: 127.0.0.1:11211; with --in-peer " + TestNet.LOCAL_ADDRESS + ":11211).")
    List<String> servers = new ArrayList<>();

    @Option(names = "--pid", paramLabel = "LABEL=PID",
            description = "The process serving LABEL, for its CPU time per request; repeatable.")
    List<String> pids = new ArrayList<>();

    @Option(names = "--workload", defaultValue = "etc", paramLabel = "etc|usr",
            description = "Key/value mix (default: ${DEFAULT-VALUE}).")
    String workload;

    @Option(names = "--keys", defaultValue = "100000", paramLabel = "N",
            description = "Keys in the key space, all SET before the sweep (default: ${DEFAULT-VALUE}).")
    int keys;

    @Option(names = "--no-preload", description = "Skip the preload (GETs of keys never set then miss).")
    boolean noPreload;

    @Option(names = "--connections", defaultValue = "32", paramLabel = "N",
            description = "TCP connections (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "T",
            description = "Client threads, each a selector over its share of the connections (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--qps", defaultValue = "25000:400000:25000", paramLabel = "LIST|START:STOP:STEP",
            description = "Target rates, requests/s over all connections: a comma list, or start:stop:step"
                    + " (default: ${DEFAULT-VALUE}).")
    String qps;

    @Option(names = "--sla-us", defaultValue = "500", paramLabel = "MICROS",
            description = "The p99 latency promise (default: ${DEFAULT-VALUE}).")
    double slaUs;

    @Option(names = "--step-seconds", defaultValue = "2", paramLabel = "SECONDS",
            description = "Measured time per step (default: ${DEFAULT-VALUE}).")
    double stepSeconds;

    @Option(names = "--warmup", defaultValue = "0.5", paramLabel = "SECONDS",
            description = "Time per step before measuring, at the step's rate (default: ${DEFAULT-VALUE}).")
    double warmupSeconds;

    @Option(names = "--drain", defaultValue = "1", paramLabel = "SECONDS",
            description = "Longest wait for replies still owed after a step (default: ${DEFAULT-VALUE}).")
    double drainSeconds;

    @Option(names = "--server-warmup", defaultValue = "0", paramLabel = "SECONDS",
            description = "Before the sweep, load the server this long at the first rate, unmeasured: a JVM server"
                    + " compiles its hot paths meanwhile (default: ${DEFAULT-VALUE}).")
    double serverWarmupSeconds;

    @Option(names = "--budget", defaultValue = "120", paramLabel = "SECONDS",
            description = "Longest sweep per server, preload excluded (default: ${DEFAULT-VALUE}).")
    double budgetSeconds;

    @Option(names = "--seed", defaultValue = "1", description = "Seeds keys, schedules and choices (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--baseline", paramLabel = "LABEL",
            description = "The server the table's ratios are against (default: the one labelled memcached, if any).")
    String baseline;

    @Option(names = "--csv", paramLabel = "FILE", description = "Write every step of every server to this CSV file.")
    Path csv;

    @Option(names = "--plot", paramLabel = "FILE.png", description = "Draw p99 and p50 against achieved QPS.")
    Path plot;

    @Option(names = "--in-peer", description = "Run as a child JVM in namespace " + TestNet.NAMESPACE + ".")
    boolean inPeer;

    /** A server to sweep. */
    record Server(String label, InetSocketAddress address) {
    }

    @Override
    public Integer call() throws Exception {
        List<Server> targets = targets();
        List<Double> rates = rates(qps);
        Duration warmup = seconds("--warmup", warmupSeconds, true);
        Duration step = seconds("--step-seconds", stepSeconds, false);
        Duration drain = seconds("--drain", drainSeconds, true);
        Duration budget = seconds("--budget", budgetSeconds, false);
        Map<String, Long> pidOf = pids();
        PrintWriter out = spec.commandLine().getOut();
        if (inPeer) {
            return inPeer(out, targets, budget);
        }
        KeyValueMix mix = KeyValueMix.named(workload, keys, seed);
        Sweep.Plan plan = new Sweep.Plan(rates, slaUs, 2, 0.8, budget, warmup.plus(step).plus(drain));
        List<Sweep.Result> results = new ArrayList<>();
        boolean clean = true;
        for (Server s : targets) {
            OpenLoopClient.Config config = new OpenLoopClient.Config(s.address(), connections, threads, mix, seed,
                    Duration.ofSeconds(5));
            Long pid = pidOf.get(s.label());
            try (OpenLoopClient client = OpenLoopClient.connect(config); ServerMeter meter = ServerMeter.of(pid)) {
                out.printf(Locale.ROOT, "%s: %s workload, %d keys, %d connections over %d client thread(s), %s:%d%s%n",
                        s.label(), mix.name(), mix.keys(), connections, threads,
                        s.address().getAddress().getHostAddress(), s.address().getPort(),
                        pid == null ? "" : ", server pid " + pid + " (CPU: " + meter.cpu().source() + ")");
                out.flush();
                if (!noPreload) {
                    long t0 = System.nanoTime();
                    long stored = client.preload(Duration.ofSeconds(60));
                    out.printf(Locale.ROOT, "%s: preloaded %d keys in %.1f s%n", s.label(), stored,
                            (System.nanoTime() - t0) / 1e9);
                    out.flush();
                }
                if (serverWarmupSeconds > 0) {
                    StepResult w = client.step(rates.get(0), Duration.ZERO,
                            seconds("--server-warmup", serverWarmupSeconds, false), drain, meter.cpu());
                    out.printf(Locale.ROOT, "%s: warmed up for %.0f s at %,.0f/s (unmeasured; p99 %.0f µs then)%n",
                            s.label(), serverWarmupSeconds, w.targetQps(), w.p99Us());
                    out.flush();
                }
                Sweep.Result r = Sweep.run(s.label(), mix.name(), plan,
                        rate -> client.step(rate, warmup, step, drain, meter.cpu()), line -> {
                            out.println(line);
                            out.flush();
                        });
                out.printf("%s: stopped: %s%n", s.label(), r.stopped());
                String firstError = client.firstError();
                if (firstError != null) {
                    out.printf("%s: first error: %s%n", s.label(), firstError);
                }
                clean &= r.steps().stream().allMatch(x -> x.errors() == 0 && x.lost() == 0);
                results.add(r);
            }
        }
        out.println();
        out.print(SweepReport.table(results, baseline(targets)));
        if (csv != null) {
            SweepReport.writeCsv(csv, results);
            out.println("csv: " + csv.toAbsolutePath());
        }
        if (plot != null) {
            LatencyPlot.write(plot, "memcached " + mix.name().toUpperCase(Locale.ROOT) + ": latency vs throughput",
                    results);
            out.println("plot: " + plot.toAbsolutePath());
        }
        out.flush();
        return clean ? 0 : 3;
    }

    private String baseline(List<Server> targets) {
        if (baseline != null) {
            return baseline;
        }
        return targets.stream().map(Server::label).filter(l -> l.equals("memcached")).findFirst()
                .orElse(targets.get(0).label());
    }

    private int inPeer(PrintWriter out, List<Server> targets, Duration budget) throws Exception {
        String why = TestNet.unavailableReason();
        if (why != null) {
            throw new IllegalStateException("bench memcached --in-peer: " + why);
        }
        if (!TestNet.status().complete()) {
            throw new IllegalStateException("bench memcached --in-peer: the test network is not up (./jix testnet"
                    + " up, then start the server on " + TestNet.LOCAL_IF + ")");
        }
        List<String> args = childArgs(targets);
        List<String> cmd = PeerJvm.command(jvmOptions(), args);
        return runChild(out, cmd, budget.plusSeconds((long) serverWarmupSeconds).multipliedBy(targets.size())
                .plusSeconds(90L * targets.size() + 30));
    }

    /** The generator's JVM: it allocates nothing per request, so a small serial heap is all it needs. */
    static List<String> jvmOptions() {
        return List.of("-XX:+UseSerialGC", "-Xmx1g", "-Xss1m");
    }

    /** Runs a child generator, printing its lines as they come; returns its exit status. */
    static int runChild(PrintWriter out, List<String> cmd, Duration limit) throws Exception {
        PeerJvm.Outcome o = PeerJvm.stream(cmd, limit, line -> {
            synchronized (out) {
                out.println(line);
                out.flush();
            }
        });
        if (!o.err().isBlank()) {
            out.print(o.err());
            out.flush();
        }
        return o.exit();
    }

    /** This command's options again, without --in-peer, for a child. */
    List<String> childArgs(List<Server> targets) {
        List<String> args = new ArrayList<>(List.of("bench", "memcached"));
        for (Server s : targets) {
            args.addAll(List.of("--server", s.label() + "=" + s.address().getAddress().getHostAddress() + ":"
                    + s.address().getPort()));
        }
        for (String p : pids) {
            args.addAll(List.of("--pid", p));
        }
        args.addAll(List.of("--workload", workload, "--keys", Integer.toString(keys), "--connections",
                Integer.toString(connections), "--threads", Integer.toString(threads), "--qps", qps, "--sla-us",
                number(slaUs), "--step-seconds", number(stepSeconds), "--warmup", number(warmupSeconds), "--drain",
                number(drainSeconds), "--budget", number(budgetSeconds), "--seed", Long.toString(seed), "--server-warmup",
                number(serverWarmupSeconds)));
        if (noPreload) {
            args.add("--no-preload");
        }
        if (baseline != null) {
            args.addAll(List.of("--baseline", baseline));
        }
        if (csv != null) {
            args.addAll(List.of("--csv", csv.toAbsolutePath().toString()));
        }
        if (plot != null) {
            args.addAll(List.of("--plot", plot.toAbsolutePath().toString()));
        }
        return args;
    }

    private List<Server> targets() {
        List<String> given = servers.isEmpty()
                ? List.of((inPeer ? TestNet.LOCAL_ADDRESS : "127.0.0.1") + ":11211") : servers;
        List<Server> result = new ArrayList<>();
        for (String spec : given) {
            result.add(server(spec));
        }
        if (result.stream().map(Server::label).distinct().count() != result.size()) {
            throw new IllegalArgumentException("--server: two servers with the same label");
        }
        return result;
    }

    /** {@code [LABEL=]HOST:PORT}; the label defaults to HOST:PORT. */
    static Server server(String spec) {
        int eq = spec.indexOf('=');
        String label = eq < 0 ? spec : spec.substring(0, eq);
        String hostPort = spec.substring(eq + 1);
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || label.isBlank() || label.contains(",")) {
            throw new IllegalArgumentException("--server: expected [LABEL=]HOST:PORT (a label without commas), got "
                    + spec);
        }
        InetAddress ip;
        int port;
        try {
            ip = InetAddress.ofLiteral(hostPort.substring(0, colon));
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--server: expected [LABEL=]HOST:PORT with an IP address, got " + spec,
                    e);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--server: port must be 1..65535, got " + port);
        }
        Targets.check(ip);
        return new Server(label, new InetSocketAddress(ip, port));
    }

    private Map<String, Long> pids() {
        Map<String, Long> result = new LinkedHashMap<>();
        for (String p : pids) {
            int eq = p.indexOf('=');
            try {
                result.put(p.substring(0, eq), Long.parseLong(p.substring(eq + 1)));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--pid: expected LABEL=PID, got " + p, e);
            }
        }
        return result;
    }

    /** {@code a,b,c} or {@code start:stop:step} (at most 1000 rates). */
    static List<Double> rates(String text) {
        List<Double> rates = new ArrayList<>();
        try {
            if (text.contains(":")) {
                String[] p = text.split(":");
                if (p.length != 3) {
                    throw new IllegalArgumentException("start:stop:step");
                }
                double start = Double.parseDouble(p[0]);
                double stop = Double.parseDouble(p[1]);
                double step = Double.parseDouble(p[2]);
                if (!(start > 0) || !(step > 0) || stop < start || (stop - start) / step > 1000) {
                    throw new IllegalArgumentException("start > 0, step > 0, stop >= start, at most 1000 steps");
                }
                for (int i = 0; start + i * step <= stop * (1 + 1e-9); i++) {
                    rates.add(start + i * step);
                }
            } else {
                for (String r : text.split(",")) {
                    rates.add(Double.parseDouble(r.strip()));
                }
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--qps: a comma list of rates or start:stop:step, got " + text
                    + (e instanceof NumberFormatException ? "" : " (" + e.getMessage() + ")"), e);
        }
        for (double r : rates) {
            if (!(r > 0) || Double.isInfinite(r)) {
                throw new IllegalArgumentException("--qps: rates must be positive, got " + r);
            }
        }
        return rates;
    }

    static Duration seconds(String option, double s, boolean zeroAllowed) {
        if (!(s >= 0) || (!zeroAllowed && s == 0) || s > 3600) {
            throw new IllegalArgumentException(option + " must be " + (zeroAllowed ? ">= 0" : "> 0")
                    + " and at most 3600 seconds, got " + s);
        }
        return Duration.ofNanos(Math.round(s * 1e9));
    }

    static String number(double d) {
        return String.format(Locale.ROOT, "%s", d);
    }

    /**
     * The CPU meters of one server process: a jix dataplane's busy nanoseconds when the process has
     * a stats file, else its {@code utime + stime}; no meters without a pid.
     */
    record ServerMeter(OpenLoopClient.ServerCpu cpu, StatsFile stats) implements AutoCloseable {

        static ServerMeter of(Long pid) throws IOException {
            if (pid == null) {
                return new ServerMeter(OpenLoopClient.ServerCpu.NONE, null);
            }
            ProcessCpu process = ProcessCpu.of(pid);
            if (process.nanos() < 0) {
                throw new IllegalArgumentException("--pid: no process " + pid + " to read the CPU time of");
            }
            StatsFile stats = jixStats(pid);
            if (stats == null) {
                return new ServerMeter(new OpenLoopClient.ServerCpu(process, "process", process), null);
            }
            return new ServerMeter(new OpenLoopClient.ServerCpu(() -> stats.sum(Counter.BUSY_NANOS), "jix-busy",
                    process), stats);
        }

        /** The stats file of the jix dataplane in process {@code pid}, or null. */
        private static StatsFile jixStats(long pid) throws IOException {
            Path dir = StatsFile.directory();
            if (!Files.isDirectory(dir)) {
                return null;
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(f -> f.getFileName().toString().startsWith(pid + "-")).toList()) {
                    try {
                        StatsFile s = StatsFile.open(f);
                        if (s.pid() == pid) {
                            return s;
                        }
                        s.close();
                    } catch (IOException e) {
                        // not a stats file we can read: look on
                    }
                }
            }
            return null;
        }

        @Override
        public void close() {
            if (stats != null) {
                stats.close();
            }
        }
    }
}
