package io.jix.cli;

import io.jix.dataplane.Counter;
import io.jix.dataplane.StatsFile;
import io.jix.dataplane.StatsInterval;
import io.jix.dataplane.StatsSnapshot;
import io.jix.dataplane.StatsText;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./jix stats}: the load of running dataplanes, per elastic thread and in total, read from
 * their stats files while they run — rates since the start, or with {@code --watch} over each
 * interval — and their topology; {@code --all} adds every raw counter, {@code --serve-metrics}
 * serves them to Prometheus instead.
 */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = {"Show the load of running dataplanes per elastic thread (read while they run): packets, events,"
                + " batch sizes, loop time, idle share, queue length and queueing delay (Little's law), connections,"
                + " drops, and which thread owns which flow groups.",
                "TARGET: a process id, a dataplane name or a stats file (default: every running dataplane)."})
final class StatsCommand implements Callable<Integer> {

    @Option(names = {"-w", "--watch"}, description = "Refresh until interrupted, with rates over each interval.")
    boolean watch;

    @Option(names = "--interval", defaultValue = "1000", paramLabel = "MS",
            description = "Refresh interval with --watch, in milliseconds (default: ${DEFAULT-VALUE}).")
    long intervalMillis;

    @Option(names = "--count", paramLabel = "N",
            description = "With --watch, stop after N refreshes; with --serve-metrics, after N intervals.")
    Integer count;

    @Option(names = "--all", description = "Also print every raw counter of every thread.")
    boolean all;

    @Option(names = "--serve-metrics", paramLabel = "PORT",
            description = "Serve the dataplanes' counters at http://ADDRESS:PORT/metrics (Prometheus) until interrupted.")
    Integer metricsPort;

    @Option(names = "--metrics-address", defaultValue = "127.0.0.1", paramLabel = "IP",
            description = "Address for --serve-metrics (default: ${DEFAULT-VALUE}).")
    String metricsAddress;

    @Parameters(arity = "0..1", paramLabel = "TARGET", description = "PID, NAME or stats FILE.")
    String target;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (intervalMillis < 10) {
            throw new IllegalArgumentException("--interval: at least 10 ms");
        }
        if (metricsPort != null) {
            return serveMetrics(out, err);
        }
        List<StatsFile> files = new ArrayList<>(Dataplanes.select(target));
        try {
            if (!watch) {
                for (StatsFile f : files) {
                    StatsSnapshot s = f.snapshot();
                    print(out, f, s.sinceStart(), "since start");
                }
                return 0;
            }
            boolean terminal = System.console() != null && System.console().isTerminal();
            Map<StatsFile, StatsSnapshot> previous = new HashMap<>();
            for (StatsFile f : files) {
                previous.put(f, f.snapshot());
            }
            for (int round = 0; count == null || round < count; round++) {
                Thread.sleep(intervalMillis);
                if (terminal) {
                    out.print("\033[H\033[2J");
                }
                for (StatsFile f : List.copyOf(files)) {
                    if (!Dataplanes.alive(f)) {
                        out.printf("%s  pid %d  exited%n%n", f.name(), f.pid());
                        files.remove(f);
                        f.close();
                        continue;
                    }
                    StatsSnapshot now = f.snapshot();
                    StatsInterval interval = now.since(previous.put(f, now));
                    print(out, f, interval, String.format("over the last %.2f s", interval.seconds()));
                }
                out.flush();
                if (files.isEmpty()) {
                    return 0;
                }
            }
            return 0;
        } finally {
            files.forEach(StatsFile::close);
        }
    }

    private int serveMetrics(PrintWriter out, PrintWriter err) throws IOException, InterruptedException {
        if (metricsPort < 1 || metricsPort > 65_535) {
            throw new IllegalArgumentException("--serve-metrics: a port 1..65535");
        }
        Dataplanes.select(target).forEach(StatsFile::close); // fail now, not at the first scrape
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(InetAddress.ofLiteral(metricsAddress), metricsPort,
                () -> snapshots())) {
            out.printf("jix: metrics of %s at %s; Ctrl-C stops%n", target != null ? target : "every running dataplane",
                    endpoint.url());
            out.flush();
            for (int round = 0; count == null || round < count; round++) {
                Thread.sleep(intervalMillis);
            }
        }
        return 0;
    }

    /** A snapshot of each selected dataplane running now (none if they have all gone). */
    private List<StatsSnapshot> snapshots() {
        List<StatsFile> files;
        try {
            files = Dataplanes.select(target);
        } catch (IOException | IllegalArgumentException e) {
            return List.of();
        }
        try {
            return files.stream().map(StatsFile::snapshot).toList();
        } finally {
            files.forEach(StatsFile::close);
        }
    }

    /** One dataplane: a row per thread, the total, drops by reason, batch sizes; every counter with --all. */
    void print(PrintWriter out, StatsFile f, StatsInterval in, String over) {
        StatsSnapshot s = in.to();
        int running = (int) java.util.stream.IntStream.range(0, s.threads()).filter(s::running).count();
        long up = Math.max(0, System.currentTimeMillis() - s.startMillis()) / 1000;
        out.printf("%s  pid %d  up %dh%02dm%02ds  %d elastic thread(s), %d running  %d flow group(s)  %s%n",
                s.name(), s.pid(), up / 3600, up / 60 % 60, up % 60, s.threads(), running, s.groups(), f.path());
        out.printf("rates %s; events: so far, conns: open now%n", over);
        out.printf("%-6s %12s %-8s %11s %11s %11s %6s %8s %6s %7s %9s %7s %7s  %s%n", "thread", "events", "state",
                "rx frames/s", "tx frames/s", "events/s", "batch", "loop µs", "idle%", "queue", "delay µs", "conns",
                "drops", "flow groups");
        for (int t = 0; t < s.threads(); t++) {
            row(out, Integer.toString(t), s.get(t, Counter.EVENTS), s.running(t) ? "running" : "parked",
                    in.thread(t), StatsText.groups(s.groupsOf(t)));
        }
        int[] moving = s.groupsOf(StatsFile.IN_TRANSIT);
        row(out, "total", s.sum(Counter.EVENTS), running + "/" + s.threads(), in.total(),
                moving.length == 0 ? "" : "moving: " + StatsText.groups(moving));
        StringBuilder drops = new StringBuilder();
        for (Counter c : Counter.values()) {
            if (c.dropReason() && s.sum(c) > 0) {
                drops.append(' ').append(c.metricName()).append('=').append(s.sum(c));
            }
        }
        out.println("drops by reason, since start:" + (drops.isEmpty() ? " none" : drops));
        out.println("batch sizes (batches per size, " + over + "):");
        for (int t = 0; t < s.threads(); t++) {
            StringBuilder h = new StringBuilder("  thread " + t + ":");
            for (int size = 1; size < StatsFile.HISTOGRAM_BUCKETS; size++) {
                long n = in.histogram(t, size);
                if (n > 0) {
                    h.append(' ').append(size == StatsFile.HISTOGRAM_BUCKETS - 1 ? "64+" : size).append('=').append(n);
                }
            }
            out.println(h);
        }
        if (all) {
            out.println("every counter:");
            out.print(StatsText.counters(s));
        }
        out.println();
    }

    private static void row(PrintWriter out, String thread, long events, String state, StatsInterval.Load l,
                            String groups) {
        out.printf("%-6s %12d %-8s %11s %11s %11s %6s %8s %6s %7s %9s %7d %7d  %s%n", thread, events, state,
                rate(l.rxFramesPerSecond()), rate(l.txFramesPerSecond()), rate(l.eventsPerSecond()),
                number(l.meanBatch(), 2), number(l.loopNanos() / 1000, 1), number(100 * l.idleFraction(), 1),
                number(l.queueLength(), 2), number(l.queueingDelayNanos() / 1000, 1), l.openConnections(), l.drops(),
                groups);
    }

    /** A rate with as many decimals as a small one needs. */
    static String rate(double v) {
        return number(v, v == 0 || v >= 1000 ? 0 : v >= 10 ? 1 : 2);
    }

    /** {@code v} with {@code decimals} decimals; "-" when undefined, "inf" when infinite. */
    static String number(double v, int decimals) {
        if (Double.isNaN(v)) {
            return "-";
        }
        if (Double.isInfinite(v)) {
            return "inf";
        }
        return String.format("%." + decimals + "f", v);
    }
}
