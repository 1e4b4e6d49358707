package io.jix.nic.xdp;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.QueueCounter;
import io.jix.nic.tools.Responder;
import io.jix.sys.Bpf;
import io.jix.sys.Errno;
import io.jix.sys.Syscalls;
import io.jix.testkit.TestNetwork;
import io.jix.testnet.TestNet;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The AF_XDP driver on the test network, as root: jix owns 198.18.0.3 on jix0 (an address the
 * kernel does not have; the kernel keeps 198.18.0.1 on the same interface), and the peer
 * namespace's own kernel stack talks to both.
 */
class XdpNetworkTest {

    private static final String OURS = "198.18.0.3";
    private static final int UDP_PORT = 7007;
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(60);

    private static Inet4Address ours;
    private static byte[] mac;

    @BeforeAll
    static void up() throws Exception {
        Privileges.requireTestNet();
        ours = (Inet4Address) InetAddress.getByName(OURS);
        String text = Files.readString(Path.of("/sys/class/net", TestNet.LOCAL_IF, "address")).strip();
        mac = HexFormat.ofDelimiter(":").parseHex(text);
        assertThat(xdpOnInterface()).as("an XDP program is attached to jix0 before the test").isEmpty();
    }

    @AfterAll
    static void down() {
        TestNetwork.down();
    }

    /** The xdp part of {@code ip link show dev jix0}, or "" when none is attached. */
    private static String xdpOnInterface() throws Exception {
        Process p = new ProcessBuilder("ip", "-d", "link", "show", "dev", TestNet.LOCAL_IF).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(15, TimeUnit.SECONDS)).isTrue();
        StringBuilder b = new StringBuilder();
        for (String line : out.split("\n")) {
            if (line.contains("xdp") || line.contains("prog/xdp")) {
                b.append(line.strip()).append('\n');
            }
        }
        return b.toString();
    }

    /** Runs a responder on every queue of {@code port} on one thread until stopped (at most 120 s). */
    private static final class Driver implements AutoCloseable {
        final List<Responder> responders = new ArrayList<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread thread;
        volatile Throwable failure;

        Driver(XdpPort port) {
            for (XdpQueue q : port.queues()) {
                responders.add(new Responder(q, mac, ours.getAddress(), UDP_PORT));
            }
            thread = Thread.ofPlatform().name("xdp-responder").start(() -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                try {
                    while (!stop.get() && System.nanoTime() < deadline) {
                        int n = 0;
                        for (Responder r : responders) {
                            n += r.poll();
                        }
                        if (n == 0) {
                            Thread.onSpinWait();
                        }
                    }
                } catch (Throwable t) {
                    failure = t;
                }
            });
        }

        long sum(java.util.function.ToLongFunction<Responder> f) {
            return responders.stream().mapToLong(f).sum();
        }

        @Override
        public void close() {
            stop.set(true);
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            assertThat(thread.isAlive()).isFalse();
            assertThat(failure).isNull();
        }
    }

    @Test
    void pingAndArpAreAnsweredAndTheKernelKeepsItsAddress() throws Exception {
        TestNet.execInPeer(PEER_TIMEOUT, "ip", "neigh", "flush", "dev", TestNet.PEER_IF);
        try (XdpPort port = XdpPort.open(TestNet.LOCAL_IF, ours, XdpConfig.DEFAULT); Driver d = new Driver(port)) {
            System.out.println("XDP port: " + port);
            assertThat(port.queues()).hasSize(TestNet.QUEUES);
            assertThat(xdpOnInterface()).contains("prog/xdp id " + port.programId());

            String ping = TestNet.execInPeer(PEER_TIMEOUT, "ping", "-c", "3", "-i", "0.2", "-W", "2", OURS);
            assertThat(ping).contains("3 received");
            String neigh = TestNet.execInPeer(PEER_TIMEOUT, "ip", "neigh", "show", OURS, "dev", TestNet.PEER_IF);
            assertThat(neigh).contains(HexFormat.ofDelimiter(":").formatHex(mac));
            assertThat(d.sum(Responder::arpReplies)).isPositive();
            assertThat(d.sum(Responder::icmpReplies)).isEqualTo(3);

            // (c) The kernel's own address on the same interface still works: ICMP, ARP and TCP.
            String kernelPing = TestNet.execInPeer(PEER_TIMEOUT, "ping", "-c", "2", "-i", "0.2", "-W", "2",
                    TestNet.LOCAL_ADDRESS);
            assertThat(kernelPing).contains("2 received");
            try (ServerSocket server = new ServerSocket()) {
                server.bind(new InetSocketAddress(TestNet.LOCAL_ADDRESS, 0));
                Thread echo = Thread.ofPlatform().start(() -> {
                    try (Socket s = server.accept()) {
                        s.setSoTimeout(10_000);
                        InputStream in = s.getInputStream();
                        OutputStream out = s.getOutputStream();
                        byte[] b = new byte[64];
                        int n = in.read(b);
                        out.write(b, 0, Math.max(n, 0));
                    } catch (IOException e) {
                        // the assertion on the peer's output reports it
                    }
                });
                String reply = TestNet.execInPeer(PEER_TIMEOUT, "/usr/bin/python3", "-c",
                        "import socket;s=socket.create_connection(('" + TestNet.LOCAL_ADDRESS + "',"
                                + server.getLocalPort() + "),timeout=5);s.sendall(b'kernel-tcp');"
                                + "print(s.recv(64).decode())");
                echo.join(10_000);
                assertThat(reply.strip()).isEqualTo("kernel-tcp");
            }
            // Nothing for the kernel's address reached jix.
            assertThat(d.sum(r -> r.dropped(Responder.Drop.NOT_FOR_US))).isZero();
        }
        assertThat(xdpOnInterface()).isEmpty();
    }

    @Test
    void udpBurstIsReflectedByteExact() throws Exception {
        try (XdpPort port = XdpPort.open(TestNet.LOCAL_IF, ours, XdpConfig.DEFAULT); Driver d = new Driver(port)) {
            // 10,000 datagrams of 1..1400 bytes, at most 64 outstanding, every reply compared byte for byte.
            String script = String.join("\n",
                    "import socket, os, time",
                    "N = 10000; W = 64",
                    "P = [i.to_bytes(4, 'big') + os.urandom((i * 37) % 1397) for i in range(N)]",
                    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                    "s.bind(('" + TestNet.PEER_ADDRESS + "', 0)); s.settimeout(2.0)",
                    "dst = ('" + OURS + "', " + UDP_PORT + ")",
                    "sent = got = bad = 0; seen = set(); deadline = time.time() + 40",
                    "while got < N and time.time() < deadline:",
                    "    while sent < N and sent - got < W:",
                    "        s.sendto(P[sent], dst); sent += 1",
                    "    try:",
                    "        data, src = s.recvfrom(4096)",
                    "    except socket.timeout:",
                    "        break",
                    "    i = int.from_bytes(data[:4], 'big')",
                    "    if src != dst or i >= N or data != P[i] or i in seen:",
                    "        bad += 1",
                    "    seen.add(i); got += 1",
                    "print(sent, got, bad, len(seen))");
            String result = TestNet.execInPeer(PEER_TIMEOUT, "/usr/bin/python3", "-c", script).strip();
            port.queues().forEach(XdpQueue::refreshCounters);
            System.out.println("peer sent/got/bad/distinct: " + result + "; queues: "
                    + port.queues().stream().map(q -> q.queueId() + ": " + q.counters()).toList());
            assertThat(result).isEqualTo("10000 10000 0 10000");
            assertThat(d.sum(Responder::udpReflected)).isEqualTo(10000);
            for (XdpQueue q : port.queues()) {
                assertThat(q.counters().get(QueueCounter.DROP_MALFORMED)).isZero();
            }
        }
    }

    @Test
    void closeDetachesAndFreesProgramAndMap() throws Exception {
        int prog;
        int map;
        try (XdpPort port = XdpPort.open(TestNet.LOCAL_IF, ours, XdpConfig.DEFAULT)) {
            prog = port.programId();
            map = port.mapId();
            assertThat(xdpOnInterface()).contains("prog/xdp id " + prog);
        }
        assertThat(xdpOnInterface()).isEmpty();
        awaitGone(prog, map);
        assertQueuesReleased();
    }

    /**
     * The kernel has let go of every socket that was bound to jix0's queues: a UMEM stays
     * registered on its device queue while any socket or reference holds it, so binding new
     * sockets to every queue succeeds only once the old ones are really released. (This kernel has
     * no CONFIG_XDP_SOCKETS_DIAG, so {@code ss --xdp} cannot list them.)
     */
    private static void assertQueuesReleased() {
        try (XdpPort again = XdpPort.open(TestNet.LOCAL_IF, ours, XdpConfig.DEFAULT.withFrames(256, 128))) {
            assertThat(again.queues()).hasSize(TestNet.QUEUES);
        }
    }

    @Test
    void killedProcessLeavesNothingAttachedOrPinned() throws Exception {
        long hugeFreeBefore = settledHugePagesFree();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), XdpChild.class.getName(), "60")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8));
            String line = readLine(out, Duration.ofSeconds(30));
            assertThat(line).startsWith("READY ");
            String[] f = line.split(" ");
            int prog = Integer.parseInt(f[1]);
            int map = Integer.parseInt(f[2]);
            boolean huge = f[4].equals("huge=true");
            assertThat(xdpOnInterface()).contains("prog/xdp id " + prog);
            if (huge) {
                assertThat(meminfo("HugePages_Free")).isLessThan(hugeFreeBefore);
            }

            child.destroyForcibly(); // SIGKILL to this child's pid
            assertThat(child.waitFor(15, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).isEqualTo(137);

            await(() -> {
                try {
                    return xdpOnInterface().isEmpty();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "the XDP program still attached to jix0 after kill -9");
            awaitGone(prog, map);
            assertQueuesReleased();
            // With the UMEM in huge pages, their return proves the pinned memory was released; without
            // reserved huge pages (the default here) this is 0 == 0 and the two checks above carry it.
            // (>=: pages an earlier test of this JVM had just released may have come back meanwhile.)
            await(() -> meminfo("HugePages_Free") >= hugeFreeBefore, "huge pages still held after kill -9");
        } finally {
            if (child.isAlive()) {
                child.destroyForcibly();
                child.waitFor(15, TimeUnit.SECONDS);
            }
        }
    }

    /** Waits until neither the program nor the map can be found by id any more: freed by the kernel. */
    private static void awaitGone(int prog, int map) {
        await(() -> gone(Bpf.progFdById(prog)) && gone(Bpf.mapFdById(map)),
                "program " + prog + " or map " + map + " still exists");
    }

    private static boolean gone(int fdOrError) {
        if (fdOrError >= 0) {
            new Syscalls().close(fdOrError);
            return false;
        }
        assertThat(fdOrError).isEqualTo(-Errno.ENOENT);
        return true;
    }

    private static void await(BooleanSupplier condition, String failure) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(failure).isLessThan(deadline);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** HugePages_Free once it has stopped moving (earlier tests' sockets are released in deferred work). */
    private static long settledHugePagesFree() throws InterruptedException {
        long last = meminfo("HugePages_Free");
        int same = 0;
        for (int i = 0; i < 100 && same < 5; i++) {
            Thread.sleep(100);
            long now = meminfo("HugePages_Free");
            same = now == last ? same + 1 : 0;
            last = now;
        }
        return last;
    }

    private static long meminfo(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.substring(key.length() + 1).strip().split("\\s+")[0]);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return -1;
    }

    private static String readLine(BufferedReader in, Duration timeout) throws Exception {
        String[] line = new String[1];
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            try {
                line[0] = in.readLine();
            } catch (IOException e) {
                line[0] = "IOException " + e;
            }
        });
        t.join(timeout);
        return line[0];
    }
}
