package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.xdp.XdpConfig;
import io.jix.nic.xdp.XdpPort;
import io.jix.nic.xdp.XdpQueue;
import io.jix.stack.NetStack;
import io.jix.stack.NetStackConfig;
import io.jix.testkit.TestNetwork;
import io.jix.testnet.TestNet;
import java.lang.foreign.MemorySegment;
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
 * jix TCP against the Linux kernel over the test network (AF_XDP): a Linux client streams data to
 * a jix echo server that sends every received byte back zero-copy (the received frames are sent
 * by reference and returned with recvDone when the echo is acknowledged); the client checks the
 * SHA-256 of what came back. Root only; skipped with the reason otherwise, failed under CI=true.
 */
class TcpLinuxTest {

    private static final String OURS = "198.18.0.3";
    private static final int PORT = 8080;
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(90);

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

    /** Echoes by reference: what arrives is sent back from the received frame, returned once acknowledged. */
    static final class Echo implements TcpEvents {
        TcpLayer tcp;
        long accepted;
        long echoed;
        long closed;
        long resets;
        volatile String error;

        @Override
        public void accepted(long conn, int localPort, int remoteIp, int remotePort) {
            accepted++;
        }

        @Override
        public void connected(long conn, int status) {
        }

        @Override
        public void recv(long conn, MemorySegment region, long offset, int length) {
            int took = tcp.send(conn, region, offset, length);
            if (took != length) {
                error = "send took " + took + " of " + length;
                tcp.abort(conn);
            }
        }

        @Override
        public void eof(long conn) {
            tcp.close(conn);
        }

        @Override
        public void sent(long conn, int bytes) {
            echoed += bytes;
            tcp.recvDone(conn, bytes);
        }

        @Override
        public void dead(long conn, int reason) {
            if (reason == CLOSED) {
                closed++;
            } else if (reason == RESET) {
                resets++;
            } else {
                error = "dead " + reason;
            }
        }
    }

    /** Runs {@code script} (Python, in the peer namespace) against jix echo servers on every queue; returns its output. */
    private static String withEcho(List<Echo> echoes, String script) throws Exception {
        java.net.Inet4Address ours = (java.net.Inet4Address) InetAddress.getByName(OURS);
        AtomicBoolean stop = new AtomicBoolean();
        Throwable[] failure = new Throwable[1];
        try (XdpPort port = XdpPort.open(TestNet.LOCAL_IF, ours, XdpConfig.DEFAULT)) {
            Thread thread = Thread.ofPlatform().name("jix-tcp").start(() -> {
                try {
                    long start = System.nanoTime();
                    List<NetStack> stacks = new ArrayList<>();
                    List<TcpLayer> layers = new ArrayList<>();
                    for (XdpQueue q : port.queues()) {
                        NetStack s = new NetStack(q, NetStackConfig.builder(mac, OURS, TestNet.PREFIX).build(), start);
                        Echo e = new Echo();
                        e.tcp = new TcpLayer(s, TcpConfig.defaults().withTimeWait(1_000_000_000L), e);
                        e.tcp.listen(PORT, 256);
                        stacks.add(s);
                        layers.add(e.tcp);
                        synchronized (echoes) {
                            echoes.add(e);
                        }
                    }
                    long deadline = start + TimeUnit.SECONDS.toNanos(120);
                    while (!stop.get() && System.nanoTime() < deadline) {
                        int n = 0;
                        for (int i = 0; i < stacks.size(); i++) {
                            long now = System.nanoTime();
                            n += stacks.get(i).poll(now);
                            layers.get(i).poll(now);
                        }
                        if (n == 0) {
                            Thread.onSpinWait();
                        }
                    }
                } catch (Throwable t) {
                    failure[0] = t;
                }
            });
            try {
                return TestNet.execInPeer(PEER_TIMEOUT, "/usr/bin/python3", "-c", script).strip();
            } finally {
                Thread.sleep(300);
                stop.set(true);
                thread.join(10_000);
                assertThat(failure[0]).isNull();
                synchronized (echoes) {
                    for (Echo e : echoes) {
                        assertThat(e.error).isNull();
                    }
                }
            }
        }
    }

    @Test
    void linuxClientStreamsThroughJixEchoByteExact() throws Exception {
        int size = 1 << 30;
        List<Echo> echoes = new ArrayList<>();
        String script = String.join("\n",
                "import socket, hashlib, threading",
                "N = " + size,
                "block = bytes((i * 7 + 3) & 255 for i in range(65536))",
                "s = socket.create_connection(('" + OURS + "', " + PORT + "), timeout=20)",
                "sent = hashlib.sha256()",
                "def writer():",
                "    left = N",
                "    while left > 0:",
                "        b = block[:min(left, len(block))]",
                "        s.sendall(b)",
                "        sent.update(b)",
                "        left -= len(b)",
                "    s.shutdown(socket.SHUT_WR)",
                "t = threading.Thread(target=writer)",
                "t.start()",
                "got = hashlib.sha256()",
                "total = 0",
                "while True:",
                "    d = s.recv(1 << 20)",
                "    if not d:",
                "        break",
                "    got.update(d)",
                "    total += len(d)",
                "t.join()",
                "s.close()",
                "print(total, got.hexdigest() == sent.hexdigest())");
        String out = withEcho(echoes, script);
        assertThat(out).isEqualTo(size + " True");
        assertThat(echoes.stream().mapToLong(e -> e.echoed).sum()).isEqualTo(size);
        assertThat(echoes.stream().mapToLong(e -> e.closed).sum()).isEqualTo(1);
    }

    @Test
    void thousandShortConnectionsHalfCloseAndLinuxReset() throws Exception {
        List<Echo> echoes = new ArrayList<>();
        String script = String.join("\n",
                "import socket, struct, threading",
                "ok = 0",
                "lock = threading.Lock()",
                "def worker(k):",
                "    global ok",
                "    for i in range(k, 1000, 50):",
                "        s = socket.create_connection(('" + OURS + "', " + PORT + "), timeout=10)",
                "        m = b'jix %d ' % i * 20",
                "        s.sendall(m)",
                "        s.shutdown(socket.SHUT_WR)",
                "        got = b''",
                "        while True:",
                "            d = s.recv(65536)",
                "            if not d:",
                "                break",
                "            got += d",
                "        s.close()",
                "        with lock:",
                "            ok += got == m",
                "ts = [threading.Thread(target=worker, args=(k,)) for k in range(50)]",
                "[t.start() for t in ts]",
                "[t.join() for t in ts]",
                "r = socket.create_connection(('" + OURS + "', " + PORT + "), timeout=10)",
                "r.sendall(b'x' * 100)",
                "r.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))",
                "import time",
                "time.sleep(0.2)",
                "r.close()",
                "time.sleep(0.2)",
                "print(ok)");
        String out = withEcho(echoes, script);
        assertThat(out).isEqualTo("1000");
        assertThat(echoes.stream().mapToLong(e -> e.closed).sum()).isEqualTo(1000);
        assertThat(echoes.stream().mapToLong(e -> e.resets).sum()).isEqualTo(1);
        assertThat(echoes.stream().mapToInt(e -> e.tcp.connections()).sum()).as("connections left").isZero();
    }
}
