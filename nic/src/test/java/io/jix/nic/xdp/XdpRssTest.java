package io.jix.nic.xdp;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.FlowSteering;
import io.jix.nic.Frame;
import io.jix.nic.FrameBurst;
import io.jix.testkit.TestNetwork;
import io.jix.testnet.TestNet;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The test network's RSS emulation, seen from jix's side of the veth: every TCP and UDP frame the
 * peer's kernel sends to jix arrives on the AF_XDP queue {@link FlowSteering#PORT_XOR} names for
 * its ports, and everything else (ICMP here) on queue 0. Without the emulation the kernel spreads
 * sockets over the queues by a random per-socket hash, and about half of the flows would land on
 * the other queue.
 */
class XdpRssTest {

    private static final String OURS = "198.18.0.3";
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(30);

    @BeforeAll
    static void up() {
        TestNetwork.upOrSkip();
    }

    @AfterAll
    static void down() {
        TestNetwork.down();
    }

    @Test
    void tcpAndUdpFramesArriveOnTheQueueOfTheirPortsAndTheRestOnQueueZero() throws Exception {
        Inet4Address ours = (Inet4Address) InetAddress.getByName(OURS);
        String mac = HexFormat.ofDelimiter(":").formatHex(TestNet.localMac());
        // No ARP responder here: the peer is told our MAC once, inside its namespace (gone with the link).
        TestNet.execInPeer(PEER_TIMEOUT, "ip", "neigh", "replace", OURS, "lladdr", mac, "dev", TestNet.PEER_IF,
                "nud", "permanent");
        int queues = TestNet.QUEUES;
        long[][] seen = new long[queues][4]; // per queue: matching TCP, matching UDP, ICMP, anything misplaced
        Set<String> flows = new HashSet<>();
        StringBuilder misplaced = new StringBuilder();
        AtomicBoolean stop = new AtomicBoolean();
        Throwable[] failure = new Throwable[1];
        try (XdpPort port = XdpPort.open(TestNet.LOCAL_IF, ours, XdpConfig.DEFAULT)) {
            assertThat(port.queues()).hasSize(queues);
            Thread poller = Thread.ofPlatform().name("rss-poll").start(() -> {
                try {
                    FrameBurst burst = new FrameBurst(64);
                    Frame f = new Frame();
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (!stop.get() && System.nanoTime() < deadline) {
                        for (XdpQueue q : port.queues()) {
                            burst.clear();
                            q.receive(burst, 64);
                            for (int i = 0; i < burst.count(); i++) {
                                f.wrap(q.pool(), burst.frame(i), burst.offset(i), burst.length(i));
                                classify(f, q.queueId(), queues, seen, flows, misplaced);
                                q.pool().release(burst.frame(i));
                            }
                        }
                    }
                } catch (Throwable t) {
                    failure[0] = t;
                }
            });
            try {
                String script = String.join("\n",
                        "import socket, time",
                        "u = []",
                        "for i in range(256):",
                        "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
                        "    s.bind(('" + TestNet.PEER_ADDRESS + "', 41000 + i))",
                        "    for k in range(3):",
                        "        s.sendto(b'rss %d' % i, ('" + OURS + "', 9000 + i % 7))",
                        "    u.append(s)",
                        "t = []",
                        "for i in range(128):",
                        "    s = socket.socket()",
                        "    s.setblocking(False)",
                        "    s.bind(('" + TestNet.PEER_ADDRESS + "', 42000 + i * 3))",
                        "    try:",
                        "        s.connect(('" + OURS + "', 7000 + i % 5))",
                        "    except BlockingIOError:",
                        "        pass",
                        "    t.append(s)",
                        "time.sleep(0.3)",
                        "[s.close() for s in u + t]",
                        "print('sent')");
                assertThat(TestNet.execInPeer(PEER_TIMEOUT, "/usr/bin/python3", "-c", script).strip()).isEqualTo("sent");
                TestNet.execInPeer(PEER_TIMEOUT, "ping", "-c", "4", "-i", "0.05", "-W", "0.2", OURS);
            } catch (io.jix.testnet.TestNetException e) {
                if (!e.getMessage().contains("ping")) {
                    throw e; // ping exits 1 when nobody answers, as here
                }
            } finally {
                Thread.sleep(200);
                stop.set(true);
                poller.join(10_000);
            }
        }
        assertThat(failure[0]).isNull();
        assertThat(misplaced.toString()).as("frames on the wrong queue").isEmpty();
        long tcp = 0;
        long udp = 0;
        for (int q = 0; q < queues; q++) {
            assertThat(seen[q][0] + seen[q][1]).as("TCP/UDP frames on queue %d", q).isPositive();
            tcp += seen[q][0];
            udp += seen[q][1];
        }
        assertThat(udp).as("UDP datagrams").isEqualTo(256 * 3);
        assertThat(tcp).as("SYNs (and retransmissions)").isGreaterThanOrEqualTo(128);
        assertThat(flows).as("distinct flows").hasSize(256 + 128);
        assertThat(seen[0][2]).as("ICMP echo requests on queue 0").isEqualTo(4);
        for (int q = 1; q < queues; q++) {
            assertThat(seen[q][2]).as("ICMP on queue %d", q).isZero();
        }
    }

    /** Counts one frame from the peer; anything TCP/UDP on another queue than PORT_XOR's, or ICMP off queue 0, is noted. */
    private static void classify(Frame f, int queue, int queues, long[][] seen, Set<String> flows, StringBuilder misplaced) {
        if (f.length() < 34 || f.u16(12) != 0x0800 || f.u8(14) != 0x45) {
            return;
        }
        int protocol = f.u8(23);
        int srcIp = f.u32(26);
        int dstIp = f.u32(30);
        if (protocol == 1) {
            seen[queue][2]++;
            if (queue != 0) {
                misplaced.append("ICMP on queue ").append(queue).append('\n');
            }
            return;
        }
        if ((protocol != 6 && protocol != 17) || f.length() < 38) {
            return;
        }
        int srcPort = f.u16(34);
        int dstPort = f.u16(36);
        int expected = FlowSteering.PORT_XOR.queueOf(srcIp, srcPort, dstIp, dstPort, queues);
        if (expected != queue) {
            misplaced.append(protocol == 6 ? "TCP " : "UDP ").append(srcPort).append(" -> ").append(dstPort)
                    .append(" on queue ").append(queue).append(", expected ").append(expected).append('\n');
            seen[queue][3]++;
            return;
        }
        seen[queue][protocol == 6 ? 0 : 1]++;
        flows.add(protocol + ":" + srcPort + ":" + dstPort);
    }
}
