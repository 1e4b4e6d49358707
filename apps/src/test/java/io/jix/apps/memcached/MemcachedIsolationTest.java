package io.jix.apps.memcached;

import static io.jix.apps.memcached.TextClient.line;
import static io.jix.apps.memcached.TextClient.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.jix.dataplane.Counter;
import io.jix.dataplane.Dataplane;
import io.jix.sys.Limits;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A well-behaved client's latency while bad clients do their worst at once: garbage lines at full
 * speed, oversized keys and values, lines that never end, half commands that stall, and a flood
 * of idle connections (as many as the open-file limit leaves room for, at most 15,000), all from
 * one python3 child at the lowest CPU priority. Its p99 over 2,000 sequential round trips is measured before and during the
 * abuse; during it must stay under {@link #P99_BOUND_MS} ms, generous because the two vCPUs here
 * are shared with the client, the abusers and other people's builds, and every reply must be
 * right. One elastic thread serves the good client and every abuser alike: what keeps the good
 * client's latency is the loop's fairness (one read per connection per pass, batches of at most
 * 64 events, a bounded amount of work per read), not a core of its own.
 */
class MemcachedIsolationTest {

    private static final int ROUND_TRIPS = 2_000;
    private static final long P99_BOUND_MS = 20;

    @Test
    void aWellBehavedClientStaysFastWhileBadClientsDoTheirWorst() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python) || "true".equals(System.getenv("CI")),
                "python3 is not installed");
        long limit = Limits.raiseOpenFileLimit();
        int idle = (int) Math.min(15_000, limit - 2_000);
        assertThat(idle).as("open-file limit %d leaves room for idle connections", limit).isGreaterThan(1_000);
        MemcachedServer.Config config = new MemcachedServer.Config(64, idle + 1_000, 1 << 20);
        Process bad = null;
        try (Dataplane dataplane = Dataplane.builder().threads(1).tcpPorts(0).name("memcached-isolation")
                .start(MemcachedServer.application(config));
             Socket client = TextClient.connect(dataplane.tcpPorts()[0])) {
            long[] before = roundTrips(client, "before");
            bad = abusers(python, dataplane.tcpPorts()[0], idle);
            long open = dataplane.counter(Counter.OPEN_CONNECTIONS);
            long[] during = roundTrips(client, "during");
            bad.getOutputStream().close();
            assertThat(bad.waitFor(30, TimeUnit.SECONDS)).as("the bad clients stopped").isTrue();
            long abused = Long.parseLong(new String(bad.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip());

            long p99During = percentile(during, 0.99);
            System.out.printf("memcached: %d round trips, p50/p99/max before %d/%d/%d us, during abuse (%d connections "
                            + "open, %d MB of abuse sent) %d/%d/%d us%n", ROUND_TRIPS,
                    percentile(before, 0.5) / 1000, percentile(before, 0.99) / 1000, before[before.length - 1] / 1000,
                    open, abused >> 20, percentile(during, 0.5) / 1000, p99During / 1000,
                    during[during.length - 1] / 1000);
            assertThat(open).as("the idle flood is connected").isGreaterThan(idle);
            assertThat(abused).as("the abusers were busy").isGreaterThan(1L << 20);
            assertThat(p99During).as("p99 during abuse, ns").isLessThan(TimeUnit.MILLISECONDS.toNanos(P99_BOUND_MS));
            assertThat(dataplane.counter(Counter.APP_EXCEPTIONS)).isZero();
        } finally {
            if (bad != null && bad.isAlive()) {
                bad.getOutputStream().close();
                if (!bad.waitFor(30, TimeUnit.SECONDS)) {
                    bad.destroyForcibly();
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

    /**
     * The bad clients, in one python3 process at the lowest CPU priority ({@code nice -n 19}),
     * standing in for other machines: on two shared vCPUs, busy abusers at the same priority
     * would measure how Linux shares the CPUs among threads rather than how the server shares
     * itself among connections. They run until told to stop (stdin closed) or for 25 s at most,
     * then print how many bytes they sent.
     */
    private static Process abusers(Path python, int port, int idle) throws IOException {
        String script = String.join("\n",
                "import random, resource, socket, sys, threading, time",
                "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)",
                "resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))",
                "port, idle = int(sys.argv[1]), int(sys.argv[2])",
                "deadline = time.monotonic() + 25",
                "done = threading.Event()",
                "sent = [0]",
                "def running():",
                "    return not done.is_set() and time.monotonic() < deadline",
                "def connect():",
                "    return socket.create_connection(('127.0.0.1', port), timeout=10)",
                // a flood of idle connections
                "held = []",
                "for i in range(idle):",
                "    held.append(connect())",
                "    if i % 500 == 499:",
                "        held[-1].sendall(b'version\\r\\n')",
                "        held[-1].recv(100)",
                // half commands that stall: a large value begun, a small one, a line cut short
                "for i in range(200):",
                "    s = connect()",
                "    held.append(s)",
                "    s.sendall([b'set stall:%d 0 0 1048576\\r\\n' % i + b'x' * 1000,",
                "               b'set small:%d 0 0 5000\\r\\n' % i + b'y' * 100, b'get stall:1 stall:2 sta'][i % 3])",
                // garbage lines (no command starts with 0xff) and oversized keys and values, at full speed
                "r = random.Random(66)",
                "garbage = bytearray()",
                "while len(garbage) < 65536:",
                "    garbage += b'\\xff' + r.randbytes(r.randint(1, 120)).replace(b'\\n', b' ') + b'\\r\\n'",
                "oversized = (b'set ' + b'k' * 300 + b' 0 0 1\\r\\nx\\r\\nget ' + b'k' * 300",
                "             + b'\\r\\nset big 0 0 2097152\\r\\n' + b'z' * 2097152 + b'\\r\\n')",
                "def blast(data):",
                "    s = connect()",
                "    def drain():",
                "        try:",
                "            while running() and s.recv(65536):",
                "                pass",
                "        except OSError:",
                "            pass",
                "    threading.Thread(target=drain, daemon=True).start()",
                "    try:",
                "        while running():",
                "            s.sendall(data)",
                "            sent[0] += len(data)",
                "    except OSError:",
                "        pass",
                // lines that never end: refused and closed, again and again
                "def endless():",
                "    while running():",
                "        try:",
                "            with connect() as s:",
                "                s.sendall(b'z' * 4000)",
                "                while s.recv(4096):",
                "                    pass",
                "                sent[0] += 4000",
                "        except OSError:",
                "            pass",
                "threads = [threading.Thread(target=blast, args=(bytes(garbage),)) for i in range(2)]",
                "threads.append(threading.Thread(target=blast, args=(oversized,)))",
                "threads.append(threading.Thread(target=endless))",
                "for t in threads:",
                "    t.start()",
                "time.sleep(0.5)",
                "print('ready', flush=True)",
                "sys.stdin.read()",
                "done.set()",
                "for t in threads:",
                "    t.join()",
                "print(sent[0], flush=True)",
                "");
        Process p = new ProcessBuilder("nice", "-n", "19", python.toString(), "-c", script, Integer.toString(port),
                Integer.toString(idle)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String ready = new String(p.getInputStream().readNBytes(6), StandardCharsets.US_ASCII);
        assertThat(ready).as("the bad clients are at work").isEqualTo("ready\n");
        return p;
    }

}
