package io.jix.apps.memcached;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.dataplane.Counter;
import io.jix.dataplane.Dataplane;
import io.jix.sys.Limits;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A well-behaved client's latency while bad clients do their worst at once: garbage lines at full
 * speed, oversized keys and values, lines that never end, half commands that stall, and a flood
 * of idle connections (held by a python3 child, as many as the open-file limit leaves room for,
 * at most 15,000). Its p99 over 2,000 sequential round trips is measured before and during the
 * abuse; during it must stay under {@link #P99_BOUND_MS} ms, generous because the two vCPUs here
 * are shared by the server's two elastic threads, the abusers and other people's builds, and every
 * reply must be right.
 */
class MemcachedIsolationTest {

    private static final int ROUND_TRIPS = 2_000;
    private static final long P99_BOUND_MS = 20;

    private final AtomicBoolean stop = new AtomicBoolean();
    /** The abusers stop by themselves at this time even if the test did not get to tell them. */
    private long abuseDeadline;
    private final AtomicLong abuseBytes = new AtomicLong();
    private final List<Thread> abusers = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();

    @Test
    void aWellBehavedClientStaysFastWhileBadClientsDoTheirWorst() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python) || "true".equals(System.getenv("CI")),
                "python3 is not installed");
        long limit = Limits.raiseOpenFileLimit();
        int idle = (int) Math.min(15_000, limit - 2_000);
        assertThat(idle).as("open-file limit %d leaves room for idle connections", limit).isGreaterThan(1_000);
        MemcachedServer.Config config = new MemcachedServer.Config(64, idle + 1_000, 1 << 20);
        Process flood = null;
        try (Dataplane dataplane = Dataplane.builder().threads(2).tcpPorts(0).name("memcached-isolation")
                .start(MemcachedServer.application(config));
             Socket client = connect(dataplane.tcpPorts()[0])) {
            int port = dataplane.tcpPorts()[0];
            long[] before = roundTrips(client, "before");

            flood = idleFlood(python, port, idle);
            startAbuse(port);
            long[] during = roundTrips(client, "during");
            long abused = abuseBytes.get();
            stop.set(true);

            long p99Before = percentile(before, 0.99);
            long p99During = percentile(during, 0.99);
            System.out.printf("memcached: %d round trips, p50/p99/max before %d/%d/%d us, during abuse (%d idle "
                            + "connections, %d MB of abuse sent) %d/%d/%d us%n", ROUND_TRIPS,
                    percentile(before, 0.5) / 1000, p99Before / 1000, before[before.length - 1] / 1000, idle,
                    abused >> 20, percentile(during, 0.5) / 1000, p99During / 1000, during[during.length - 1] / 1000);
            assertThat(abused).as("the abusers were busy during the measurement").isGreaterThan(1L << 20);
            assertThat(dataplane.counter(Counter.OPEN_CONNECTIONS)).as("the idle flood was connected")
                    .isGreaterThan(idle);
            assertThat(p99During).as("p99 during abuse, ns").isLessThan(TimeUnit.MILLISECONDS.toNanos(P99_BOUND_MS));
            assertThat(dataplane.counter(Counter.APP_EXCEPTIONS)).isZero();
        } finally {
            stop.set(true);
            for (Socket s : sockets) {
                s.close();
            }
            for (Thread t : abusers) {
                t.join(10_000);
            }
            if (flood != null) {
                flood.getOutputStream().close();
                if (!flood.waitFor(30, TimeUnit.SECONDS)) {
                    flood.destroyForcibly();
                }
            }
        }
    }

    /** ROUND_TRIPS sequential requests, set and get in turn, each checked; their latencies in ns, sorted. */
    private static long[] roundTrips(Socket s, String tag) throws IOException {
        long[] latency = new long[ROUND_TRIPS];
        for (int i = 0; i < ROUND_TRIPS; i++) {
            String key = "good:" + tag + ":" + (i / 2);
            String value = "value-" + tag + "-" + i / 2;
            long start = System.nanoTime();
            if (i % 2 == 0) {
                send(s, "set " + key + " 5 0 " + value.length() + "\r\n" + value + "\r\n");
                assertThat(line(s)).isEqualTo("STORED\r\n");
            } else {
                send(s, "get " + key + "\r\n");
                assertThat(line(s)).isEqualTo("VALUE " + key + " 5 " + value.length() + "\r\n");
                assertThat(line(s)).isEqualTo(value + "\r\n");
                assertThat(line(s)).isEqualTo("END\r\n");
            }
            latency[i] = System.nanoTime() - start;
        }
        Arrays.sort(latency);
        return latency;
    }

    private static long percentile(long[] sorted, double p) {
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
    }

    /** Idle connections from another process (this one's file limit holds the server's ends). */
    private static Process idleFlood(Path python, int port, int n) throws IOException {
        String script = String.join("\n",
                "import resource, socket, sys",
                "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)",
                "resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))",
                "n, port = int(sys.argv[1]), int(sys.argv[2])",
                "held = []",
                "for i in range(n):",
                "    held.append(socket.create_connection(('127.0.0.1', port), timeout=30))",
                "    if i % 500 == 499:",
                "        held[-1].sendall(b'version\\r\\n')",
                "        held[-1].recv(100)",
                "print('ready', flush=True)",
                "sys.stdin.read()",
                "");
        Process p = new ProcessBuilder(python.toString(), "-c", script, Integer.toString(n), Integer.toString(port))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String ready = new String(p.getInputStream().readNBytes(6), StandardCharsets.US_ASCII);
        assertThat(ready).as("the idle connections are open").isEqualTo("ready\n");
        return p;
    }

    private boolean abusing() {
        return !stop.get() && System.nanoTime() < abuseDeadline;
    }

    private void startAbuse(int port) throws Exception {
        abuseDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
        Random random = new Random(66);
        // Garbage lines, as fast as they can be written, two connections; replies drained.
        byte[] garbage = new byte[64 * 1024];
        int at = 0;
        while (at < garbage.length - 200) {
            int length = 1 + random.nextInt(120);
            garbage[at++] = (byte) 0xff; // no command starts so: every line is an error
            for (int i = 0; i < length; i++) {
                int b = random.nextInt(256);
                garbage[at++] = (byte) (b == '\n' ? ' ' : b);
            }
            garbage[at++] = '\r';
            garbage[at++] = '\n';
        }
        byte[] lines = Arrays.copyOf(garbage, at);
        for (int i = 0; i < 2; i++) {
            blast(port, lines);
        }
        // Oversized keys and values, over and over on one connection.
        String longKey = "k".repeat(300);
        byte[] oversized = ("set " + longKey + " 0 0 1\r\nx\r\nget " + longKey + "\r\nset big 0 0 " + (2 << 20) + "\r\n"
                + "z".repeat(2 << 20) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        blast(port, oversized);
        // Lines that never end: refused and closed, again and again.
        byte[] endless = "zzzz".repeat(1_000).getBytes(StandardCharsets.US_ASCII);
        abuse("endless-lines", () -> {
            while (abusing()) {
                try (Socket s = connect(port)) {
                    s.getOutputStream().write(endless);
                    s.getInputStream().readAllBytes(); // the error, then the close
                    abuseBytes.addAndGet(endless.length);
                }
            }
        });
        // Half commands that stall: large values begun, small ones, and lines cut short.
        for (int i = 0; i < 200; i++) {
            Socket s = connect(port);
            sockets.add(s);
            String half = switch (i % 3) {
                case 0 -> "set stall:" + i + " 0 0 1048576\r\n" + "x".repeat(1000);
                case 1 -> "set small:" + i + " 0 0 5000\r\n" + "y".repeat(100);
                default -> "get stall:1 stall:2 sta";
            };
            send(s, half);
        }
    }

    /** Writes {@code bytes} over and over on one connection, a second thread reading what comes back. */
    private void blast(int port, byte[] bytes) throws IOException {
        Socket s = connect(port);
        sockets.add(s);
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        abuse("blast-writer", () -> {
            while (abusing()) {
                out.write(bytes);
                abuseBytes.addAndGet(bytes.length);
            }
        });
        abuse("blast-reader", () -> {
            byte[] sink = new byte[64 * 1024];
            while (abusing() && in.read(sink) >= 0) {
                // replies are thrown away
            }
        });
    }

    private interface Abuse {
        void run() throws IOException;
    }

    private void abuse(String name, Abuse body) {
        Thread t = Thread.ofPlatform().daemon().name(name).start(() -> {
            try {
                body.run();
            } catch (IOException e) {
                // closed at the end of the test, or by the server: the abuse is over
            }
        });
        abusers.add(t);
    }

    private static Socket connect(int port) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(10_000);
        s.setTcpNoDelay(true);
        return s;
    }

    private static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    private static String line(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 4096; i++) {
            int c = in.read();
            if (c < 0) {
                return b.length() == 0 ? null : b.toString();
            }
            b.append((char) c);
            if (c == '\n') {
                return b.toString();
            }
        }
        throw new AssertionError("no end of line in " + b);
    }
}
