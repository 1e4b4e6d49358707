package io.jix.nic.packet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.jix.nic.QueueCounter;
import io.jix.testkit.TestNetwork;
import io.jix.testnet.TestNet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The AF_PACKET driver on the test network, as root: jix owns 198.18.0.4 on jix0, an address the
 * kernel does not have (the kernel keeps 198.18.0.1 on the same interface and ignores the rest),
 * and the peer namespace's own Linux stack talks to it.
 */
class PacketNetworkTest {

    static final String OURS = "198.18.0.4";
    static final int UDP_PORT = 7777;
    private static final Duration PEER_DEADLINE = Duration.ofSeconds(60);

    /**
     * Sends {@code count} datagrams of varying size (18..1417 bytes, each starting with its sequence
     * number) round-robin over {@code flows} connected sockets (distinct source ports), at most 32
     * outstanding, and checks that each comes back byte-exact on the socket it left from. Bounded:
     * gives up after 3 s without progress or 60 s in all. Prints one line.
     */
    static final String UDP_CLIENT = """
            import selectors, socket, sys, time
            dst, port, count, flows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
            base = bytes(range(256)) * 8
            sel = selectors.DefaultSelector()
            socks = []
            for i in range(flows):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.connect((dst, port))
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ)
                socks.append(s)
            pending = {}
            nxt = done = bad = 0
            start = last = time.monotonic()
            while done < count:
                now = time.monotonic()
                if now - last > 3 or now - start > 60:
                    break
                while nxt < count and len(pending) < 32:
                    n = 18 + (nxt * 7919) % 1400
                    p = nxt.to_bytes(4, 'big') + base[nxt % 256:nxt % 256 + n - 4]
                    socks[nxt % flows].send(p)
                    pending[nxt] = (p, nxt % flows)
                    nxt += 1
                for key, _ in sel.select(timeout=0.2):
                    s = key.fileobj
                    while True:
                        try:
                            d = s.recv(4096)
                        except BlockingIOError:
                            break
                        seq = int.from_bytes(d[:4], 'big')
                        exp = pending.get(seq)
                        if exp is not None and exp[0] == d and socks[exp[1]] is s:
                            del pending[seq]
                            done += 1
                            last = time.monotonic()
                        else:
                            bad += 1
            print(f"sent={nxt} echoed={done} bad={bad} seconds={time.monotonic() - start:.2f}")
            """;

    private static String jixMac;

    @BeforeAll
    static void up() throws IOException {
        TestNetwork.upOrSkip();
        jixMac = java.util.HexFormat.ofDelimiter(":").formatHex(TestNet.localMac());
    }

    @AfterAll
    static void down() {
        TestNetwork.down();
    }

    /** Runs {@code command} in the peer while {@code responders} answer; returns its stdout. */
    static String runWhileAnswering(List<TestResponder> responders, PacketPort port, String... command)
            throws IOException, InterruptedException {
        Process p = TestNet.runInPeer(command);
        p.getOutputStream().close();
        long deadline = System.nanoTime() + PEER_DEADLINE.toNanos();
        try {
            while (p.isAlive() && System.nanoTime() < deadline) {
                int got = 0;
                for (TestResponder r : responders) {
                    got += r.poll();
                }
                if (got == 0) {
                    port.queue(0).awaitTraffic(1_000_000);
                }
            }
            // Drain anything answered late (the last replies) and collect the output.
            assertThat(p.waitFor(5, TimeUnit.SECONDS)).as("peer command finished: %s", List.of(command)).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as("exit of %s; stdout %s; stderr %s", command[0], out, err).isZero();
            return out;
        } finally {
            if (p.isAlive()) {
                p.destroy();
                if (!p.waitFor(2, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            }
        }
    }

    private static List<TestResponder> responders(PacketPort port) {
        List<TestResponder> list = new ArrayList<>();
        for (int q = 0; q < port.queueCount(); q++) {
            list.add(new TestResponder(port.queue(q), port.mac(), TestResponder.ipv4(OURS), UDP_PORT));
        }
        return list;
    }

    @Test
    void peerPingsJixAndLearnsItsMac() throws Exception {
        TestNet.execInPeer(Duration.ofSeconds(5), "ip", "neigh", "flush", "to", OURS);
        try (PacketPort port = PacketPort.open(TestNet.LOCAL_IF, 1)) {
            assertThat(HexFormat.ofDelimiter(":").formatHex(port.mac())).isEqualTo(jixMac);
            List<TestResponder> rs = responders(port);
            String out = runWhileAnswering(rs, port, "ping", "-c", "3", "-i", "0.2", "-W", "2", "-w", "10", OURS);
            assertThat(out).contains("3 packets transmitted, 3 received");
            assertThat(rs.getFirst().arpReplies).isPositive();
            assertThat(rs.getFirst().echoReplies).isEqualTo(3);
            String neigh = TestNet.execInPeer(Duration.ofSeconds(5), "ip", "neigh", "show", OURS);
            assertThat(neigh).contains(OURS).contains(jixMac);
        }
    }

    @Test
    void reflectsTenThousandDatagramsByteExact() throws Exception {
        try (PacketPort port = PacketPort.open(TestNet.LOCAL_IF, 1)) {
            List<TestResponder> rs = responders(port);
            String out = runWhileAnswering(rs, port, "/usr/bin/python3", "-c", UDP_CLIENT, OURS, "" + UDP_PORT, "10000", "4");
            PacketQueue q = port.queue(0);
            q.refreshCounters();
            System.out.println("AF_PACKET reflector: peer " + out.strip() + "; queue " + q.counters()
                    + ", kernel packets " + q.kernelPackets());
            assertThat(out.strip()).startsWith("sent=10000 echoed=10000 bad=0");
            assertThat(rs.getFirst().udpReflected).isEqualTo(10000);
            assertThat(rs.getFirst().ownFrames).as("frames this host sent came back in").isZero();
            assertThat(q.counters().get(QueueCounter.DROP_MALFORMED)).isZero();
            assertThat(q.counters().get(QueueCounter.KERNEL_RX_DROPPED)).isZero();
            assertThat(q.counters().get(QueueCounter.TX_FRAMES)).isGreaterThanOrEqualTo(10000);
            assertThat(q.counters().get(io.jix.nic.QueueCounter.RX_CHECKSUM_PARTIAL)).as("peer TX checksum offload is off").isZero();
            assertThat(q.pool().available()).isEqualTo(q.pool().capacity());
        }
    }

    @Test
    void fanoutSpreadsFlowsOverBothQueues() throws Exception {
        try (PacketPort port = PacketPort.open(TestNet.LOCAL_IF, 2)) {
            assertThat(port.queue(1).fanoutGroup()).isEqualTo(port.queue(0).fanoutGroup());
            List<TestResponder> rs = responders(port);
            String out = runWhileAnswering(rs, port, "/usr/bin/python3", "-c", UDP_CLIENT, OURS, "" + UDP_PORT, "1600", "16");
            System.out.println("AF_PACKET fanout: peer " + out.strip() + "; reflected by queue 0/1: "
                    + rs.get(0).udpReflected + "/" + rs.get(1).udpReflected);
            assertThat(out.strip()).startsWith("sent=1600 echoed=1600 bad=0");
            assertThat(rs.get(0).udpReflected + rs.get(1).udpReflected).isEqualTo(1600);
            assertThat(rs.get(0).udpReflected).as("queue 0's share").isPositive();
            assertThat(rs.get(1).udpReflected).as("queue 1's share").isPositive();
        }
    }

    @Test
    void kernelKeepsItsOwnAddressAndItsOutgoingFramesAreNotReceived() throws Exception {
        try (PacketPort port = PacketPort.open(TestNet.LOCAL_IF, 2)) {
            List<TestResponder> rs = responders(port);
            // The kernel still answers for 198.18.0.1 (the queues see that traffic too, and ignore it) ...
            String out = runWhileAnswering(rs, port, "ping", "-c", "3", "-i", "0.2", "-W", "2", "-w", "10",
                    TestNet.LOCAL_ADDRESS);
            assertThat(out).contains("3 packets transmitted, 3 received");
            // ... and what the kernel sends on jix0 (its echo replies above, its own pings here) never
            // comes back in: PACKET_IGNORE_OUTGOING, given to the fanout group as well.
            Process ping = new ProcessBuilder("ping", "-c", "3", "-i", "0.2", "-W", "2", "-w", "10", "-I",
                    TestNet.LOCAL_IF, TestNet.PEER_ADDRESS).redirectErrorStream(true).start();
            ping.getOutputStream().close();
            long deadline = System.nanoTime() + PEER_DEADLINE.toNanos();
            while (ping.isAlive() && System.nanoTime() < deadline) {
                if (rs.get(0).poll() + rs.get(1).poll() == 0) {
                    port.queue(0).awaitTraffic(1_000_000);
                }
            }
            assertThat(ping.waitFor(5, TimeUnit.SECONDS)).isTrue();
            String pingOut = new String(ping.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(ping.exitValue()).as(pingOut).isZero();
            long seen = 0;
            for (TestResponder r : rs) {
                assertThat(r.ownFrames).as("frames sent by this host received by a queue").isZero();
                seen += r.ignored;
            }
            assertThat(seen).as("the peer's echo requests and replies, seen and ignored").isGreaterThanOrEqualTo(6);
        }
    }

    @Test
    void closeReleasesTheSocketsAndTheRingMappings() throws Exception {
        PacketPort port = PacketPort.open(TestNet.LOCAL_IF, 2);
        List<Integer> fds = new ArrayList<>();
        List<String> sockets = new ArrayList<>();
        for (int q = 0; q < 2; q++) {
            int fd = port.queue(q).fd();
            fds.add(fd);
            sockets.add(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString());
        }
        assertThat(sockets).allMatch(s -> s.startsWith("socket:["));
        String maps = Files.readString(Path.of("/proc/self/maps"));
        for (String s : sockets) {
            assertThat(maps).as("ring mapping of %s", s).contains(s);
        }
        port.close();
        port.close(); // idempotent
        for (int i = 0; i < 2; i++) {
            Path link = Path.of("/proc/self/fd/" + fds.get(i));
            if (Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                assertThat(Files.readSymbolicLink(link).toString()).isNotEqualTo(sockets.get(i));
            }
        }
        maps = Files.readString(Path.of("/proc/self/maps"));
        for (String s : sockets) {
            assertThat(maps).as("ring mapping of %s after close", s).doesNotContain(s);
        }
    }
}
