package io.jix.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.apps.memcached.MemcachedServer;
import io.jix.dataplane.Dataplane;
import io.jix.loadgen.memcached.KeyValueMix;
import io.jix.loadgen.memcached.OpenLoopClient;
import io.jix.loadgen.memcached.StepResult;
import io.jix.loadgen.memcached.Sweep;
import io.jix.loadgen.memcached.SweepReport;
import io.jix.testkit.Allocations;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./jix bench memcached} on loopback against {@code ./jix serve memcached}'s application on
 * the kernel backend (in this JVM) and, when installed, Debian's memcached (a child, stopped by its
 * handle): replies verify, the CSV and the PNG are written. Under CI memcached must be there.
 */
class BenchMemcachedTest {

    private static final Path MEMCACHED = Path.of("/usr/bin/memcached");

    private static Dataplane jix;
    private static int jixPort;
    private static Process memcached;
    private static int memcachedPort;

    @BeforeAll
    static void serve() throws Exception {
        jix = Dataplane.builder().threads(1).pin(false).tcpPorts(0).name("bench-memcached-test")
                .start(MemcachedServer.application());
        jixPort = jix.tcpPorts()[0];
        boolean installed = Files.isExecutable(MEMCACHED);
        assertThat(installed || !"true".equals(System.getenv("CI"))).as("memcached is installed under CI").isTrue();
        if (installed) {
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                memcachedPort = probe.getLocalPort();
            }
            List<String> cmd = new java.util.ArrayList<>(List.of(MEMCACHED.toString(), "-l", "127.0.0.1", "-p",
                    Integer.toString(memcachedPort), "-t", "1", "-m", "64"));
            if (io.jix.testnet.TestNet.isRoot()) {
                cmd.addAll(List.of("-u", "root"));
            }
            memcached = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true) {
                try {
                    new Socket(InetAddress.getLoopbackAddress(), memcachedPort).close();
                    break;
                } catch (IOException e) {
                    if (System.nanoTime() - deadline > 0) {
                        throw e;
                    }
                    Thread.sleep(50);
                }
            }
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (jix != null) {
            jix.close();
        }
        if (memcached != null) {
            PeerJvm.end(memcached);
        }
    }

    @Test
    void aShortSweepVerifiesEveryReplyAndWritesCsvAndPlot(@TempDir Path dir) throws IOException {
        Path csv = dir.resolve("sweep.csv");
        Path png = dir.resolve("sweep.png");
        List<String> args = new java.util.ArrayList<>(List.of("bench", "memcached", "--server",
                "jix-kernel=127.0.0.1:" + jixPort, "--pid", "jix-kernel=" + ProcessHandle.current().pid(),
                "--keys", "3000", "--connections", "8", "--qps", "2000,4000", "--step-seconds", "1", "--warmup", "0.2",
                "--drain", "0.5", "--csv", csv.toString(), "--plot", png.toString()));
        if (memcached != null) {
            args.addAll(List.of("--server", "memcached=127.0.0.1:" + memcachedPort, "--pid",
                    "memcached=" + memcached.pid()));
        }
        CliTest.Run r = CliTest.run(args.toArray(String[]::new));
        assertThat(r.status()).as("out: %s%nerr: %s", r.out(), r.err()).isZero();
        assertThat(r.out()).contains("jix-kernel: preloaded 3000 keys").contains("| server | max QPS at p99");
        List<Sweep.Result> results = SweepReport.readCsv(csv);
        assertThat(results).extracting(Sweep.Result::server).containsExactlyElementsOf(memcached != null
                ? List.of("jix-kernel", "memcached") : List.of("jix-kernel"));
        for (Sweep.Result result : results) {
            assertThat(result.steps()).as(result.server()).hasSize(2);
            for (StepResult s : result.steps()) {
                assertThat(s.errors()).as(result.server()).isZero();
                assertThat(s.lost()).isZero();
                // Preloaded: every GET hits, and its value checked byte for byte.
                assertThat(s.gets()).isGreaterThan(500);
                assertThat(s.hits()).isEqualTo(s.gets());
                assertThat(s.sets()).isGreaterThan(100);
                assertThat(s.achievedQps()).isGreaterThan(0.8 * s.targetQps());
                assertThat(s.samples()).isGreaterThan((long) (0.8 * s.targetQps()));
                assertThat(s.cpuNsPerRequest()).isPositive();
            }
            assertThat(result.steps().get(0).cpuSource()).isEqualTo(result.server().equals("memcached")
                    ? "process" : "jix-busy");
        }
        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(1000);
    }

    @Test
    void theOpenLoopGeneratorAllocatesNothingPerRequest() throws Exception {
        KeyValueMix mix = KeyValueMix.etc(2000, 3);
        OpenLoopClient.Config config = new OpenLoopClient.Config(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                jixPort), 8, 2, mix, 3, Duration.ofSeconds(5));
        try (OpenLoopClient client = OpenLoopClient.connect(config)) {
            client.preload(Duration.ofSeconds(20));
            CompletableFuture<StepResult> step = CompletableFuture.supplyAsync(() -> {
                try {
                    return client.step(10_000, Duration.ofMillis(200), Duration.ofMillis(2300), Duration.ofMillis(500),
                            OpenLoopClient.ServerCpu.NONE);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(1200); // past the warm-up and the first compilations
            List<Thread> threads = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("loadgen-mc-")).toList();
            assertThat(threads).hasSize(2);
            long before = 0;
            for (Thread t : threads) {
                before += Allocations.ofThread(t.threadId());
            }
            Thread.sleep(1000);
            long after = 0;
            for (Thread t : threads) {
                after += Allocations.ofThread(t.threadId());
            }
            StepResult s = step.get(20, TimeUnit.SECONDS);
            assertThat(s.errors()).isZero();
            assertThat(s.samples()).isGreaterThan(15_000);
            // ~10,000 requests in that second: not one object each (a few stray bytes from a deoptimisation at most).
            assertThat(after - before).as("bytes allocated by the generator threads in 1 s").isLessThan(16 * 1024);
        }
    }

    @Test
    void serversOutsideLoopbackAndTheBenchmarkingRangeAndBadRatesAreRefused() {
        CliTest.Run r = CliTest.run("bench", "memcached", "--server", "x=192.0.2.7:11211");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("jix: refusing to load 192.0.2.7: only loopback and the benchmarking"
                + " range 198.18.0.0/15 are allowed");
        r = CliTest.run("bench", "memcached", "--qps", "10:5:1");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("--qps");
        assertThat(BenchMemcached.rates("1000:3000:1000")).containsExactly(1000.0, 2000.0, 3000.0);
        assertThat(BenchMemcached.rates("5, 7")).containsExactly(5.0, 7.0);
        assertThat(BenchMemcached.server("a=127.0.0.1:5").label()).isEqualTo("a");
        assertThat(BenchMemcached.server("127.0.0.1:5").label()).isEqualTo("127.0.0.1:5");
    }
}
