package io.jix.apps;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.apps.echo.EchoServer;
import io.jix.dataplane.Counter;
import io.jix.dataplane.Dataplane;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The echo server on the kernel backend, against standard clients and a thousand at once. */
class EchoServerTest {

    private static Dataplane dataplane;
    private static int port;

    @BeforeAll
    static void start() {
        io.jix.sys.Limits.raiseOpenFileLimit();
        dataplane = Dataplane.builder().threads(2).tcpPorts(0).name("echo-test").start(EchoServer.application());
        port = dataplane.tcpPorts()[0];
        // UDP on the same number as TCP, as ./jix serve does, needs its own free port here.
    }

    @AfterAll
    static void stop() {
        dataplane.close();
    }

    @Test
    void plainJavaSocketGetsEveryByteBack() throws Exception {
        byte[] payload = new byte[256 * 1024];
        new Random(7).nextBytes(payload);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    out.write(payload);
                    out.flush();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            byte[] back = in.readNBytes(payload.length);
            writer.join(10_000);
            assertThat(back).isEqualTo(payload);
        }
    }

    @Test
    void withWorkEchoesEveryByteAndSpendsItsServiceTimePerMessage() throws Exception {
        try (Dataplane worker = Dataplane.builder().threads(1).tcpPorts(0).name("echo-work-test")
                .start(EchoServer.withWork(64, 2_000_000))) {
            byte[] message = new byte[64];
            new Random(11).nextBytes(message);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), worker.tcpPorts()[0])) {
                s.setSoTimeout(10_000);
                long start = System.nanoTime();
                for (int i = 0; i < 10; i++) { // one message at a time: 10 services of 2 ms in a row
                    s.getOutputStream().write(message);
                    assertThat(s.getInputStream().readNBytes(64)).isEqualTo(message);
                }
                // Half a message computes nothing yet; its second half completes it.
                s.getOutputStream().write(message, 0, 32);
                s.getOutputStream().write(message, 32, 32);
                assertThat(s.getInputStream().readNBytes(64)).isEqualTo(message);
                assertThat(System.nanoTime() - start).as("11 messages x 2 ms of work, ns").isGreaterThanOrEqualTo(22_000_000L);
            }
        }
    }

    @Test
    void netcatGetsItsLinesBack() throws Exception {
        Path nc = Path.of("/usr/bin/nc");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(nc) || "true".equals(System.getenv("CI")),
                "nc (netcat-openbsd) is not installed");
        String text = "line one\nline two\n" + "x".repeat(5000) + "\n";
        Process p = new ProcessBuilder("nc", "-q", "1", "127.0.0.1", Integer.toString(port)).start();
        try (OutputStream o = p.getOutputStream()) {
            o.write(text.getBytes(StandardCharsets.US_ASCII));
        }
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("nc finished").isTrue();
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo(text);
    }

    @Test
    void thousandConcurrentConnectionsEchoRandomPayloadsByteExact() throws Exception {
        long acceptedBefore = dataplane.counter(Counter.ACCEPTS);
        EchoClients.Result r = EchoClients.run(new InetSocketAddress(InetAddress.getLoopbackAddress(), port),
                1_000, 64 * 1024, 2026, Duration.ofSeconds(60));
        assertThat(r.firstProblem()).isNull();
        assertThat(r.completed()).isEqualTo(1_000);
        assertThat(dataplane.counter(Counter.ACCEPTS) - acceptedBefore).isEqualTo(1_000);
        assertThat(dataplane.counter(Counter.APP_EXCEPTIONS)).isZero();
        // Both elastic threads took a share: SO_REUSEPORT spreads connections as RSS would.
        assertThat(dataplane.counter(0, Counter.ACCEPTS)).isPositive();
        assertThat(dataplane.counter(1, Counter.ACCEPTS)).isPositive();
        // Every connection closed: the open-connection gauge returns to 0.
        awaitCounter(dataplane, Counter.OPEN_CONNECTIONS, 0);
    }

    @Test
    void udpDatagramsComeBack() throws Exception {
        try (Dataplane udp = Dataplane.builder().threads(1).udpPorts(0).name("echo-udp-test")
                .start(EchoServer.application());
             DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(5_000);
            InetSocketAddress server = new InetSocketAddress(InetAddress.getLoopbackAddress(), udp.udpPorts()[0]);
            for (int i = 0; i < 100; i++) {
                byte[] msg = ("datagram " + i).getBytes(StandardCharsets.US_ASCII);
                s.send(new DatagramPacket(msg, msg.length, server));
                DatagramPacket back = new DatagramPacket(new byte[100], 100);
                s.receive(back);
                assertThat(new String(back.getData(), 0, back.getLength(), StandardCharsets.US_ASCII))
                        .isEqualTo("datagram " + i);
            }
            // The counter is bumped after sendto returns, which can be after the reply arrived here.
            awaitCounter(udp, Counter.UDP_TX, 100);
            assertThat(udp.counter(Counter.UDP_RX)).isEqualTo(100);
        }
    }

    static void awaitCounter(Dataplane d, Counter c, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (d.counter(c) != expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(d.counter(c)).as(c.label()).isEqualTo(expected);
    }
}
