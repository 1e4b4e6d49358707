package io.jix.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.loadgen.memcached.Sweep;
import io.jix.loadgen.memcached.SweepReport;
import io.jix.testnet.TestNet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./jix demo --quick}: as root the three servers on the test network (holding its lock),
 * otherwise jix-kernel and memcached on loopback; every server it started is gone afterwards, and
 * the table, CSV and plot are there.
 */
class DemoCommandTest {

    @Test
    void theQuickDemoRunsEveryServerAndCleansUp(@TempDir Path dir) throws Exception {
        boolean testnet = TestNet.unavailableReason() == null;
        boolean memcached = Files.isExecutable(Path.of("/usr/bin/memcached"));
        CliTest.Run r = CliTest.run("demo", "--quick", "--out", dir.toString(), "--budget", "90");
        assertThat(r.status()).as("out: %s%nerr: %s", r.out(), r.err()).isZero();
        List<String> expected = new java.util.ArrayList<>();
        if (testnet) {
            expected.add("jix-xdp");
        }
        expected.add("jix-kernel");
        if (memcached) {
            expected.add("memcached");
        }
        List<Sweep.Result> results = SweepReport.readCsv(dir.resolve("memcached-etc.csv"));
        assertThat(results).extracting(Sweep.Result::server).containsExactlyElementsOf(expected);
        for (Sweep.Result s : results) {
            assertThat(s.steps()).as(s.server()).isNotEmpty().allSatisfy(step -> {
                assertThat(step.errors()).isZero();
                assertThat(step.hits()).isEqualTo(step.gets()).isPositive();
            });
        }
        assertThat(Files.size(dir.resolve("memcached-etc.png"))).isGreaterThan(1000);
        assertThat(r.out()).contains(testnet ? "the client runs in namespace jix-peer" : "jix-xdp is skipped")
                .contains("ETC workload — highest achieved QPS");
        // Every server it started is stopped.
        Matcher m = Pattern.compile("serving on \\S+, pid (\\d+)").matcher(r.out());
        int servers = 0;
        while (m.find()) {
            servers++;
            long pid = Long.parseLong(m.group(1));
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid %d", pid).isFalse();
        }
        assertThat(servers).isEqualTo(expected.size());
    }
}
