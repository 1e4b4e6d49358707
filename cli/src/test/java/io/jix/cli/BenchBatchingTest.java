package io.jix.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.apps.echo.EchoServer;
import io.jix.dataplane.BackendKind;
import io.jix.dataplane.Dataplane;
import io.jix.dataplane.StatsFile;
import io.jix.testkit.TestNetwork;
import io.jix.testnet.TestNet;
import java.net.InetAddress;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Adaptive batching on the native backend, seen in the dataplane's own batch-size histogram: the
 * echo server on AF_XDP (jix0, 198.18.0.1) in this JVM, {@code ./jix bench echo --in-peer} as a
 * child JVM in jix-peer. Under pipelined load from many connections batches hold many events; with
 * one request at a time a batch never holds more than that request and the acknowledgement of the
 * previous reply. Root only; skipped with the reason otherwise, failed under CI=true.
 */
class BenchBatchingTest {

    private static final Pattern SUMMARY = Pattern.compile("(?m)^echo: rps=(\\d+) .* errors=(\\d+) lost=(\\d+) ");

    private Dataplane dataplane;

    @BeforeAll
    static void up() {
        TestNetwork.upOrSkip();
    }

    @AfterAll
    static void down() {
        TestNetwork.down();
    }

    @AfterEach
    void stop() {
        if (dataplane != null) {
            dataplane.close();
        }
    }

    @Test
    void batchesGrowUnderLoadAndStayOneRequestWideWithoutIt() throws Exception {
        dataplane = Dataplane.builder().backend(BackendKind.XDP).interfaceName(TestNet.LOCAL_IF)
                .address(InetAddress.getByName(TestNet.LOCAL_ADDRESS)).prefix(TestNet.PREFIX).tcpPorts(7007)
                .threads(1).name("bench-batching-test").start(EchoServer.application());
        try (StatsFile stats = StatsFile.open(dataplane.statsPath())) {
            long[] before = histogram(stats);
            load("--connections", "64", "--depth", "4");
            long[] loaded = minus(histogram(stats), before);
            // Most batches hold one frame's two events even under load (the spinning loop polls faster than one
            // generator on the other vCPU sends); a backlog shows as larger batches, up to the cap.
            assertThat(above(loaded, 2)).as("batches of more than 2 events under load: %s", show(loaded))
                    .isGreaterThan(loaded[0] / 100);

            before = histogram(stats);
            load("--connections", "1", "--depth", "1", "--rate", "500");
            long[] light = minus(histogram(stats), before);
            // Each batch: the request's recv and, in the same segment, the ACK of the previous reply (sent).
            assertThat(light[0]).as("batches at light load").isGreaterThan(400);
            assertThat(above(light, 2)).as("batches of more than 2 events at light load: %s", show(light)).isZero();
        }
    }

    private static void load(String... shape) {
        String[] args = new String[shape.length + 7];
        System.arraycopy(new String[] {"bench", "echo", "--in-peer", "--warmup", "0.3", "--duration", "1.5"}, 0,
                args, 0, 7);
        System.arraycopy(shape, 0, args, 7, shape.length);
        CliTest.Run r = CliTest.run(args);
        assertThat(r.status()).as("bench echo: %s%s", r.out(), r.err()).isZero();
        Matcher m = SUMMARY.matcher(r.out());
        assertThat(m.find()).as("summary in %s", r.out()).isTrue();
        assertThat(Long.parseLong(m.group(1))).isPositive();
        assertThat(m.group(2)).isEqualTo("0");
        assertThat(m.group(3)).isEqualTo("0");
    }

    /** Index 0: all batches; index k: batches of k events (64: 64 or more), summed over threads. */
    private static long[] histogram(StatsFile f) {
        long[] h = new long[StatsFile.HISTOGRAM_BUCKETS];
        for (int t = 0; t < f.threads(); t++) {
            for (int k = 1; k < h.length; k++) {
                h[k] += f.histogram(t, k);
                h[0] += f.histogram(t, k);
            }
        }
        return h;
    }

    private static long[] minus(long[] a, long[] b) {
        long[] d = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    private static long above(long[] h, int size) {
        long n = 0;
        for (int k = size + 1; k < h.length; k++) {
            n += h[k];
        }
        return n;
    }

    private static String show(long[] h) {
        StringBuilder b = new StringBuilder("total " + h[0] + ":");
        for (int k = 1; k < h.length; k++) {
            if (h[k] > 0) {
                b.append(' ').append(k).append('=').append(h[k]);
            }
        }
        return b.toString();
    }
}
