package io.jix.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.apps.echo.EchoServer;
import io.jix.dataplane.Counter;
import io.jix.dataplane.Dataplane;
import io.jix.dataplane.StatsFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The four views of a running dataplane's counters — {@code Dataplane.counter}, {@code ./jix stats},
 * {@code ./jix ctl stats} and the Prometheus endpoint — agree, after real echo traffic on the
 * kernel backend.
 */
@Timeout(120)
class ObservabilityTest {

    private static final int THREADS = 2;
    private static final int CONNECTIONS = 8;
    private static final int MESSAGES = 200;
    private static final int SIZE = 64;
    private static final int DATAGRAMS = 100;
    /**
     * Counters that keep growing while the dataplane is quiescent: every loop iteration counts
     * itself and its (idle) time. Read in sequence, each view may only show a value at least as
     * large as the view read before it.
     */
    private static final Set<Counter> TICKING = EnumSet.of(Counter.LOOPS, Counter.IDLE_NANOS);
    private static final Pattern SAMPLE = Pattern.compile("^(jix_\\w+)\\{([^}]*)} (\\S+)$", Pattern.MULTILINE);

    @Test
    void statsCtlAndMetricsAgreeWithTheCountersAfterLoad(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("observe.stats");
        try (Dataplane d = Dataplane.builder().threads(THREADS).pin(false).tcpPorts(0).udpPorts(0)
                .name("observe-test").statsPath(file).start(EchoServer.application());
             StatsFile reader = StatsFile.open(file);
             MetricsEndpoint metrics = MetricsEndpoint.start(InetAddress.getLoopbackAddress(), 0,
                     () -> List.of(reader.snapshot()))) {
            load(d.tcpPorts()[0], d.udpPorts()[0]);
            quiesce(d);

            long[][] before = direct(d);
            CliTest.Run stats = CliTest.run("stats", "--all", file.toString());
            CliTest.Run ctl = CliTest.run("ctl", file.toString(), "stats");
            String scrape = get(metrics.url());
            long[][] after = direct(d);

            assertThat(stats.status()).as(stats.err()).isZero();
            assertThat(ctl.status()).as(ctl.err()).isZero();
            Map<String, String[]> fromStats = dump(stats.out().substring(stats.out().indexOf("every counter:")));
            Map<String, String[]> fromCtl = dump(ctl.out());
            Map<String, String> fromMetrics = samples(scrape);

            // The load happened and was counted where it should be.
            assertThat(d.counter(Counter.ACCEPTS)).isEqualTo(CONNECTIONS);
            assertThat(d.counter(Counter.RX_BYTES)).as("TCP payload").isEqualTo((long) CONNECTIONS * MESSAGES * SIZE);
            assertThat(d.counter(Counter.UDP_RX)).isEqualTo(DATAGRAMS);
            assertThat(d.counter(Counter.OPEN_CONNECTIONS)).isZero();

            for (Counter c : Counter.values()) {
                String prom = "jix_" + c.metricName() + (c.gauge() ? "" : "_total");
                for (int t = 0; t < THREADS; t++) {
                    long a = before[t][c.ordinal()];
                    long s = Long.parseLong(fromStats.get(c.metricName())[t]);
                    long x = Long.parseLong(fromCtl.get(c.metricName())[t]);
                    long m = Long.parseLong(fromMetrics.get(prom + labels(t)));
                    long z = after[t][c.ordinal()];
                    if (TICKING.contains(c)) {
                        assertThat(List.of(a, s, x, m, z)).as("%s of thread %d, in the order read", c, t).isSorted();
                    } else {
                        assertThat(List.of(s, x, m, z)).as("%s of thread %d: stats, ctl, metrics, counter", c, t)
                                .containsOnly(a);
                    }
                }
                if (!TICKING.contains(c)) {
                    assertThat(Long.parseLong(fromStats.get(c.metricName())[THREADS])).as("total of %s", c)
                            .isEqualTo(d.counter(c));
                }
            }
            for (int t = 0; t < THREADS; t++) {
                long cumulative = 0;
                for (int size = 1; size < StatsFile.HISTOGRAM_BUCKETS; size++) {
                    String row = "batch_size_" + size + (size == 64 ? "+" : "");
                    long n = fromStats.containsKey(row) ? Long.parseLong(fromStats.get(row)[t]) : 0;
                    long n2 = fromCtl.containsKey(row) ? Long.parseLong(fromCtl.get(row)[t]) : 0;
                    assertThat(n2).as("batches of %d on thread %d", size, t).isEqualTo(n);
                    cumulative += n;
                    if (Integer.bitCount(size) == 1 && size <= 32 || size == 63) {
                        assertThat(Long.parseLong(fromMetrics.get("jix_batch_size_bucket" + labels(t, "le", size))))
                                .as("batches of at most %d on thread %d", size, t).isEqualTo(cumulative);
                    }
                }
                assertThat(Long.parseLong(fromMetrics.get("jix_batch_size_bucket" + labels(t, "le", "+Inf"))))
                        .isEqualTo(cumulative).isEqualTo(before[t][Counter.BATCHES.ordinal()]);
                assertThat(fromMetrics.get("jix_thread_running" + labels(t))).isEqualTo("1");
                assertThat(fromStats.get("state")[t]).isEqualTo("running");
                assertThat(fromMetrics.get("jix_group_owner" + labels(-1, "group", t))).isEqualTo(Integer.toString(t));
                assertThat(fromStats.get("groups")[t]).isEqualTo(Integer.toString(t));
            }

            // The summary table shows the same events and connections as the counters.
            String total = stats.out().lines().filter(l -> l.startsWith("total ")).findFirst().orElseThrow();
            assertThat(total.split("\\s+")[1]).isEqualTo(Long.toString(d.counter(Counter.EVENTS)));
            assertThat(stats.out()).contains("observe-test").contains("2 elastic thread(s), 2 running");
        }
    }

    @Test
    void watchShowsRatesOverEachInterval(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("watch.stats");
        try (Dataplane d = Dataplane.builder().threads(1).pin(false).tcpPorts(0).name("watch-test").statsPath(file)
                .start(EchoServer.application())) {
            CompletableFuture<CliTest.Run> watch = CompletableFuture.supplyAsync(() ->
                    CliTest.run("stats", "--watch", "--interval", "300", "--count", "3", file.toString()));
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), d.tcpPorts()[0])) {
                long end = System.nanoTime() + 30_000_000_000L;
                while (!watch.isDone() && System.nanoTime() < end) { // echoes for as long as it watches
                    s.getOutputStream().write(new byte[SIZE]);
                    s.getInputStream().readNBytes(SIZE);
                }
            }
            CliTest.Run r = watch.get(30, TimeUnit.SECONDS);
            assertThat(r.status()).as(r.err()).isZero();
            assertThat(r.out()).doesNotContain("\033[");
            List<String> rows = r.out().lines().filter(l -> l.startsWith("0 ")).toList();
            assertThat(rows).hasSize(3);
            assertThat(r.out().lines().filter(l -> l.startsWith("rates over the last "))).hasSize(3);
            // Requests flowed during at least one interval: events per second above zero there.
            assertThat(rows).anySatisfy(row -> assertThat(Double.parseDouble(row.split("\\s+")[6])).isPositive());
        }
    }

    @Test
    void topologyIsShownByStatsAndMetrics(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("topology.stats");
        try (StatsFile f = StatsFile.create(file, "topology-test", ProcessHandle.current().pid(), 3, 6)) {
            f.setThreadState(2, StatsFile.PARKED);
            f.setGroupOwner(2, 0);
            f.setGroupOwner(5, 1);
            f.setGroupOwner(4, StatsFile.IN_TRANSIT);
            CliTest.Run r = CliTest.run("stats", file.toString());
            assertThat(r.status()).as(r.err()).isZero();
            assertThat(r.out()).contains("3 elastic thread(s), 2 running  6 flow group(s)");
            assertThat(row(r.out(), "0 ")).contains(" running ").endsWith("  0,2,3");
            assertThat(row(r.out(), "1 ")).contains(" running ").endsWith("  1,5");
            assertThat(row(r.out(), "2 ")).contains(" parked ").endsWith("  -");
            assertThat(row(r.out(), "total ")).contains(" 2/3 ").endsWith("moving: 4");

            int port = freePort();
            CompletableFuture<CliTest.Run> serving = CompletableFuture.supplyAsync(() -> CliTest.run("stats",
                    "--serve-metrics", Integer.toString(port), "--interval", "100", "--count", "50", file.toString()));
            Map<String, String> m = samples(getWhenUp("http://127.0.0.1:" + port + "/metrics"));
            String labels = "{dataplane=\"topology-test\",pid=\"" + ProcessHandle.current().pid() + "\",";
            assertThat(m.get("jix_thread_running" + labels + "thread=\"2\"}")).isEqualTo("0");
            assertThat(m.get("jix_thread_running" + labels + "thread=\"1\"}")).isEqualTo("1");
            assertThat(m.get("jix_group_owner" + labels + "group=\"4\"}")).isEqualTo("-1");
            assertThat(m.get("jix_group_owner" + labels + "group=\"5\"}")).isEqualTo("1");
            assertThat(m.get("jix_group_owner" + labels + "group=\"3\"}")).isEqualTo("0");
            assertThat(serving.get(30, TimeUnit.SECONDS).status()).isZero();
        }
    }

    @Test
    void ctlReachesTheDataplaneFromAnotherProcess(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ctl.stats");
        try (Dataplane d = Dataplane.builder().threads(1).pin(false).tcpPorts(0).name("ctl-test").statsPath(file)
                .start(EchoServer.application())) {
            d.commands().register("threads", "how many elastic threads", args -> Integer.toString(d.threadCount()));
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    Main.class.getName(), "ctl", file.toString(), "ping");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            try {
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the child JVM finished").isTrue();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(p.exitValue()).as(out).isZero();
                assertThat(out.strip()).isEqualTo("pong");
            } finally {
                if (p.isAlive()) {
                    p.destroyForcibly();
                }
            }
            CliTest.Run threads = CliTest.run("ctl", file.toString(), "threads");
            assertThat(threads.out().strip()).isEqualTo("1");
            CliTest.Run unknown = CliTest.run("ctl", file.toString(), "no-such-command", "--flag");
            assertThat(unknown.status()).isEqualTo(1);
            assertThat(unknown.err().strip()).isEqualTo("jix: unknown command: no-such-command; try: help");
        }
        assertThat(Files.exists(dir.resolve("ctl.stats.sock"))).as("the socket goes with the dataplane").isFalse();
    }

    /** Echo traffic: {@value CONNECTIONS} connections × {@value MESSAGES} messages, then {@value DATAGRAMS} datagrams. */
    private static void load(int tcpPort, int udpPort) throws Exception {
        List<CompletableFuture<Void>> clients = new ArrayList<>();
        for (int c = 0; c < CONNECTIONS; c++) {
            clients.add(CompletableFuture.runAsync(() -> {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), tcpPort)) {
                    s.setSoTimeout(10_000);
                    OutputStream out = s.getOutputStream();
                    InputStream in = s.getInputStream();
                    byte[] msg = new byte[SIZE];
                    for (int i = 0; i < MESSAGES; i++) {
                        Arrays.fill(msg, (byte) i);
                        out.write(msg);
                        assertThat(in.readNBytes(SIZE)).isEqualTo(msg);
                    }
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        try (DatagramSocket u = new DatagramSocket()) {
            u.setSoTimeout(5_000);
            InetSocketAddress to = new InetSocketAddress(InetAddress.getLoopbackAddress(), udpPort);
            byte[] back = new byte[SIZE];
            for (int i = 0; i < DATAGRAMS; i++) {
                u.send(new DatagramPacket(new byte[SIZE], SIZE, to));
                u.receive(new DatagramPacket(back, SIZE));
            }
        }
    }

    /** Waits until every counter but the ticking ones holds still for 300 ms, and the connections are gone. */
    private static void quiesce(Dataplane d) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        long[][] last = null;
        while (System.nanoTime() < deadline) {
            long[][] now = direct(d);
            for (long[] t : now) {
                for (Counter c : TICKING) {
                    t[c.ordinal()] = 0;
                }
            }
            if (last != null && Arrays.deepEquals(last, now) && d.counter(Counter.OPEN_CONNECTIONS) == 0) {
                return;
            }
            last = now;
            Thread.sleep(300);
        }
        throw new AssertionError("the dataplane did not become quiescent");
    }

    private static long[][] direct(Dataplane d) {
        long[][] v = new long[d.threadCount()][Counter.values().length];
        for (int t = 0; t < v.length; t++) {
            for (Counter c : Counter.values()) {
                v[t][c.ordinal()] = d.counter(t, c);
            }
        }
        return v;
    }

    /** Rows of a {@code StatsText} dump: name → cells (threads, then the total). */
    static Map<String, String[]> dump(String text) {
        Map<String, String[]> rows = new HashMap<>();
        text.lines().dropWhile(l -> !l.startsWith("counter ")).takeWhile(l -> !l.isBlank()).forEach(l -> {
            String[] cells = l.strip().split("\\s+");
            rows.put(cells[0], Arrays.copyOfRange(cells, 1, cells.length));
        });
        assertThat(rows).containsKeys("counter", "loops", "state", "groups");
        return rows;
    }

    /** Prometheus samples: "name{labels}" → value. */
    private static Map<String, String> samples(String exposition) {
        Map<String, String> m = new HashMap<>();
        Matcher matcher = SAMPLE.matcher(exposition);
        while (matcher.find()) {
            m.put(matcher.group(1) + "{" + matcher.group(2) + "}", matcher.group(3));
        }
        assertThat(m).isNotEmpty();
        return m;
    }

    private static String labels(int thread) {
        return labels(thread, null, null);
    }

    /** The labels of this JVM's test dataplane: thread (unless negative), then {@code key}. */
    private static String labels(int thread, String key, Object value) {
        StringBuilder b = new StringBuilder("{dataplane=\"observe-test\",pid=\"" + ProcessHandle.current().pid() + "\"");
        if (thread >= 0) {
            b.append(",thread=\"").append(thread).append('"');
        }
        if (key != null) {
            b.append(',').append(key).append("=\"").append(value).append('"');
        }
        return b.append('}').toString();
    }

    private static String row(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow().stripTrailing();
    }

    private static String get(String url) throws IOException {
        HttpURLConnection http = (HttpURLConnection) URI.create(url).toURL().openConnection();
        http.setConnectTimeout(5_000);
        http.setReadTimeout(10_000);
        try {
            assertThat(http.getResponseCode()).isEqualTo(200);
            assertThat(http.getContentType()).isEqualTo(PrometheusText.CONTENT_TYPE);
            try (InputStream in = http.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } finally {
            http.disconnect();
        }
    }

    private static String getWhenUp(String url) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try {
                return get(url);
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw notYet;
                }
                Thread.sleep(50);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
