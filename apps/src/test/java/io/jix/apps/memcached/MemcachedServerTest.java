package io.jix.apps.memcached;

import static io.jix.apps.memcached.TextClient.line;
import static io.jix.apps.memcached.TextClient.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.jix.dataplane.Counter;
import io.jix.dataplane.Dataplane;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The memcached server on the kernel backend: a real client's conformance tests, and bad input. */
class MemcachedServerTest {

    private static final int IDLE_CONNECTIONS = 10_000;

    private static Dataplane dataplane;
    private static MemcachedStore store;
    private static int port;

    @BeforeAll
    static void start() {
        io.jix.sys.Limits.raiseOpenFileLimit();
        MemcachedServer.Config config = new MemcachedServer.Config(64, IDLE_CONNECTIONS + 100, 1 << 20);
        store = new MemcachedStore(config.memoryMegabytes() << 20, config.itemLimit(), System::currentTimeMillis);
        dataplane = Dataplane.builder().threads(2).tcpPorts(0).name("memcached-test")
                .start(MemcachedServer.application(config, store, System::currentTimeMillis));
        port = dataplane.tcpPorts()[0];
    }

    @AfterAll
    static void stop() {
        dataplane.close();
    }

    @Test
    void memccapablePassesItsAsciiTests() throws Exception {
        Path tool = Path.of("/usr/bin/memccapable");
        Assumptions.assumeTrue(Files.isExecutable(tool) || "true".equals(System.getenv("CI")),
                "memccapable (libmemcached-tools) is not installed");
        Process p = new ProcessBuilder(tool.toString(), "-h", "127.0.0.1", "-p", Integer.toString(port), "-a", "-t", "5")
                .redirectErrorStream(true).start();
        boolean done = p.waitFor(120, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(done).as("memccapable finished: %s", output).isTrue();
        assertThat(output).as(output).contains("All tests passed").doesNotContain("[FAIL]");
        assertThat(p.exitValue()).as(output).isZero();
        // The ASCII suite, none skipped: 27 tests.
        assertThat(output.lines().filter(l -> l.startsWith("ascii ") && l.endsWith("[pass]")).count()).isEqualTo(27);
    }

    @Test
    void garbageAndOversizedInputGetMemcachedsErrorsAndTheConnectionGoesOn() throws Exception {
        try (Socket s = TextClient.connect(port)) {
            send(s, "garbage in\r\n");
            assertThat(line(s)).isEqualTo("ERROR\r\n");
            send(s, "\r\n");
            assertThat(line(s)).isEqualTo("ERROR\r\n");
            send(s, "GET a\r\n");
            assertThat(line(s)).isEqualTo("ERROR\r\n");
            String longKey = "k".repeat(251);
            send(s, "set " + longKey + " 0 0 1\r\n");
            assertThat(line(s)).isEqualTo("CLIENT_ERROR bad command line format\r\n");
            send(s, "get " + longKey + "\r\n");
            assertThat(line(s)).isEqualTo("CLIENT_ERROR bad command line format\r\n");
            String maxKey = "k".repeat(250);
            send(s, "set " + maxKey + " 7 0 2\r\nhi\r\nget " + maxKey + "\r\n");
            assertThat(line(s)).isEqualTo("STORED\r\n");
            assertThat(line(s)).isEqualTo("VALUE " + maxKey + " 7 2\r\n");
            assertThat(line(s)).isEqualTo("hi\r\n");
            assertThat(line(s)).isEqualTo("END\r\n");
            send(s, "set a 0 0 3\r\nabcde\r\n");
            assertThat(line(s)).isEqualTo("CLIENT_ERROR bad data chunk\r\n");
            // memcached takes exactly the announced bytes plus two: "\r\n" is left, an empty command.
            assertThat(line(s)).isEqualTo("ERROR\r\n");
            send(s, "set a 0 0 -1\r\nset a abc 0 1\r\nincr a x\r\ndelete a 5\r\ntouch a x\r\n");
            assertThat(line(s)).isEqualTo("CLIENT_ERROR bad command line format\r\n");
            assertThat(line(s)).isEqualTo("CLIENT_ERROR bad command line format\r\n");
            assertThat(line(s)).isEqualTo("CLIENT_ERROR invalid numeric delta argument\r\n");
            assertThat(line(s)).isEqualTo("CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n");
            assertThat(line(s)).isEqualTo("CLIENT_ERROR invalid exptime argument\r\n");
            send(s, "set t 0 0 2\r\nhi\r\nincr t 1\r\n");
            assertThat(line(s)).isEqualTo("STORED\r\n");
            assertThat(line(s)).isEqualTo("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");

            // A value over the limit: refused at once, its bytes discarded as they come, and the
            // connection serves the next command.
            int tooBig = (1 << 20) + 1;
            send(s, "set big 0 0 " + tooBig + "\r\n");
            assertThat(line(s)).isEqualTo("SERVER_ERROR object too large for cache\r\n");
            byte[] junk = new byte[tooBig + 2];
            Arrays.fill(junk, (byte) 'x');
            s.getOutputStream().write(junk);
            send(s, "version\r\n");
            assertThat(line(s)).startsWith("VERSION ");

            // A line with no end: refused and closed, not buffered forever.
            try (Socket binary = TextClient.connect(port)) {
                binary.getOutputStream().write(new byte[] {(byte) 0x80, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                        0, 0, 0, 0, 0, 0, 0, 0}); // a binary-protocol version request
                assertThat(line(binary)).isEqualTo("CLIENT_ERROR binary protocol not supported; use the text protocol\r\n");
                assertThat(line(binary)).isNull();
            }
            send(s, "z".repeat(5000));
            assertThat(line(s)).isEqualTo("CLIENT_ERROR line too long\r\n");
            assertThat(line(s)).isNull();
        }
        assertThat(dataplane.counter(Counter.APP_EXCEPTIONS)).isZero();
    }

    @Test
    void largestValuesRoundTripAndAMultiGetLargerThanTheOutputBufferArrivesWhole() throws Exception {
        int size = 1 << 20;
        int keys = 6; // 6 MiB of replies through a ring of about 1 MiB
        Random r = new Random(11);
        byte[][] values = new byte[keys][size];
        try (Socket s = TextClient.connect(port)) {
            StringBuilder get = new StringBuilder("get");
            for (int i = 0; i < keys; i++) {
                r.nextBytes(values[i]);
                send(s, "set big" + i + " " + i + " 0 " + size + "\r\n");
                s.getOutputStream().write(values[i]);
                send(s, "\r\n");
                assertThat(line(s)).isEqualTo("STORED\r\n");
                get.append(" big").append(i).append(" missing").append(i);
            }
            send(s, get + "\r\n");
            Thread.sleep(200); // let the server fill its ring and wait for room
            for (int i = 0; i < keys; i++) {
                assertThat(line(s)).isEqualTo("VALUE big" + i + " " + i + " " + size + "\r\n");
                byte[] back = s.getInputStream().readNBytes(size);
                assertThat(back).as("value %d", i).isEqualTo(values[i]);
                assertThat(line(s)).isEqualTo("\r\n");
            }
            assertThat(line(s)).isEqualTo("END\r\n");
            // The same through mg, one record per command.
            StringBuilder mg = new StringBuilder();
            for (int i = 0; i < keys; i++) {
                mg.append("mg big").append(i).append(" v f k\r\n");
            }
            send(s, mg.toString());
            Thread.sleep(200);
            for (int i = 0; i < keys; i++) {
                assertThat(line(s)).isEqualTo("VA " + size + " f" + i + " kbig" + i + "\r\n");
                assertThat(s.getInputStream().readNBytes(size)).as("mg value %d", i).isEqualTo(values[i]);
                assertThat(line(s)).isEqualTo("\r\n");
            }
            send(s, "delete big0\r\n");
            assertThat(line(s)).isEqualTo("DELETED\r\n");
        }
    }

    @Test
    void aClientThatSendsHalfACommandAndStallsHoldsUpNobodyElse() throws Exception {
        try (Socket staller = TextClient.connect(port); Socket other = TextClient.connect(port)) {
            send(staller, "set stall 0 0 100\r\n" + "x".repeat(40)); // value incomplete
            send(staller, "get sta"); // not even the line ends... inside the value: harmless
            for (int i = 0; i < 100; i++) {
                send(other, "set other" + i + " 0 0 1\r\n" + (i % 10) + "\r\nget other" + i + "\r\n");
                assertThat(line(other)).isEqualTo("STORED\r\n");
                assertThat(line(other)).isEqualTo("VALUE other" + i + " 0 1\r\n");
                assertThat(line(other)).isEqualTo((i % 10) + "\r\n");
                assertThat(line(other)).isEqualTo("END\r\n");
            }
            // The staller finishes its value (47 bytes were sent of 100) and is answered.
            send(staller, "y".repeat(53) + "\r\nget stall\r\n");
            assertThat(line(staller)).isEqualTo("STORED\r\n");
            assertThat(line(staller)).isEqualTo("VALUE stall 0 100\r\n");
            assertThat(line(staller)).isEqualTo("x".repeat(40) + "get sta" + "y".repeat(53) + "\r\n");
            assertThat(line(staller)).isEqualTo("END\r\n");
        }
    }

    /** Sends the pieces one by one, pausing between them so the server sees each on its own. */
    private static void trickle(Socket s, String... pieces) throws IOException, InterruptedException {
        for (String piece : pieces) {
            send(s, piece);
            Thread.sleep(30);
        }
    }

    @Test
    void largeValuesArrivingInPiecesAreStoredAsTheyCome() throws Exception {
        String big = "v".repeat(20_000) + "\r\n" + "w".repeat(20_000); // over SMALL_COMMAND: streamed
        String half = big.substring(0, 15_000);
        String rest = big.substring(15_000);
        try (Socket s = TextClient.connect(port)) {
            trickle(s, "set piece 3 0 " + big.length() + "\r\n" + half, rest + "\r", "\n");
            assertThat(line(s)).isEqualTo("STORED\r\n");
            send(s, "get piece\r\n");
            assertThat(line(s)).isEqualTo("VALUE piece 3 " + big.length() + "\r\n");
            assertThat(new String(s.getInputStream().readNBytes(big.length() + 2), StandardCharsets.ISO_8859_1))
                    .isEqualTo(big + "\r\n");
            assertThat(line(s)).isEqualTo("END\r\n");

            // ms keeps its line for the reply's return flags; append, cas and add decide when the value is in.
            trickle(s, "ms mpiece " + big.length() + " k O77 F9 T0\r\n" + half, rest + "\r\n");
            assertThat(line(s)).isEqualTo("HD kmpiece O77\r\n");
            trickle(s, "append mpiece 0 0 " + big.length() + "\r\n" + half, rest + "\r\n");
            assertThat(line(s)).isEqualTo("STORED\r\n");
            send(s, "mg mpiece s f\r\n");
            assertThat(line(s)).isEqualTo("HD s" + 2 * big.length() + " f9\r\n");
            trickle(s, "cas mpiece 0 0 " + big.length() + " 1\r\n" + half, rest + "\r\n");
            assertThat(line(s)).isEqualTo("EXISTS\r\n");
            trickle(s, "add mpiece 0 0 " + big.length() + " noreply\r\n" + half, rest + "\r\nmn\r\n");
            assertThat(line(s)).isEqualTo("MN\r\n");
            // A data block that does not end in CRLF: memcached's error, the old value stays.
            trickle(s, "set piece 0 0 " + big.length() + "\r\n" + half, rest + "xy");
            assertThat(line(s)).isEqualTo("CLIENT_ERROR bad data chunk\r\n");
            send(s, "mg piece s\r\n");
            assertThat(line(s)).isEqualTo("HD s" + big.length() + "\r\n");
            // A client that leaves in the middle of a value gives its reservation back.
            try (Socket leaver = TextClient.connect(port)) {
                trickle(leaver, "set gone 0 0 " + big.length() + "\r\n" + half);
                assertThat(store.inFlightBytes()).isPositive();
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (store.inFlightBytes() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(store.inFlightBytes()).isZero();
    }

    @Test
    void aMultiGetLineLongerThanTheStagingBufferIsServedInParts() throws Exception {
        int keys = 12_000; // about 100 KiB of keys
        StringBuilder line = new StringBuilder("gets");
        StringBuilder expected = new StringBuilder();
        try (Socket s = TextClient.connect(port)) {
            StringBuilder sets = new StringBuilder();
            for (int i = 0; i < keys; i++) {
                String key = "many:" + i;
                line.append(' ').append(key);
                if (i % 500 == 7) {
                    sets.append("set ").append(key).append(" 0 0 ").append(Integer.toString(i).length()).append(" noreply\r\n")
                            .append(i).append("\r\n");
                    expected.append("VALUE ").append(key).append(" 0 ").append(Integer.toString(i).length()).append(" CAS\r\n")
                            .append(i).append("\r\n");
                }
            }
            send(s, sets + "mn\r\n");
            assertThat(line(s)).isEqualTo("MN\r\n");
            expected.append("END\r\n");
            String request = line + "\r\n";
            for (int round = 0; round < 2; round++) {
                if (round == 0) {
                    send(s, request);
                } else { // in pieces that end mid-key
                    for (int at = 0; at < request.length(); at += 7_001) {
                        trickle(s, request.substring(at, Math.min(request.length(), at + 7_001)));
                    }
                }
                StringBuilder got = new StringBuilder();
                for (String l = line(s); !l.equals("END\r\n"); l = line(s)) {
                    got.append(l.replaceAll("^(VALUE \\S+ \\d+ \\d+) \\d+\r\n$", "$1 CAS\r\n"));
                }
                assertThat(got.append("END\r\n").toString()).isEqualTo(expected.toString());
            }
            // A key over 250 bytes inside a long line: memcached's error, the rest of the line dropped.
            send(s, "get " + "a ".repeat(10_000) + "k".repeat(300) + " b".repeat(10_000) + "\r\nmn\r\n");
            assertThat(line(s)).isEqualTo("CLIENT_ERROR bad command line format\r\n");
            assertThat(line(s)).isEqualTo("MN\r\n");
        }
    }

    /**
     * The idle clients live in another process (python3), so this JVM holds only the server's
     * ends: both ends of 10,000 connections would not fit one process's open-file limit here.
     */
    @Test
    void tenThousandIdleConnectionsLeaveTheServerAnswering() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(python) || "true".equals(System.getenv("CI")),
                "python3 is not installed");
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
                "        held[-1].recv(100)",  // the server has caught up with this batch
                "print('ready', flush=True)",
                "sys.stdin.read()",
                "");
        long before = dataplane.counter(Counter.OPEN_CONNECTIONS);
        Process clients = new ProcessBuilder(python.toString(), "-c", script, Integer.toString(IDLE_CONNECTIONS),
                Integer.toString(port)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            String ready = new String(clients.getInputStream().readNBytes(6), StandardCharsets.US_ASCII);
            assertThat(ready).as("the clients connected").isEqualTo("ready\n");
            awaitCounterAtLeast(Counter.OPEN_CONNECTIONS, before + IDLE_CONNECTIONS);
            long started = System.nanoTime();
            try (Socket s = TextClient.connect(port)) {
                send(s, "set busy 0 0 3\r\nyes\r\nget busy\r\nstats\r\n");
                assertThat(line(s)).isEqualTo("STORED\r\n");
                assertThat(line(s)).isEqualTo("VALUE busy 0 3\r\n");
                assertThat(line(s)).isEqualTo("yes\r\n");
                assertThat(line(s)).isEqualTo("END\r\n");
                ByteArrayOutputStream stats = new ByteArrayOutputStream();
                for (String l = line(s); l != null && !l.equals("END\r\n"); l = line(s)) {
                    stats.writeBytes(l.getBytes(StandardCharsets.US_ASCII));
                }
                String text = stats.toString(StandardCharsets.US_ASCII);
                long current = Long.parseLong(text.replaceAll("(?s).*STAT curr_connections (\\d+).*", "$1"));
                assertThat(current).isGreaterThanOrEqualTo(IDLE_CONNECTIONS + 1);
            }
            assertThat(System.nanoTime() - started).as("answered with 10,000 idle connections open")
                    .isLessThan(TimeUnit.SECONDS.toNanos(2));
        } finally {
            clients.getOutputStream().close();
            if (!clients.waitFor(30, TimeUnit.SECONDS)) {
                clients.destroyForcibly();
            }
        }
    }

    @Test
    void connectionsBeyondTheLimitAreToldAndClosed() throws Exception {
        MemcachedServer.Config config = new MemcachedServer.Config(8, 2, 1024);
        try (Dataplane small = Dataplane.builder().threads(1).tcpPorts(0).name("memcached-limit")
                .start(MemcachedServer.application(config));
             Socket a = new Socket(InetAddress.getLoopbackAddress(), small.tcpPorts()[0]);
             Socket b = new Socket(InetAddress.getLoopbackAddress(), small.tcpPorts()[0])) {
            a.setSoTimeout(10_000);
            send(a, "version\r\n");
            assertThat(line(a)).startsWith("VERSION");
            send(b, "version\r\n");
            b.setSoTimeout(10_000);
            assertThat(line(b)).startsWith("VERSION");
            try (Socket c = new Socket(InetAddress.getLoopbackAddress(), small.tcpPorts()[0])) {
                c.setSoTimeout(10_000);
                assertThat(line(c)).isEqualTo("ERROR Too many open connections\r\n");
                assertThat(line(c)).isNull();
            }
            // Too large for -I 1024, and the limit is per value.
            send(a, "set k 0 0 1025\r\n");
            assertThat(line(a)).isEqualTo("SERVER_ERROR object too large for cache\r\n");
        }
    }

    private static void awaitCounterAtLeast(Counter c, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (dataplane.counter(c) < expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(dataplane.counter(c)).as(c.label()).isGreaterThanOrEqualTo(expected);
    }
}
