package io.jix.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.apps.echo.EchoServer;
import io.jix.dataplane.BackendKind;
import io.jix.dataplane.Counter;
import io.jix.dataplane.Dataplane;
import io.jix.loadgen.EchoWorkload;
import io.jix.loadgen.LoadGenerator;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The control loop on a real dataplane (kernel backend, loopback, {@code --cores 1:2}): it starts
 * on one thread, takes the second under a closed-loop flood, and gives it back when the load
 * stops — and a thread given back costs no CPU.
 */
class ElasticControlTest {

    @Test
    void growsUnderLoadShrinksWhenIdleAndAParkedThreadCostsNothing() throws Exception {
        try (Dataplane dp = Dataplane.builder().backend(BackendKind.KERNEL).cores(1, 2).tcpPorts(0)
                .name("elastic-test").start(EchoServer.application())) {
            assertThat(dp.activeThreads()).isEqualTo(1);
            List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
            List<String> log = Collections.synchronizedList(new ArrayList<>());
            // Thresholds for a shared 2-vCPU box, where the generator competes with the server:
            // step up at 30 % busy, down when one thread would be under 10 % (the defaults are unit-tested).
            IxcpPolicy policy = new IxcpPolicy(500_000, 0.5, 0.05, 0.25, 0.3, 0.1, 10);
            try (ElasticControl control = ElasticControl.start(dp, policy, Duration.ofMillis(50), step -> {
                seen.add(step.threads());
                log.add(String.format("%d threads, busy %.2f", step.threads(), step.sample().busyFraction()));
            })) {
                InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), dp.tcpPorts()[0]);
                LoadGenerator.Result r = LoadGenerator.run(LoadGenerator.Config.closedLoop(target, 32, 1, 8,
                        Duration.ZERO, Duration.ofSeconds(4), 50_000_000L), new EchoWorkload(64));
                assertThat(r.errors()).isZero();
                assertThat(seen).as("thread counts decided under load; steps: %s", log).contains(2);
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (dp.activeThreads() != 1 && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(dp.activeThreads()).as("threads running once idle").isEqualTo(1);
                assertThat(control.resizes()).isGreaterThanOrEqualTo(2);
                assertThat(dp.counter(Counter.GROUPS_ADOPTED)).isGreaterThanOrEqualTo(dp.groupCount() + 2);

                // The thread without groups parks: over a second it uses (almost) no CPU.
                int parked = dp.counter(0, Counter.GROUPS_OWNED) == 0 ? 0 : 1;
                ThreadMXBean mx = ManagementFactory.getThreadMXBean();
                long tid = dp.elasticThreadIds()[parked];
                long cpu0 = mx.getThreadCpuTime(tid);
                Thread.sleep(1_000);
                long cpuNanos = mx.getThreadCpuTime(tid) - cpu0;
                assertThat(dp.counter(parked, Counter.GROUPS_OWNED)).isZero();
                assertThat(cpuNanos).as("CPU time of the parked thread over 1 s, ns").isLessThan(20_000_000L);
            }
        }
    }
}
