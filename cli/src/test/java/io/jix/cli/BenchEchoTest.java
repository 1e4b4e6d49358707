package io.jix.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.apps.echo.EchoServer;
import io.jix.dataplane.Dataplane;
import io.jix.loadgen.EchoWorkload;
import io.jix.loadgen.LoadGenerator;
import io.jix.loadgen.Report;
import io.jix.testkit.Allocations;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./jix bench echo} against the echo server on the kernel backend on 127.0.0.1: no root,
 * runs anywhere. (Over AF_XDP with the batch histogram: {@code BenchBatchingTest}.)
 */
class BenchEchoTest {

    private static Dataplane dataplane;
    private static int port;

    @BeforeAll
    static void serve() {
        dataplane = Dataplane.builder().threads(1).pin(false).tcpPorts(0).udpPorts(0).name("bench-echo-test")
                .start(EchoServer.application());
        port = dataplane.tcpPorts()[0];
    }

    @AfterAll
    static void stop() {
        dataplane.close();
    }

    @Test
    void pipelinedLoadIsByteExactAndTheGeneratorAllocatesNothingPerRequest() throws Exception {
        LoadGenerator.Config config = LoadGenerator.Config.closedLoop(new InetSocketAddress(
                InetAddress.getLoopbackAddress(), port), 16, 2, 4, Duration.ofMillis(700), Duration.ofMillis(1500),
                1_000_000_000L);
        CompletableFuture<LoadGenerator.Result> run = CompletableFuture.supplyAsync(() -> {
            try {
                return LoadGenerator.run(config, new EchoWorkload(64));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        // Allocation of the generator threads over the second half of the run: steady state by then.
        Thread.sleep(1100);
        List<Thread> generators = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("loadgen-")).toList();
        assertThat(generators).hasSize(2);
        long before = allocated(generators);
        long sentBefore = dataplane.counter(io.jix.dataplane.Counter.TX_BYTES);
        Thread.sleep(1000);
        long bytes = allocated(generators) - before;
        long requests = (dataplane.counter(io.jix.dataplane.Counter.TX_BYTES) - sentBefore) / 64;
        LoadGenerator.Result r = run.get();

        assertThat(r.errors()).isZero();
        assertThat(r.lostConnections()).isZero();
        assertThat(r.requests()).isGreaterThan(10_000);
        assertThat(r.latency().getTotalCount()).isEqualTo(r.requests());
        assertThat(r.micros(50)).isPositive();
        assertThat(requests).isGreaterThan(5_000);
        // Not one object per request: a few stray bytes (a JIT deoptimisation) at most.
        assertThat(bytes).as("bytes allocated by the generator threads over %d requests", requests)
                .isLessThan(Math.max(16 * 1024, requests / 8));
    }

    private static long allocated(List<Thread> threads) {
        long sum = 0;
        for (Thread t : threads) {
            sum += Allocations.ofThread(t.threadId());
        }
        return sum;
    }

    @Test
    void theCommandPrintsOneLineAndAppendsCsvRows(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("echo.csv");
        for (int i = 0; i < 2; i++) {
            CliTest.Run r = CliTest.run("bench", "echo", "--port", Integer.toString(port), "--connections", "4",
                    "--depth", "2", "--size", "100", "--warmup", "0.2", "--duration", "0.5", "--csv", csv.toString());
            assertThat(r.status()).as("stderr: %s", r.err()).isZero();
            assertThat(r.out().strip()).matches("echo: rps=\\d+ p50_us=[\\d.]+ p90_us=[\\d.]+ p99_us=[\\d.]+"
                    + " p999_us=[\\d.]+ max_us=[\\d.]+ mean_us=[\\d.]+ requests=\\d+ seconds=0\\.5\\d errors=0 lost=0"
                    + " connections=4 threads=1 depth=2 target=127.0.0.1:" + port);
        }
        List<String> lines = Files.readAllLines(csv);
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).isEqualTo(Report.CSV_HEADER);
        assertThat(lines.get(1)).startsWith("echo,127.0.0.1," + port + ",4,1,2,0,");
    }

    @Test
    void addressesOutsideLoopbackAndTheBenchmarkingRangeAreRefused() {
        CliTest.Run r = CliTest.run("bench", "echo", "--address", "192.0.2.7", "--duration", "1");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("jix: refusing to load 192.0.2.7: only loopback and the benchmarking"
                + " range 198.18.0.0/15 are allowed");
    }

    @Test
    void nothingListeningIsOneClearLine() throws Exception {
        int closed;
        try (var s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        CliTest.Run r = CliTest.run("bench", "echo", "--port", Integer.toString(closed), "--duration", "1");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err().strip()).startsWith("jix: could not connect to 127.0.0.1:" + closed + ": ")
                .contains("refused");
    }
}
