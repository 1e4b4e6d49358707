package io.jix.cli;

import io.jix.loadgen.memcached.LatencyPlot;
import io.jix.loadgen.memcached.Sweep;
import io.jix.loadgen.memcached.SweepReport;
import io.jix.sys.Affinity;
import io.jix.testnet.DamonPause;
import io.jix.testnet.TestNet;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./jix demo}: memcached on jix's own stack (AF_XDP), on jix over the kernel's sockets, and
 * Debian's memcached, one after the other, each swept with the same open-loop client from the
 * test network's peer namespace; then the side-by-side table, a CSV and a PNG plot. Cleans up
 * after itself; bounded in time.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, versionProvider = TestnetCommand.RootVersion.class,
        description = {
            "The memcached benchmark, start to end: serves memcached on jix-xdp (jix's TCP/IP on AF_XDP queues of"
                    + " " + TestNet.LOCAL_IF + "), on jix-kernel (jix over Linux sockets) and with Debian's memcached"
                    + " (installed with apt-get if missing), one server at a time, each pinned to one CPU with the"
                    + " same number of threads; sweeps each with the same open-loop client (./jix bench memcached)"
                    + " from namespace " + TestNet.NAMESPACE + ", pinned to another CPU; prints the highest QPS at"
                    + " p99 <= SLA and the CPU per request side by side, writes CSV and PNG under --out; stops every"
                    + " server it started and takes the test network down if it brought it up.",
            "As root it uses the test network (holding its machine-wide lock). Without root it falls back to"
                    + " loopback: jix-kernel and memcached only (jix-xdp needs root for AF_XDP and the namespace)."
        })
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--workload", defaultValue = "etc", split = ",", paramLabel = "etc|usr",
            description = "Workloads to run, comma separated (default: ${DEFAULT-VALUE}).")
    List<String> workloads;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the CSV, PNG and server logs go"
            + " (default: target/demo under the jix checkout, else under the current directory).")
    Path out;

    @Option(names = "--qps", paramLabel = "LIST|START:STOP:STEP",
            description = "Target rates of the sweep (default: " + DEFAULT_QPS + "; with --quick " + QUICK_QPS + ").")
    String qps;

    @Option(names = "--sla-us", defaultValue = "500", paramLabel = "MICROS",
            description = "The p99 promise (default: ${DEFAULT-VALUE}).")
    double slaUs;

    @Option(names = "--step-seconds", paramLabel = "SECONDS",
            description = "Measured time per step (default: 2; with --quick 0.5).")
    Double stepSeconds;

    @Option(names = "--keys", paramLabel = "N", description = "Key space (default: 100000; with --quick 5000).")
    Integer keys;

    @Option(names = "--connections", defaultValue = "32", paramLabel = "N",
            description = "Client connections (default: ${DEFAULT-VALUE}).")
    int connections;

    @Option(names = "--idle", defaultValue = "backoff", paramLabel = "spin|backoff",
            description = "The jix servers' idle mode (default: ${DEFAULT-VALUE}, as ./jix serve).")
    String idle;

    @Option(names = "--budget", defaultValue = "300", paramLabel = "SECONDS",
            description = "The whole demo's time bound (default: ${DEFAULT-VALUE}).")
    double budgetSeconds;

    @Option(names = "--server-warmup", paramLabel = "SECONDS",
            description = "Load each server this long before its sweep, unmeasured, so that jix's JIT has compiled"
                    + " its hot paths (every server gets the same; default: 10; with --quick 0).")
    Double serverWarmup;

    @Option(names = "--nice", defaultValue = "0", paramLabel = "N",
            description = "Run servers and client at this nice level (negative needs root): on a machine other"
                    + " people load, -5 makes their processes disturb the measurement less (default: ${DEFAULT-VALUE}).")
    int nice;

    @Option(names = "--loopback", description = "Use loopback even as root (jix-kernel and memcached only).")
    boolean loopback;

    @Option(names = "--quick", description = "A smoke run: tiny key space, two short steps per server.")
    boolean quick;

    @Option(names = "--pause-damon", description = "Turn the kernel's DAMON monitors off for the demo and back on"
            + " after (root): a DAMON pageout scheme, as this project's VMs run, stalls every process every few"
            + " seconds (docs/benchmarks.md §7).")
    boolean pauseDamon;

    static final String DEFAULT_QPS = "5000,10000,20000,40000,60000,80000,100000,125000,150000,200000,250000,300000,400000,500000";
    static final String QUICK_QPS = "2000,4000";
    private static final int PORT = 11311;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    /** A server the demo runs: how to start it, and where it listens. */
    record ServerPlan(String label, List<String> command, String address, int port, boolean jix) {
    }

    private PrintWriter printer;
    private final List<Process> started = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        printer = spec.commandLine().getOut();
        long deadline = System.nanoTime() + BenchMemcached.seconds("--budget", budgetSeconds, false).toNanos();
        Path dir = out != null ? out : defaultOut();
        Files.createDirectories(dir);
        for (String w : workloads) {
            if (!w.equals("etc") && !w.equals("usr")) {
                throw new IllegalArgumentException("--workload: etc or usr, not " + w);
            }
        }
        String why = loopback ? "--loopback was given" : TestNet.unavailableReason();
        boolean testnet = why == null;
        int cpus = Affinity.availableCpus();
        say("jix demo: memcached three ways, same client, same sweep (%s workload%s), p99 SLA %.0f µs",
                String.join(" and ", workloads), workloads.size() > 1 ? "s" : "", slaUs);
        if (nice != 0) {
            say("jix demo: servers and client run at nice %d", nice);
        }
        say("jix demo: %d CPUs here: %s", cpus, cpus >= 2
                ? "each server is pinned to CPU 0 with 1 thread (jix: 1 elastic thread; memcached: -t 1), the client"
                + " to CPU 1" : "server and client share the only CPU (numbers will say little)");
        String address = testnet ? TestNet.LOCAL_ADDRESS : "127.0.0.1";
        if (testnet) {
            say("jix demo: the client runs in namespace %s and reaches %s over the veth pair %s <-> %s",
                    TestNet.NAMESPACE, address, TestNet.PEER_IF, TestNet.LOCAL_IF);
        } else {
            say("jix demo: on loopback (%s); jix-xdp is skipped: AF_XDP and the test network need root", why);
        }
        boolean locked = false;
        boolean broughtUp = false;
        int status = 0;
        DamonPause damon = null;
        try {
            if (pauseDamon) {
                damon = DamonPause.pause();
                say("jix demo: DAMON monitors paused until the end: %d", damon.paused());
            }
            if (testnet) {
                say("jix demo: waiting for the test-network lock (other benchmarks and tests use it)");
                TestNet.acquire();
                locked = true;
                if (!TestNet.status().complete()) {
                    say("jix demo: bringing the test network up");
                    TestNet.up();
                    broughtUp = true;
                }
            }
            String memcached = memcachedBinary();
            List<ServerPlan> servers = plans(testnet, address, cpus, memcached);
            int runs = servers.size() * workloads.size();
            double warm = serverWarmup != null ? serverWarmup : quick ? 0 : 10;
            double perRun = Math.max(5, ((deadline - System.nanoTime()) / 1e9 - 15) / runs - 12 - warm);
            List<List<Sweep.Result>> byWorkload = new ArrayList<>();
            for (int w = 0; w < workloads.size(); w++) {
                byWorkload.add(new ArrayList<>());
            }
            for (ServerPlan s : servers) {
                if (System.nanoTime() - deadline > 0) {
                    say("jix demo: time is up; %s not run", s.label());
                    continue;
                }
                Process p = start(s, dir);
                try {
                    for (int w = 0; w < workloads.size(); w++) {
                        Path csv = dir.resolve(s.label() + "-" + workloads.get(w) + ".csv");
                        Files.deleteIfExists(csv);
                        int exit = sweep(s, p.pid(), workloads.get(w), csv, testnet, cpus, perRun);
                        if (exit != 0) {
                            say("jix demo: the client against %s exited with %d", s.label(), exit);
                            status = Math.max(status, exit == 3 ? 3 : 1);
                        }
                        if (Files.exists(csv)) {
                            byWorkload.get(w).addAll(SweepReport.readCsv(csv));
                        }
                    }
                } finally {
                    stop(s.label(), p);
                }
            }
            for (int w = 0; w < workloads.size(); w++) {
                report(dir, workloads.get(w), byWorkload.get(w));
            }
        } finally {
            if (damon != null) {
                damon.close();
            }
            for (Process p : started) {
                PeerJvm.end(p);
            }
            if (broughtUp) {
                say("jix demo: taking the test network down (it was down when the demo started)");
                TestNet.down();
            }
            if (locked) {
                TestNet.release();
            }
        }
        say("jix demo: done in %.0f s", (budgetSeconds * 1e9 - (deadline - System.nanoTime())) / 1e9);
        return status;
    }

    private List<ServerPlan> plans(boolean testnet, String address, int cpus, String memcached) {
        List<String> pin = new ArrayList<>(niceness());
        if (cpus >= 2) {
            pin.addAll(List.of("taskset", "-c", "0"));
        }
        List<String> common = List.of("--port", Integer.toString(PORT), "--threads", "1", "--idle", idle, "-m", "1024",
                "-c", "4096", "--duration", Long.toString((long) budgetSeconds + 60));
        List<ServerPlan> plans = new ArrayList<>();
        if (testnet) {
            plans.add(new ServerPlan("jix-xdp", jix(pin, List.of("--backend", "xdp", "--interface", TestNet.LOCAL_IF,
                    "--address", address + "/" + TestNet.PREFIX), common), address, PORT, true));
        }
        plans.add(new ServerPlan("jix-kernel", jix(pin, List.of("--backend", "kernel", "--address", address), common),
                address, PORT, true));
        if (memcached != null) {
            List<String> cmd = new ArrayList<>(pin);
            cmd.addAll(List.of(memcached, "-l", address, "-p", Integer.toString(PORT), "-t", "1", "-m", "1024", "-c",
                    "4096"));
            if (TestNet.isRoot()) {
                cmd.addAll(List.of("-u", "root")); // memcached refuses to run as root without it
            }
            plans.add(new ServerPlan("memcached", cmd, address, PORT, false));
        }
        return plans;
    }

    private static List<String> jix(List<String> pin, List<String> backend, List<String> common) {
        List<String> args = new ArrayList<>(List.of("serve", "memcached"));
        args.addAll(backend);
        args.addAll(common);
        List<String> cmd = new ArrayList<>(pin);
        cmd.addAll(PeerJvm.local(List.of("-Xss1m"), args));
        return cmd;
    }

    /** Debian's memcached: found on the PATH, or installed with apt-get as root; null when neither. */
    private String memcachedBinary() throws IOException, InterruptedException {
        Optional<String> found = which("memcached");
        if (found.isPresent()) {
            say("jix demo: Debian's memcached: %s (%s)", found.get(), version(found.get()));
            return found.get();
        }
        if (!TestNet.isRoot() || which("apt-get").isEmpty()) {
            say("jix demo: memcached is not installed and this is not root with apt-get: skipping it"
                    + " (apt-get install memcached)");
            return null;
        }
        say("jix demo: installing memcached with apt-get");
        Process p = new ProcessBuilder("apt-get", "install", "-y", "-qq", "--no-install-recommends", "memcached")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            PeerJvm.end(p);
        }
        found = which("memcached");
        if (found.isEmpty()) {
            say("jix demo: apt-get could not install memcached; skipping it");
            return null;
        }
        // memcached's package starts a service on 127.0.0.1:11211; the demo uses its own port and process.
        say("jix demo: installed %s (%s)", found.get(), version(found.get()));
        return found.get();
    }

    private static Optional<String> which(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p)) {
                return Optional.of(p.toString());
            }
        }
        for (String dir : new String[] {"/usr/bin", "/usr/sbin", "/usr/local/bin"}) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return Optional.of(p.toString());
            }
        }
        return Optional.empty();
    }

    private static String version(String memcached) {
        try {
            Process p = new ProcessBuilder(memcached, "-V").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            p.waitFor(5, TimeUnit.SECONDS);
            return v;
        } catch (IOException | InterruptedException e) {
            return "version unknown";
        }
    }

    /** Starts {@code s}, its output going to a log, and waits until it serves. */
    private Process start(ServerPlan s, Path dir) throws IOException, InterruptedException {
        Path log = dir.resolve(s.label() + ".log");
        say("jix demo: starting %s: %s", s.label(), String.join(" ", display(s.command())));
        Process p = new ProcessBuilder(s.command()).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        started.add(p);
        long until = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException(s.label() + " exited with " + p.exitValue() + " before serving: "
                        + tail(log));
            }
            if (s.jix() ? Files.readString(log, StandardCharsets.UTF_8).contains("serving on") : accepts(s)) {
                break;
            }
            if (System.nanoTime() - until > 0) {
                throw new IllegalStateException(s.label() + " did not serve within " + READY_TIMEOUT.toSeconds()
                        + " s: " + tail(log));
            }
            Thread.sleep(100);
        }
        say("jix demo: %s serving on %s:%d, pid %d", s.label(), s.address(), s.port(), p.pid());
        return p;
    }

    private static boolean accepts(ServerPlan s) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(s.address(), s.port()), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void stop(String label, Process p) throws InterruptedException {
        PeerJvm.end(p);
        started.remove(p);
        say("jix demo: stopped %s (pid %d)", label, p.pid());
    }

    /** Runs the client against {@code s}; returns its exit status. */
    private int sweep(ServerPlan s, long pid, String workload, Path csv, boolean testnet, int cpus, double budget)
            throws Exception {
        List<String> args = new ArrayList<>(List.of("bench", "memcached", "--server", s.label() + "=" + s.address()
                + ":" + s.port(), "--pid", s.label() + "=" + pid, "--workload", workload, "--connections",
                Integer.toString(connections), "--threads", "1", "--sla-us", BenchMemcached.number(slaUs), "--budget",
                BenchMemcached.number(budget), "--csv", csv.toAbsolutePath().toString()));
        args.addAll(List.of("--qps", qps != null ? qps : quick ? QUICK_QPS : DEFAULT_QPS));
        args.addAll(List.of("--step-seconds", BenchMemcached.number(stepSeconds != null ? stepSeconds
                : quick ? 0.5 : 2)));
        args.addAll(List.of("--keys", Integer.toString(keys != null ? keys : quick ? 5000 : 100_000)));
        double warm = serverWarmup != null ? serverWarmup : quick ? 0 : 10;
        args.addAll(List.of("--server-warmup", BenchMemcached.number(warm)));
        if (quick) {
            args.addAll(List.of("--warmup", "0.2", "--drain", "0.5"));
        }
        List<String> cmd = new ArrayList<>(niceness());
        if (cpus >= 2) {
            cmd.addAll(List.of("taskset", "-c", "1"));
        }
        cmd.addAll(testnet ? PeerJvm.command(BenchMemcached.jvmOptions(), args)
                : PeerJvm.local(BenchMemcached.jvmOptions(), args));
        say("jix demo: sweeping %s with the %s workload%s (machine load average now %s)", s.label(), workload,
                testnet ? " from " + TestNet.NAMESPACE : "", loadAverage());
        return BenchMemcached.runChild(printer, cmd, Duration.ofSeconds((long) (budget + warm) + 90));
    }

    private void report(Path dir, String workload, List<Sweep.Result> results) throws IOException {
        if (results.isEmpty()) {
            say("jix demo: no results for %s", workload);
            return;
        }
        Path csv = dir.resolve("memcached-" + workload + ".csv");
        Path png = dir.resolve("memcached-" + workload + ".png");
        SweepReport.writeCsv(csv, results);
        LatencyPlot.write(png, "memcached " + workload.toUpperCase(Locale.ROOT) + ", 1 server CPU: p99 and p50 vs"
                + " achieved QPS", results);
        printer.println();
        say("%s workload — highest achieved QPS whose p99 <= %.0f µs, and the CPU per request there:",
                workload.toUpperCase(Locale.ROOT), slaUs);
        printer.print(SweepReport.table(results, "memcached"));
        for (Sweep.Result r : results) {
            say("  %s: %d steps, stopped: %s", r.server(), r.steps().size(), r.stopped());
        }
        say("CPU ns/req: jix-busy = the elastic thread's busy time (BUSY_NANOS) per reply; process = the server"
                + " process's utime+stime per reply (/proc/PID/stat). Client busy: the share of the window the"
                + " generator's thread spent sending or receiving (near 100 %%: the client is the limit).");
        say("csv: %s", csv.toAbsolutePath());
        say("plot: %s", png.toAbsolutePath());
        printer.flush();
    }

    private List<String> niceness() {
        if (nice < -20 || nice > 19) {
            throw new IllegalArgumentException("--nice: -20..19, not " + nice);
        }
        return nice == 0 ? List.of() : List.of("nice", "-n", Integer.toString(nice));
    }

    /** The 1-minute load average: other users of the machine show here. */
    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static Path defaultOut() {
        Path home = Path.of(System.getProperty("jix.home", "."));
        return home.resolve("target").resolve("demo").toAbsolutePath().normalize();
    }

    private static List<String> display(List<String> command) {
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < command.size(); i++) {
            String a = command.get(i);
            if (a.equals("--module-path") || a.equals("-cp")) {
                i++;
                shown.add(a);
                shown.add("…");
                continue;
            }
            shown.add(a);
        }
        return shown;
    }

    private static String tail(Path log) throws IOException {
        String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8).strip() : "";
        return text.isEmpty() ? "(no output)" : text.length() > 600 ? "…" + text.substring(text.length() - 600) : text;
    }

    private void say(String format, Object... args) {
        synchronized (printer) {
            printer.println(String.format(Locale.ROOT, format, args));
            printer.flush();
        }
    }
}
