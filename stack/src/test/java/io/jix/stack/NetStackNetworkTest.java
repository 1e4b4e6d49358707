package io.jix.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.xdp.XdpConfig;
import io.jix.nic.xdp.XdpPort;
import io.jix.nic.xdp.XdpQueue;
import io.jix.testkit.TestNetwork;
import io.jix.testnet.TestNet;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * jix's stack on the AF_XDP driver against the peer namespace's Linux kernel, as root: jix owns
 * 198.18.0.3 on jix0 (the kernel keeps 198.18.0.1), one {@link NetStack} per queue on one thread.
 */
class NetStackNetworkTest {

    private static final String OURS = "198.18.0.3";
    private static final int UDP_PORT = 7007;
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(60);

    private static byte[] mac;

    @BeforeAll
    static void up() throws Exception {
        TestNetwork.upOrSkip();
        mac = TestNet.localMac();
    }

    @AfterAll
    static void down() {
        TestNetwork.down();
    }

    /** Polls a stack per queue on one thread until closed (at most 120 s). */
    private static final class Driver implements AutoCloseable {
        final List<NetStack> stacks = new ArrayList<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final Thread thread;
        volatile Throwable failure;

        Driver(XdpPort port) {
            long start = System.nanoTime();
            for (XdpQueue q : port.queues()) {
                NetStack s = new NetStack(q, NetStackConfig.builder(mac, OURS, TestNet.PREFIX).build(), start);
                s.bindUdp(UDP_PORT, (st, f, off, len, src, sp, dp) -> st.sendUdp(f, off, len, dp, src, sp));
                stacks.add(s);
            }
            thread = Thread.ofPlatform().name("jix-stack").start(() -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                try {
                    while (!stop.get() && System.nanoTime() < deadline) {
                        int n = 0;
                        for (NetStack s : stacks) {
                            n += s.poll(System.nanoTime());
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

        long sum(StackCounter c) {
            return stacks.stream().mapToLong(s -> s.counters().get(c)).sum();
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
    void linuxPingsLearnsOurMacAndGetsUdpEchoes() throws Exception {
        TestNet.execInPeer(PEER_TIMEOUT, "ip", "neigh", "flush", "dev", TestNet.PEER_IF);
        Inet4Address ours = (Inet4Address) InetAddress.getByName(OURS);
        try (XdpPort port = XdpPort.open(TestNet.LOCAL_IF, ours, XdpConfig.DEFAULT); Driver d = new Driver(port)) {
            String ping;
            try {
                ping = TestNet.execInPeer(PEER_TIMEOUT, "ping", "-c", "3", "-i", "0.2", "-W", "2", OURS);
            } catch (RuntimeException e) {
                throw new AssertionError("ping failed; stacks: " + d.stacks.stream().map(s -> s.counters().toString())
                        .toList(), e);
            }
            assertThat(ping).contains("3 received");
            String neigh = TestNet.execInPeer(PEER_TIMEOUT, "ip", "neigh", "show", OURS, "dev", TestNet.PEER_IF);
            assertThat(neigh).contains(HexFormat.ofDelimiter(":").formatHex(mac));
            String script = String.join("\n",
                    "import socket",
                    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2.0)",
                    "ok = 0",
                    "for i in range(200):",
                    "    m = b'jix-%d-' % i + bytes(range(i % 200))",
                    "    s.sendto(m, ('" + OURS + "', " + UDP_PORT + "))",
                    "    try:",
                    "        data, src = s.recvfrom(4096)",
                    "    except socket.timeout:",
                    "        continue",
                    "    ok += data == m and src == ('" + OURS + "', " + UDP_PORT + ")",
                    "print(ok)");
            String echoed = TestNet.execInPeer(PEER_TIMEOUT, "/usr/bin/python3", "-c", script).strip();
            System.out.println("stack counters per queue: " + d.stacks.stream().map(s -> s.counters().toString())
                    .toList());
            assertThat(echoed).isEqualTo("200");
            assertThat(d.sum(StackCounter.ICMP_ECHO_REPLIES)).isEqualTo(3);
            assertThat(d.sum(StackCounter.ARP_REPLIES_SENT)).isPositive();
            assertThat(d.sum(StackCounter.UDP_SENT)).isEqualTo(200);
            assertThat(d.sum(StackCounter.UDP_BAD_CHECKSUM)).isZero();
            // A closed port answers with port unreachable: the kernel reports ECONNREFUSED.
            String refused = TestNet.execInPeer(PEER_TIMEOUT, "/usr/bin/python3", "-c", String.join("\n",
                    "import socket",
                    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2.0)",
                    "s.connect(('" + OURS + "', 7999)); s.send(b'x')",
                    "try:",
                    "    s.recv(10); print('data')",
                    "except ConnectionRefusedError:",
                    "    print('refused')",
                    "except socket.timeout:",
                    "    print('timeout')")).strip();
            assertThat(refused).isEqualTo("refused");
        }
    }
}
