package io.jix.cli;

import io.jix.control.tenant.ChildJvm;
import io.jix.control.tenant.CoreBudget;
import io.jix.control.tenant.CpuSet;
import io.jix.control.tenant.StatusFile;
import io.jix.control.tenant.Supervisor;
import io.jix.control.tenant.Tenant;
import io.jix.control.tenant.TenantState;
import io.jix.control.tenant.TenantStatus;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./jix control}: runs tenant dataplanes under a {@link Supervisor} — each its own process
 * on its own CPUs, link and address, restarted when it dies — until interrupted or for
 * {@code --duration}; {@code ./jix control status} shows what running supervisors publish.
 */
@Command(name = "control", mixinStandardHelpOptions = true, versionProvider = TestnetCommand.RootVersion.class,
        description = {
            "Supervise tenant dataplanes: each tenant runs as its own `./jix serve APP` process, confined (taskset)"
                    + " to its own CPUs out of --budget, on its own veth pair and address, and is restarted when it"
                    + " dies (backoff 100 ms doubling to 10 s; given up after 5 failures in a row, each within 10 s"
                    + " of starting). Ctrl-C or SIGTERM stops every tenant and removes their links.",
            "A tenant is comma-separated key=value pairs: name= (required), app=echo|sockperf|memcached"
                    + " (required), backend=kernel|xdp|packet (default kernel), cores=N or MIN:MAX (default 1),"
                    + " link=auto|none (default auto: tenant i, counting from 0, gets veth jixt<i> 198.18.<16+i>.1/24"
                    + " <-> jixt<i>p 198.18.<16+i>.2/24 in namespace jix-peer; needs root), interface= and"
                    + " address=IP[/PREFIX] (link=none only), port= (default: the app's), nice= (-20..19,"
                    + " default 0; lower wins the tenant its CPUs back sooner from other programs), args= (more serve"
                    + " options, blank-separated; last, takes the rest).",
            "Example: ./jix control --tenant name=web,app=echo,backend=xdp --tenant name=cache,app=memcached,"
                    + "backend=xdp,args=-m 128",
            "Tenants' output goes to one log file each (shown in status). Status: ./jix control status."
        },
        subcommands = {ControlCommand.Status.class})
public final class ControlCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--tenant", paramLabel = "SPEC", description = "A tenant (repeatable); see above.")
    List<String> tenants = new ArrayList<>();

    @Option(names = "--config", paramLabel = "FILE",
            description = "Tenants from a file: one SPEC per line; blank lines and lines starting with # are skipped.")
    Path config;

    @Option(names = "--budget", paramLabel = "CPUS",
            description = "CPUs the tenants may have, as a list (0-3,6; default: every CPU this process may use).")
    String budget;

    @Option(names = "--supervisor-cpus", paramLabel = "CPUS",
            description = "CPUs for the supervisor's own threads (default: budget CPUs no tenant got, else the first"
                    + " tenant's), so that its work when a tenant dies stays off the other tenants' CPUs.")
    String supervisorCpus;

    @Option(names = "--duration", paramLabel = "SECONDS",
            description = "Stop everything after this many seconds (default: run until interrupted).")
    Long durationSeconds;

    @Option(names = "--log-dir", paramLabel = "DIR",
            description = "Where tenants' logs go (default: a folder jix-control-<pid> in the temp folder).")
    Path logDir;

    /** For picocli. */
    public ControlCommand() {
    }

    @Override
    public Integer call() throws Exception {
        List<Tenant> all = tenants();
        if (all.isEmpty()) {
            throw new IllegalArgumentException("no tenants: give --tenant SPEC (repeatable) or --config FILE"
                    + " (./jix control --help)");
        }
        if (durationSeconds != null && durationSeconds < 1) {
            throw new IllegalArgumentException("--duration must be at least 1 second");
        }
        PrintWriter out = spec.commandLine().getOut();
        Supervisor supervisor = Supervisor.builder()
                .tenants(all)
                .budget(budget != null ? CoreBudget.of(budget) : CoreBudget.ofThisProcess())
                .childJvm(tenantJvm())
                .logDirectory(logDir)
                .confineSelf(true)
                .supervisorCpus(supervisorCpus != null ? CpuSet.parse(supervisorCpus) : null)
                .statusFile(StatusFile.pathFor(ProcessHandle.current().pid()))
                .events(line -> {
                    synchronized (out) {
                        out.println("jix control: " + line);
                        out.flush();
                    }
                })
                .build();
        Thread hook = new Thread(supervisor::close, "jix-control-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            supervisor.start();
            try {
                supervisor.awaitReady(Duration.ofSeconds(120));
                synchronized (out) {
                    out.print(table(supervisor.budget().toString(), supervisor.status()));
                    out.println("jix control: all tenants ready; ./jix control status shows them"
                            + (durationSeconds == null ? "; Ctrl-C stops" : ""));
                    out.flush();
                }
            } catch (TimeoutException | IllegalStateException e) {
                out.println("jix control: " + e.getMessage());
                out.flush();
            }
            long deadline = durationSeconds == null ? Long.MAX_VALUE
                    : System.nanoTime() + Duration.ofSeconds(durationSeconds).toNanos();
            while (System.nanoTime() - deadline < 0) {
                if (supervisor.status().stream().allMatch(t -> t.state() == TenantState.FAILED)) {
                    out.println("jix control: every tenant failed; stopping");
                    break;
                }
                Thread.sleep(200);
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is closing the supervisor already
            }
            supervisor.close();
        }
        synchronized (out) {
            out.print(table(supervisor.budget().toString(), supervisor.status()));
            out.flush();
        }
        return supervisor.anyFailed() ? 1 : 0;
    }

    /** How tenant JVMs run: this command line again, on this JVM's module path. */
    static ChildJvm tenantJvm() {
        return ChildJvm.ofThisProcess(Supervisor.TENANT_JVM_OPTIONS, "jix.cli", Main.class.getName(), Main.class);
    }

    List<Tenant> tenants() throws IOException {
        List<Tenant> all = new ArrayList<>();
        if (config != null) {
            List<String> lines;
            try {
                lines = Files.readAllLines(config, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException("--config: cannot read " + config + ": " + e.getMessage(), e);
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                try {
                    all.add(Tenant.parse(line));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(config + " line " + (i + 1) + ": " + e.getMessage(), e);
                }
            }
        }
        for (String t : tenants) {
            all.add(Tenant.parse(t));
        }
        return all;
    }

    /** The tenants as a table, with whether each one's threads all stay on its CPUs. */
    static String table(String budget, List<TenantStatus> tenants) {
        StringBuilder text = new StringBuilder();
        String row = "%-12s %-9s %-7s %-10s %7s %8s %-6s %-9s %-18s %5s %8s %-9s %s%n";
        text.append(String.format(Locale.ROOT, row, "tenant", "app", "backend", "state", "pid", "restarts",
                "cpus", "interface", "address", "port", "for", "confined", "last exit"));
        long now = System.currentTimeMillis();
        for (TenantStatus t : tenants) {
            boolean live = t.pid() > 0 && ProcessHandle.of(t.pid()).map(ProcessHandle::isAlive).orElse(false)
                    && t.state() != TenantState.STOPPED;
            String confined = "-";
            if (live) {
                int outside = CpuSet.parse(t.cpus()).threadsOutside(t.pid()).size();
                confined = outside == 0 ? "yes" : "NO (" + outside + ")";
            }
            text.append(String.format(Locale.ROOT, row, t.name(), t.app(), t.backend(), t.state().label(), t.pid(),
                    t.restarts(), t.cpus(), t.interfaceName(), t.address(), t.port(),
                    String.format(Locale.ROOT, "%.0f s", (now - t.sinceMillis()) / 1e3), confined, t.lastExit()));
        }
        return "budget: CPUs " + budget + "\n" + text;
    }

    /** {@code ./jix control status}. */
    @Command(name = "status", mixinStandardHelpOptions = true, versionProvider = TestnetCommand.RootVersion.class,
            description = "Show every running supervisor's tenants: state, pid, restarts, CPU set (and whether all"
                    + " of the tenant's threads stay on it), interface, address, port, how its last process ended,"
                    + " and its log file.")
    public static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        /** For picocli. */
        public Status() {
        }

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            List<Path> files = StatusFile.running();
            if (files.isEmpty()) {
                out.println("no ./jix control is running");
            }
            for (Path f : files) {
                StatusFile.Snapshot s;
                try {
                    s = StatusFile.read(f);
                } catch (IOException e) {
                    spec.commandLine().getErr().println("jix: skipping " + f + ": " + e.getMessage());
                    continue;
                }
                out.printf(Locale.ROOT, "supervisor pid %d, up %.0f s (%s)%n", s.pid(),
                        (System.currentTimeMillis() - s.startedMillis()) / 1e3, f);
                out.print(table(s.budget(), s.tenants()));
                for (TenantStatus t : s.tenants()) {
                    out.println("  log of " + t.name() + ": " + t.log());
                }
            }
            out.flush();
            return 0;
        }
    }
}
