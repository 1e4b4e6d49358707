package io.jix.control.tenant;

import io.jix.dataplane.BackendKind;
import io.jix.dataplane.StatsFile;
import io.jix.testnet.TenantLinks;
import io.jix.testnet.TestNet;
import io.jix.testnet.TestNetException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import java.util.stream.Stream;

/**
 * Runs tenant dataplanes as child processes and keeps them running: each tenant gets a disjoint
 * CPU set from the {@link CoreBudget}, its own veth pair and address ({@link TenantLinks}, for
 * {@code link=auto}), and runs as {@code taskset -c CPUS java ... io.jix.cli.Main serve APP ...}.
 *
 * <p><b>Confinement.</b> {@code taskset} sets its own affinity mask and then execs the JVM, so the
 * JVM's very first thread already has the mask, and every thread it ever creates — elastic
 * threads, JIT compilers, GC workers — inherits it; the JVM also sizes its GC and compiler thread
 * counts from it. The elastic threads pin themselves to CPUs of that mask
 * ({@code Affinity.allowedCpus()}). {@link CpuSet#threadsOutside} checks it from /proc.
 *
 * <p><b>Supervision.</b> {@link Process#onExit()} tells when a tenant dies, whatever killed it; the
 * {@link RestartPolicy} says when to start it again (bounded exponential backoff) and when to give
 * up. A tenant is ready once its dataplane's stats file ({@code <pid>-*.stats}) exists, which
 * {@code Dataplane.Builder.start} creates after its NIC queues are open and before its elastic
 * threads run. Every state change runs on one scheduler thread, so there is no locking; it is
 * published to a {@link StatusFile} and reported through the event sink.
 *
 * <p>{@link #close()} stops every tenant (SIGTERM, then SIGKILL after a grace period, by process
 * handle), removes the links it made and its status file.
 */
public final class Supervisor implements AutoCloseable {
    /** Options given to every tenant JVM (those of {@code ./jix}); the heap is sized by the JVM. */
    public static final List<String> TENANT_JVM_OPTIONS = List.of("-Xss1m");

    private final List<Slot> slots = new ArrayList<>();
    private final CoreBudget budget;
    private final ChildJvm jvm;
    private final TenantProcess.Starter starter;
    private final LongPredicate readiness;
    private final RestartPolicy policy;
    private final Path logDir;
    private final Path statusPath;
    private final Consumer<String> events;
    private final Duration readyTimeout;
    private final Duration stopGrace;
    private final List<String> confine;
    private final boolean confineSelf;
    private final CpuSet ownCpus;
    private CpuSet previousCpus;
    private final ScheduledExecutorService scheduler;
    private final long startedMillis = System.currentTimeMillis();
    private final AtomicBoolean closed = new AtomicBoolean();
    private boolean stopping;
    private boolean holdsNetwork;

    private Supervisor(Builder b) {
        if (b.tenants.isEmpty()) {
            throw new IllegalArgumentException("no tenants to supervise");
        }
        this.budget = b.budget != null ? b.budget : CoreBudget.ofThisProcess();
        this.jvm = Objects.requireNonNull(b.jvm, "childJvm");
        this.starter = b.starter;
        this.readiness = b.readiness;
        this.policy = b.policy;
        this.logDir = b.logDir != null ? b.logDir
                : Path.of(System.getProperty("java.io.tmpdir"), "jix-control-" + ProcessHandle.current().pid());
        this.statusPath = b.statusPath;
        this.events = b.events;
        this.readyTimeout = b.readyTimeout;
        this.stopGrace = b.stopGrace;
        this.confine = b.confine != null ? b.confine : List.of(tool("taskset", "util-linux"), "-c");
        Map<String, CpuSet> cpus = budget.allocate(b.tenants);
        for (int i = 0; i < b.tenants.size(); i++) {
            Tenant t = b.tenants.get(i);
            slots.add(new Slot(t, i, cpus.get(t.name()), logDir.resolve(t.name() + ".log")));
        }
        this.confineSelf = b.confineSelf;
        CpuSet spare = budget.spare(cpus);
        this.ownCpus = b.ownCpus != null ? b.ownCpus : spare.size() > 0 ? spare : slots.getFirst().cpus;
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1,
                r -> Thread.ofPlatform().name("jix-supervisor").daemon().unstarted(r));
        pool.setRemoveOnCancelPolicy(true);
        this.scheduler = pool;
    }

    /** A supervisor to configure. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Makes the tenants' links, then starts every tenant; returns at once (see {@link #awaitReady}).
     *
     * @throws IllegalStateException when a link cannot be made (not root, say)
     */
    public void start() throws IOException {
        Files.createDirectories(logDir);
        if (confineSelf) {
            previousCpus = new CpuSet(io.jix.sys.Affinity.allowedCpus());
            setOwnAffinity(ownCpus);
            event("supervisor: pid %d confined to CPUs %s%s", ProcessHandle.current().pid(), ownCpus,
                    slots.stream().filter(s -> s.cpus.overlaps(ownCpus)).map(s -> s.tenant.name())
                            .reduce((x, y) -> x + ", " + y).map(n -> " (shared with tenant " + n + ")").orElse(""));
        }
        if (slots.stream().anyMatch(s -> s.tenant.ownLink())) {
            String why = TestNet.unavailableReason();
            if (why != null) {
                throw new IllegalStateException("link=auto tenants get their own veth pair, and " + why
                        + "; run as root, or give every tenant link=none (kernel backend, address= and port=)");
            }
            event("taking the test-network lock (waits while another test run holds it)");
            TestNet.acquire();
            holdsNetwork = true;
            for (Slot s : slots) {
                if (s.tenant.ownLink()) {
                    try {
                        TenantLinks.up(s.index);
                    } catch (TestNetException e) {
                        throw new IllegalStateException("tenant " + s.tenant.name() + ": cannot make its link: "
                                + e.getMessage(), e);
                    }
                    event("tenant %s: link %s", s.tenant.name(), TenantLinks.pair(s.index));
                }
            }
        }
        on(() -> {
            for (Slot s : slots) {
                launch(s);
            }
        });
    }

    /**
     * Waits until every tenant is ready.
     *
     * @throws TimeoutException when one is not ready within {@code limit}
     * @throws IllegalStateException when one was given up
     */
    public void awaitReady(Duration limit) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            boolean all = true;
            for (Slot s : slots) {
                if (s.state == TenantState.FAILED) {
                    throw new IllegalStateException("tenant " + s.tenant.name() + " failed: " + s.lastExit);
                }
                all &= s.state == TenantState.READY;
            }
            if (all) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException("tenants not ready after " + limit.toMillis() + " ms: " + status());
            }
            Thread.sleep(20);
        }
    }

    /** Every tenant as it is now, in configuration order. */
    public List<TenantStatus> status() {
        List<TenantStatus> all = new ArrayList<>(slots.size());
        for (Slot s : slots) {
            all.add(s.status());
        }
        return all;
    }

    /** The tenant named {@code name} as it is now. */
    public TenantStatus status(String name) {
        return status().stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no tenant named " + name));
    }

    /** The tenants' places, for tests. */
    List<Slot> slots() {
        return slots;
    }

    /** The CPUs the supervisor's own threads run on when it confines itself ({@link Builder#confineSelf}). */
    public CpuSet ownCpus() {
        return ownCpus;
    }

    /** The CPU budget. */
    public CpuSet budget() {
        return budget.cpus();
    }

    /** Whether any tenant was given up. */
    public boolean anyFailed() {
        return slots.stream().anyMatch(s -> s.state == TenantState.FAILED);
    }

    /**
     * Stops every tenant (SIGTERM, then SIGKILL for those still running after the grace period),
     * removes the links it made and its status file. Idempotent.
     */
    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        List<TenantProcess> running = new ArrayList<>();
        try {
            scheduler.submit(() -> {
                stopping = true;
                for (Slot s : slots) {
                    if (s.pending != null) {
                        s.pending.cancel(false);
                    }
                    if (s.process != null && s.process.isAlive()) {
                        running.add(s.process);
                    }
                }
            }).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            event("supervisor: could not stop the scheduler cleanly: %s", e);
        }
        running.forEach(TenantProcess::terminate);
        awaitExit(running, stopGrace);
        for (TenantProcess p : running) {
            if (p.isAlive()) {
                event("supervisor: pid %d still ran %d ms after SIGTERM; killing it", p.pid(), stopGrace.toMillis());
                p.kill();
            }
        }
        awaitExit(running, Duration.ofSeconds(5));
        scheduler.shutdown();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Slot s : slots) {
            if (s.state != TenantState.FAILED) {
                s.set(TenantState.STOPPED);
            }
        }
        try {
            if (holdsNetwork) {
                for (Slot s : slots) {
                    if (s.tenant.ownLink()) {
                        try {
                            TenantLinks.down(s.index);
                        } catch (TestNetException e) {
                            event("tenant %s: cannot remove its link: %s", s.tenant.name(), e.getMessage());
                        }
                    }
                }
            }
        } finally {
            if (holdsNetwork) {
                holdsNetwork = false;
                TestNet.release();
            }
            if (previousCpus != null) {
                try {
                    setOwnAffinity(previousCpus);
                } catch (IOException | RuntimeException e) {
                    event("supervisor: cannot restore its CPUs %s: %s", previousCpus, e.getMessage());
                }
                previousCpus = null;
            }
            if (statusPath != null) {
                try {
                    Files.deleteIfExists(statusPath);
                } catch (IOException e) {
                    event("supervisor: cannot remove %s: %s", statusPath, e.getMessage());
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // On the scheduler thread

    private void launch(Slot s) {
        s.pending = null;
        if (stopping) {
            return;
        }
        List<String> command = command(s);
        s.starts++;
        try {
            Files.writeString(s.log, String.format(Locale.ROOT, "%n=== jix control: start %d of tenant %s: %s%n",
                    s.starts, s.tenant.name(), String.join(" ", command)), StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            s.process = starter.start(command, s.log);
        } catch (IOException | RuntimeException e) {
            s.process = null;
            s.startedNanos = System.nanoTime();
            exited(s, null, "could not start: " + e.getMessage());
            return;
        }
        TenantProcess p = s.process;
        s.pid = p.pid();
        s.startedNanos = System.nanoTime();
        s.set(TenantState.STARTING);
        event("tenant %s: started pid %d on CPUs %s", s.tenant.name(), s.pid, s.cpus);
        p.onExit().whenComplete((v, e) -> on(() -> {
            if (s.process == p) {
                exited(s, p, describe(p));
            }
        }));
        s.pending = scheduler.scheduleWithFixedDelay(() -> poll(s, p), 20, 20, TimeUnit.MILLISECONDS);
        publish();
    }

    private void poll(Slot s, TenantProcess p) {
        if (s.process != p || s.state != TenantState.STARTING) {
            return;
        }
        long waited = System.nanoTime() - s.startedNanos;
        if (readiness.test(p.pid())) {
            s.pending.cancel(false);
            s.pending = null;
            s.set(TenantState.READY);
            event("tenant %s: ready (pid %d, %d ms after start)", s.tenant.name(), p.pid(), waited / 1_000_000);
            publish();
        } else if (waited > readyTimeout.toNanos()) {
            event("tenant %s: not ready %d ms after start; killing pid %d", s.tenant.name(),
                    readyTimeout.toMillis(), p.pid());
            p.kill();
        }
    }

    private void exited(Slot s, TenantProcess p, String how) {
        if (s.pending != null) {
            s.pending.cancel(false);
            s.pending = null;
        }
        s.process = null;
        Duration ran = Duration.ofNanos(System.nanoTime() - s.startedNanos);
        s.lastExit = how + String.format(Locale.ROOT, " after %.1f s", ran.toMillis() / 1e3);
        if (p != null) {
            removeStats(p.pid());
        }
        if (stopping) {
            s.set(TenantState.STOPPED);
            publish();
            return;
        }
        RestartPolicy.Decision d = policy.afterExit(ran, s.fastFailures);
        s.fastFailures = d.fastFailures();
        if (!d.restart()) {
            s.set(TenantState.FAILED);
            event("tenant %s: %s; %d failures in a row, each within %d s of starting: giving up (log %s)%s",
                    s.tenant.name(), s.lastExit, d.fastFailures(), policy.stableAfter().toSeconds(), s.log, tail(s.log));
            publish();
            return;
        }
        s.restarts++;
        s.set(TenantState.RESTARTING);
        event("tenant %s: pid %d %s; restart %d in %d ms", s.tenant.name(), s.pid, s.lastExit, s.restarts,
                d.delay().toMillis());
        s.pending = scheduler.schedule(() -> launch(s), d.delay().toNanos(), TimeUnit.NANOSECONDS);
        publish();
    }

    private void publish() {
        if (statusPath != null) {
            try {
                StatusFile.write(statusPath, new StatusFile.Snapshot(ProcessHandle.current().pid(), startedMillis,
                        budget.cpus().toString(), status()));
            } catch (RuntimeException e) {
                event("supervisor: cannot publish status: %s", e.getMessage());
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    /** The tenant's command line: confined to its CPUs, {@code serve APP} with its link and port. */
    List<String> command(Slot s) {
        Tenant t = s.tenant;
        List<String> args = new ArrayList<>(List.of("serve", t.app().command(),
                "--backend", t.backend().name().toLowerCase(Locale.ROOT)));
        if (s.interfaceName != null) {
            args.addAll(List.of("--interface", s.interfaceName));
        }
        if (s.address != null) {
            args.addAll(List.of("--address", s.address));
        }
        args.addAll(List.of("--port", Integer.toString(t.port())));
        if (!t.serveArgs().contains("--threads") && t.serveArgs().stream().noneMatch(a -> a.startsWith("--threads="))) {
            args.addAll(List.of("--threads", Integer.toString(s.cpus.size())));
        }
        args.addAll(t.serveArgs());
        List<String> cmd = new ArrayList<>();
        if (t.nice() != 0) {
            cmd.addAll(List.of(tool("nice", "coreutils"), "-n", Integer.toString(t.nice())));
        }
        cmd.addAll(confine);
        cmd.add(s.cpus.toString());
        cmd.addAll(jvm.with(args));
        return cmd;
    }

    private void on(Runnable action) {
        try {
            scheduler.execute(() -> {
                try {
                    action.run();
                } catch (RuntimeException e) {
                    event("supervisor: %s", e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing: nothing more to do
        }
    }

    private void event(String format, Object... args) {
        events.accept(String.format(Locale.ROOT, format, args));
    }

    private static String describe(TenantProcess p) {
        int v = p.exitValue();
        return v > 128 ? "exited with status " + v + " (signal " + (v - 128) + ")" : "exited with status " + v;
    }

    private static void awaitExit(List<TenantProcess> processes, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        for (TenantProcess p : processes) {
            long left = deadline - System.nanoTime();
            try {
                p.onExit().get(Math.max(0, left), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // still running: the caller decides
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Removes the stats files a dead tenant process left ({@code <pid>-*.stats}). */
    private static void removeStats(long pid) {
        Path dir = StatsFile.directory();
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> isStatsOf(f, pid)).toList()) {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            // a stale stats file is harmless: ./jix stats removes it too
        }
    }

    private static boolean isStatsOf(Path file, long pid) {
        String n = file.getFileName().toString();
        return n.startsWith(pid + "-") && n.endsWith(".stats");
    }

    /** Readiness as the real tenants show it: a stats file of that pid exists. */
    public static boolean hasStatsFile(long pid) {
        Path dir = StatsFile.directory();
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(f -> isStatsOf(f, pid));
        } catch (IOException e) {
            return false;
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> last = lines.subList(Math.max(0, lines.size() - 5), lines.size());
            return last.isEmpty() ? "" : "; its last lines:\n    " + String.join("\n    ", last);
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /**
     * Sets the affinity of every thread of this process ({@code taskset -a -p}); threads made later
     * inherit it from the thread that makes them. The supervisor's own work on a tenant's death —
     * spawning, JIT-compiling paths it had not run yet, polling — then stays off the other tenants'
     * CPUs.
     */
    private static void setOwnAffinity(CpuSet cpus) throws IOException {
        List<String> cmd = List.of(tool("taskset", "util-linux"), "-a", "-p", "-c", cpus.toString(),
                Long.toString(ProcessHandle.current().pid()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while setting the supervisor's CPUs", e);
        } finally {
            p.destroyForcibly();
        }
    }

    /** The path of {@code name}, which tenants' command lines start with. */
    private static String tool(String name, String debianPackage) {
        for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new IllegalStateException("tenants are started through " + name + ", which is not installed"
                + " (Debian package " + debianPackage + ")");
    }

    /** One tenant's place: its spec, CPUs, link, and life so far. */
    final class Slot {
        final Tenant tenant;
        final int index;
        final CpuSet cpus;
        final String interfaceName;
        final String address;
        final Path log;
        volatile TenantState state = TenantState.STARTING;
        volatile long pid;
        volatile int restarts;
        volatile long sinceMillis = System.currentTimeMillis();
        volatile String lastExit = "-";
        // Touched on the scheduler thread only.
        TenantProcess process;
        ScheduledFuture<?> pending;
        long startedNanos;
        int fastFailures;
        int starts;

        Slot(Tenant tenant, int index, CpuSet cpus, Path log) {
            this.tenant = tenant;
            this.index = index;
            this.cpus = cpus;
            this.log = log;
            if (tenant.ownLink()) {
                TenantLinks.Pair pair = TenantLinks.pair(index);
                this.interfaceName = tenant.backend() == BackendKind.KERNEL ? null : pair.hostInterface();
                // AF_PACKET sees every frame the kernel sees: it needs an address the kernel does not own.
                String host = pair.hostAddress();
                this.address = tenant.backend() == BackendKind.PACKET
                        ? host.substring(0, host.lastIndexOf('.')) + ".3/" + TenantLinks.PREFIX
                        : pair.hostCidr();
            } else {
                this.interfaceName = tenant.interfaceName();
                this.address = tenant.address();
            }
        }

        void set(TenantState next) {
            state = next;
            sinceMillis = System.currentTimeMillis();
        }

        TenantStatus status() {
            return new TenantStatus(tenant.name(), tenant.app().command(),
                    tenant.backend().name().toLowerCase(Locale.ROOT), state, pid, restarts, cpus.toString(),
                    tenant.ownLink() ? TenantLinks.pair(index).hostInterface()
                            : interfaceName != null ? interfaceName : "-",
                    address != null ? address : "127.0.0.1", tenant.port(), sinceMillis, lastExit, log.toString());
        }
    }

    /** Configures a {@link Supervisor}. */
    public static final class Builder {
        private final List<Tenant> tenants = new ArrayList<>();
        private CoreBudget budget;
        private ChildJvm jvm;
        private TenantProcess.Starter starter = TenantProcess.starter();
        private LongPredicate readiness = Supervisor::hasStatsFile;
        private RestartPolicy policy = RestartPolicy.DEFAULT;
        private Path logDir;
        private Path statusPath;
        private Consumer<String> events = line -> { };
        private Duration readyTimeout = Duration.ofSeconds(60);
        private Duration stopGrace = Duration.ofSeconds(5);
        private List<String> confine;
        private boolean confineSelf;
        private CpuSet ownCpus;

        private Builder() {
        }

        /** Adds a tenant. */
        public Builder tenant(Tenant tenant) {
            tenants.add(tenant);
            return this;
        }

        /** Adds tenants. */
        public Builder tenants(List<Tenant> all) {
            tenants.addAll(all);
            return this;
        }

        /** The CPUs to hand out (default: the CPUs this process may use). */
        public Builder budget(CoreBudget budget) {
            this.budget = budget;
            return this;
        }

        /** How to run {@code io.jix.cli.Main} in a tenant's JVM (required). */
        public Builder childJvm(ChildJvm jvm) {
            this.jvm = jvm;
            return this;
        }

        /** How to start processes (default: {@link TenantProcess#starter()}). */
        public Builder starter(TenantProcess.Starter starter) {
            this.starter = starter;
            return this;
        }

        /** When a started pid counts as ready (default: {@link #hasStatsFile}). */
        public Builder readiness(LongPredicate readiness) {
            this.readiness = readiness;
            return this;
        }

        /** When to restart (default: {@link RestartPolicy#DEFAULT}). */
        public Builder restartPolicy(RestartPolicy policy) {
            this.policy = policy;
            return this;
        }

        /** Where tenants' output goes, one {@code NAME.log} each (default: a temp folder). */
        public Builder logDirectory(Path dir) {
            this.logDir = dir;
            return this;
        }

        /** Where to publish status (default: nowhere; the CLI uses {@link StatusFile#pathFor}). */
        public Builder statusFile(Path path) {
            this.statusPath = path;
            return this;
        }

        /** Receives one line per event (start, ready, death, restart, giving up). */
        public Builder events(Consumer<String> sink) {
            this.events = sink;
            return this;
        }

        /** How long a start may take to become ready before it is killed and counted as a failure. */
        public Builder readyTimeout(Duration limit) {
            this.readyTimeout = limit;
            return this;
        }

        /** How long stopping tenants get between SIGTERM and SIGKILL. */
        public Builder stopGrace(Duration grace) {
            this.stopGrace = grace;
            return this;
        }

        /**
         * The command prefix that confines a process to a CPU list given after it (default
         * {@code taskset -c}); tests of the supervision logic alone may pass another.
         */
        public Builder confineWith(List<String> prefix) {
            this.confine = List.copyOf(prefix);
            return this;
        }

        /**
         * Whether {@link Supervisor#start()} confines this whole process (every thread) to the
         * supervisor's CPUs, until {@link Supervisor#close()} gives it back the CPUs it had
         * (default no; {@code ./jix control} does).
         */
        public Builder confineSelf(boolean confine) {
            this.confineSelf = confine;
            return this;
        }

        /**
         * The supervisor's own CPUs when it confines itself (default: the budget's CPUs no tenant
         * got, else the first tenant's).
         */
        public Builder supervisorCpus(CpuSet cpus) {
            this.ownCpus = cpus;
            return this;
        }

        /** The supervisor; nothing runs before {@link Supervisor#start()}. */
        public Supervisor build() {
            return new Supervisor(this);
        }
    }
}
