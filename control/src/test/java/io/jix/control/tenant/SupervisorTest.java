package io.jix.control.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The supervision logic with fake processes: restarts, backoff, giving up, stopping, status. */
class SupervisorTest {
    private static final RestartPolicy FAST = new RestartPolicy(Duration.ofMillis(10), Duration.ofMillis(80),
            Duration.ofMillis(300), 4);

    @TempDir
    Path dir;

    /** A process that lives until the test ends it. */
    static final class FakeProcess implements TenantProcess {
        private static final AtomicLong PIDS = new AtomicLong(100_000);
        final long pid = PIDS.incrementAndGet();
        final List<String> command;
        final CompletableFuture<Void> exit = new CompletableFuture<>();
        volatile int status = -1;
        volatile boolean ignoreTerm;

        FakeProcess(List<String> command) {
            this.command = command;
        }

        void die(int exitStatus) {
            status = exitStatus;
            exit.complete(null);
        }

        @Override public long pid() {
            return pid;
        }

        @Override public CompletableFuture<?> onExit() {
            return exit;
        }

        @Override public boolean isAlive() {
            return !exit.isDone();
        }

        @Override public int exitValue() {
            return status;
        }

        @Override public void terminate() {
            if (!ignoreTerm) {
                die(143);
            }
        }

        @Override public void kill() {
            die(137);
        }
    }

    final List<FakeProcess> started = new CopyOnWriteArrayList<>();
    final Set<Long> ready = ConcurrentHashMap.newKeySet();
    final List<String> events = Collections.synchronizedList(new ArrayList<>());
    volatile boolean readyOnStart = true;

    Supervisor supervisor(RestartPolicy policy, String... specs) {
        Supervisor.Builder b = Supervisor.builder()
                .budget(new CoreBudget(CpuSet.parse("0-3")))
                .childJvm(new ChildJvm(List.of("java", "Main")))
                .confineWith(List.of("confine"))
                .starter((command, log) -> {
                    FakeProcess p = new FakeProcess(command);
                    started.add(p);
                    if (readyOnStart) {
                        ready.add(p.pid);
                    }
                    return p;
                })
                .readiness(ready::contains)
                .restartPolicy(policy)
                .logDirectory(dir)
                .statusFile(dir.resolve("control-1.status"))
                .stopGrace(Duration.ofMillis(200))
                .events(events::add);
        for (String s : specs) {
            b.tenant(Tenant.parse(s));
        }
        return b.build();
    }

    @Test
    void aTenantThatDiesIsRestartedAndTheOtherIsLeftAlone() throws Exception {
        try (Supervisor s = supervisor(FAST, "name=a,app=echo,link=none", "name=b,app=echo,link=none")) {
            s.start();
            s.awaitReady(Duration.ofSeconds(5));
            FakeProcess a = started.get(0);
            FakeProcess b = started.get(1);
            assertThat(a.command).startsWith("confine", "0", "java", "Main", "serve", "echo");
            assertThat(b.command).startsWith("confine", "1");

            a.die(137);
            await(() -> s.status("a").restarts() == 1 && s.status("a").state() == TenantState.READY);
            TenantStatus now = s.status("a");
            assertThat(now.pid()).isNotEqualTo(a.pid).isEqualTo(started.get(2).pid);
            assertThat(now.lastExit()).startsWith("exited with status 137 (signal 9) after");
            assertThat(s.status("b").restarts()).isZero();
            assertThat(s.status("b").pid()).isEqualTo(b.pid);
            assertThat(b.isAlive()).isTrue();
            assertThat(started).hasSize(3);
            assertThat(events).anyMatch(e -> e.startsWith("tenant a: pid " + a.pid + " exited with status 137"));

            StatusFile.Snapshot published = StatusFile.read(dir.resolve("control-1.status"));
            assertThat(published.pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(published.budget()).isEqualTo("0-3");
            assertThat(published.tenants()).extracting(TenantStatus::name).containsExactly("a", "b");
            assertThat(published.tenants().getFirst().restarts()).isEqualTo(1);
            assertThat(published.tenants().getFirst().cpus()).isEqualTo("0");
            assertThat(published.tenants().getFirst().state()).isEqualTo(TenantState.READY);
        }
        assertThat(started).allMatch(p -> !p.isAlive());
        assertThat(dir.resolve("control-1.status")).doesNotExist();
    }

    @Test
    void fastFailuresBackOffExponentiallyThenGiveUp() throws Exception {
        readyOnStart = false;
        try (Supervisor s = supervisor(FAST, "name=a,app=echo,link=none")) {
            s.start();
            for (int i = 0; i < 4; i++) {
                int n = i + 1;
                await(() -> started.size() >= n);
                started.get(i).die(1);
            }
            await(() -> s.status("a").state() == TenantState.FAILED);
            assertThat(started).hasSize(4);
            assertThat(s.status("a").restarts()).isEqualTo(3);
            assertThat(s.anyFailed()).isTrue();
            assertThat(events).filteredOn(e -> e.contains("; restart "))
                    .extracting(e -> e.substring(e.lastIndexOf(" in ") + 4))
                    .containsExactly("10 ms", "20 ms", "40 ms");
            assertThat(events).anyMatch(e -> e.contains("4 failures in a row") && e.contains("giving up"));
            assertThatThrownBy(() -> s.awaitReady(Duration.ofSeconds(1))).hasMessageContaining("tenant a failed");
        }
    }

    @Test
    void aRunThatLastedResetsTheBackoff() {
        RestartPolicy p = FAST;
        assertThat(p.afterExit(Duration.ofMillis(5), 0)).isEqualTo(new RestartPolicy.Decision(true, Duration.ofMillis(10), 1));
        assertThat(p.afterExit(Duration.ofMillis(5), 2)).isEqualTo(new RestartPolicy.Decision(true, Duration.ofMillis(40), 3));
        assertThat(p.afterExit(Duration.ofMillis(5), 3)).isEqualTo(new RestartPolicy.Decision(false, Duration.ZERO, 4));
        assertThat(p.afterExit(Duration.ofSeconds(1), 3)).isEqualTo(new RestartPolicy.Decision(true, Duration.ofMillis(10), 0));
        RestartPolicy capped = new RestartPolicy(Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofSeconds(1), 10);
        assertThat(capped.afterExit(Duration.ZERO, 5).delay()).isEqualTo(Duration.ofMillis(250));
        assertThatThrownBy(() -> new RestartPolicy(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ZERO, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aStartThatNeverGetsReadyIsKilledAndCountsAsAFailure() throws Exception {
        readyOnStart = false;
        Supervisor s = Supervisor.builder()
                .tenant(Tenant.parse("name=slow,app=echo,link=none"))
                .budget(new CoreBudget(CpuSet.parse("0")))
                .childJvm(new ChildJvm(List.of("java")))
                .confineWith(List.of("confine"))
                .starter((command, log) -> {
                    FakeProcess p = new FakeProcess(command);
                    started.add(p);
                    return p;
                })
                .readiness(ready::contains)
                .restartPolicy(new RestartPolicy(Duration.ofMillis(10), Duration.ofMillis(10), Duration.ofSeconds(5), 2))
                .readyTimeout(Duration.ofMillis(100))
                .logDirectory(dir)
                .events(events::add)
                .build();
        try (s) {
            s.start();
            await(() -> s.status("slow").state() == TenantState.FAILED);
            assertThat(started).hasSize(2).allMatch(p -> p.status == 137);
            assertThat(events).anyMatch(e -> e.contains("not ready 100 ms after start"));
        }
    }

    @Test
    void closeKillsWhatIgnoresSigterm() throws Exception {
        Supervisor s = supervisor(FAST, "name=a,app=echo,link=none");
        s.start();
        s.awaitReady(Duration.ofSeconds(5));
        started.getFirst().ignoreTerm = true;
        s.close();
        assertThat(started.getFirst().status).isEqualTo(137);
        assertThat(s.status("a").state()).isEqualTo(TenantState.STOPPED);
        assertThat(started).hasSize(1); // no restart after a stop
        assertThat(events).anyMatch(e -> e.contains("still ran 200 ms after SIGTERM"));
    }

    @Test
    void aStarterThatThrowsIsAFailureWithItsReason() throws Exception {
        Supervisor s = Supervisor.builder()
                .tenant(Tenant.parse("name=a,app=echo,link=none"))
                .budget(new CoreBudget(CpuSet.parse("0")))
                .childJvm(new ChildJvm(List.of("java")))
                .confineWith(List.of("confine"))
                .starter((command, log) -> {
                    throw new java.io.IOException("no such program");
                })
                .restartPolicy(new RestartPolicy(Duration.ZERO, Duration.ZERO, Duration.ofSeconds(5), 3))
                .logDirectory(dir)
                .events(events::add)
                .build();
        try (s) {
            s.start();
            await(() -> s.status("a").state() == TenantState.FAILED);
            assertThat(s.status("a").lastExit()).startsWith("could not start: no such program");
            assertThat(Files.readString(dir.resolve("a.log"))).contains("start 3 of tenant a: confine 0 java serve echo");
        }
    }

    @Test
    void theSupervisorConfinesItselfWhileItRunsAndGivesItsCpusBack() throws Exception {
        CpuSet mine = CoreBudget.ofThisProcess().cpus();
        org.junit.jupiter.api.Assumptions.assumeTrue(mine.size() > 1, "needs two CPUs");
        CpuSet first = new CpuSet(new int[] {mine.cpus()[0]});
        long self = ProcessHandle.current().pid();
        Supervisor s = Supervisor.builder()
                .tenant(Tenant.parse("name=a,app=echo,link=none"))
                .tenant(Tenant.parse("name=b,app=echo,link=none"))
                .budget(new CoreBudget(mine))
                .childJvm(new ChildJvm(List.of("java")))
                .confineWith(List.of("confine"))
                .starter((command, log) -> new FakeProcess(command))
                .readiness(pid -> true)
                .logDirectory(dir)
                .confineSelf(true)
                .events(events::add)
                .build();
        try (s) {
            assertThat(s.ownCpus()).as("no spare CPU: the first tenant's").isEqualTo(first);
            s.start();
            assertThat(first.threadsOutside(self)).isEmpty();
            assertThat(new CpuSet(io.jix.sys.Affinity.allowedCpus())).isEqualTo(first);
            assertThat(events).anyMatch(e -> e.contains("confined to CPUs " + first + " (shared with tenant a)"));
        }
        assertThat(new CpuSet(io.jix.sys.Affinity.allowedCpus())).isEqualTo(mine);
        assertThat(mine.threadsOutside(self)).isEmpty();
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(5);
        }
    }
}
