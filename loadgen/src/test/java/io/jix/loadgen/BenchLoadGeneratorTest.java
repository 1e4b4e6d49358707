package io.jix.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The generator against small blocking servers in this JVM on loopback: a faithful echo, one that
 * corrupts every 100th message, one that hangs up. (Against jix itself: {@code BenchEchoTest} in
 * the cli module.)
 */
class BenchLoadGeneratorTest {

    /** Echoes 64-byte messages on each accepted connection; {@code corruptEvery > 0} flips a byte in every n-th. */
    static ServerSocket server(int corruptEvery, int closeAfter) throws IOException {
        ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("test-echo-accept").start(() -> {
            while (!ss.isClosed()) {
                try {
                    Socket s = ss.accept();
                    s.setTcpNoDelay(true);
                    Thread.ofPlatform().daemon().name("test-echo").start(() -> serve(s, corruptEvery, closeAfter));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return ss;
    }

    private static void serve(Socket s, int corruptEvery, int closeAfter) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            byte[] message = new byte[64];
            for (long n = 1; ; n++) {
                if (in.readNBytes(message, 0, 64) < 64 || (closeAfter > 0 && n > closeAfter)) {
                    return;
                }
                if (corruptEvery > 0 && n % corruptEvery == 0) {
                    message[40] ^= 1;
                }
                out.write(message);
            }
        } catch (IOException ignored) {
            // the generator closed: done
        }
    }

    private static LoadGenerator.Config config(ServerSocket ss, int connections, int depth, double seconds) {
        return LoadGenerator.Config.closedLoop(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                ss.getLocalPort()), connections, Math.min(2, connections), depth, Duration.ofMillis(100),
                Duration.ofMillis((long) (seconds * 1000)), 1_000_000_000L);
    }

    @Test
    void aFaithfulEchoIsMeasuredWithoutErrors() throws Exception {
        try (ServerSocket ss = server(0, 0)) {
            LoadGenerator.Result r = LoadGenerator.run(config(ss, 4, 3, 0.5), new EchoWorkload(64));
            assertThat(r.requests()).isGreaterThan(100);
            assertThat(r.errors()).isZero();
            assertThat(r.lostConnections()).isZero();
            assertThat(r.latency().getTotalCount()).isEqualTo(r.requests());
            assertThat(r.seconds()).isBetween(0.45, 0.6);
            assertThat(Report.summary(r)).startsWith("echo: rps=").contains(" errors=0 lost=0 connections=4 threads=2"
                    + " depth=3");
        }
    }

    @Test
    void everyCorruptedReplyIsAnError() throws Exception {
        try (ServerSocket ss = server(100, 0)) {
            LoadGenerator.Result r = LoadGenerator.run(config(ss, 2, 2, 0.5), new EchoWorkload(64));
            assertThat(r.requests()).isGreaterThan(1000);
            assertThat(r.lostConnections()).isZero();
            // One in a hundred; the warm-up's errors count too, its replies do not.
            assertThat(r.errors()).isBetween(r.requests() / 100 - 5, (r.sent() + 99) / 100);
        }
    }

    @Test
    void aServerThatHangsUpCostsItsConnections() throws Exception {
        try (ServerSocket ss = server(0, 500)) {
            LoadGenerator.Result r = LoadGenerator.run(config(ss, 3, 1, 0.3), new EchoWorkload(64));
            assertThat(r.lostConnections()).isEqualTo(3);
            assertThat(r.sent()).isLessThanOrEqualTo(3 * 501);
        }
    }

    @Test
    void theCountBoundEndsTheRunEarly() throws Exception {
        try (ServerSocket ss = server(0, 0)) {
            LoadGenerator.Config c = new LoadGenerator.Config(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    ss.getLocalPort()), 2, 1, 2, Duration.ZERO, Duration.ofSeconds(20), 1000, 0, Duration.ofSeconds(5));
            long t0 = System.nanoTime();
            LoadGenerator.Result r = LoadGenerator.run(c, new EchoWorkload(64));
            assertThat(System.nanoTime() - t0).isLessThan(Duration.ofSeconds(10).toNanos());
            assertThat(r.stoppedByCount()).isTrue();
            assertThat(r.sent()).isEqualTo(1000);
            assertThat(r.requests()).isEqualTo(1000);
        }
    }

    @Test
    void aPacedRunKeepsItsRate() throws Exception {
        try (ServerSocket ss = server(0, 0)) {
            LoadGenerator.Config c = new LoadGenerator.Config(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    ss.getLocalPort()), 2, 1, 1, Duration.ZERO, Duration.ofMillis(500), 1_000_000, 2000,
                    Duration.ofSeconds(5));
            LoadGenerator.Result r = LoadGenerator.run(c, new EchoWorkload(64));
            assertThat(r.requests()).isBetween(900L, 1010L);
        }
    }

    @Test
    void onlyLoopbackAndTheBenchmarkingRangeMayBeLoaded() throws Exception {
        assertThat(Targets.allowed(InetAddress.ofLiteral("198.18.0.1"))).isTrue();
        assertThat(Targets.allowed(InetAddress.ofLiteral("198.19.255.254"))).isTrue();
        assertThat(Targets.allowed(InetAddress.ofLiteral("127.0.0.1"))).isTrue();
        assertThat(Targets.allowed(InetAddress.ofLiteral("::1"))).isTrue();
        assertThat(Targets.allowed(InetAddress.ofLiteral("198.20.0.1"))).isFalse();
        assertThat(Targets.allowed(InetAddress.ofLiteral("10.0.0.1"))).isFalse();
        assertThatThrownBy(() -> LoadGenerator.Config.closedLoop(new InetSocketAddress("192.0.2.1", 7), 1, 1, 1,
                Duration.ZERO, Duration.ofSeconds(1), 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("198.18.0.0/15");
    }

    @Test
    void echoRequestsCarryTheirSequenceAndRepliesAreCheckedByteForByte() {
        Workload.Session s = new EchoWorkload(16).session(3);
        ByteBuffer b = ByteBuffer.allocate(64);
        s.writeRequest(b, 41);
        s.writeRequest(b, 42);
        assertThat(b.position()).isEqualTo(32);
        assertThat(b.getLong(0)).isEqualTo(41);
        b.flip();
        assertThat(s.readReply(b, 41)).isEqualTo(Workload.OK);
        b.put(16 + 9, (byte) ~b.get(16 + 9));
        assertThat(s.readReply(b, 42)).isEqualTo(Workload.MISMATCH);
        assertThat(b.hasRemaining()).isFalse();
        b.position(20);
        assertThat(s.readReply(b, 43)).isEqualTo(Workload.NEED_MORE);
        assertThat(b.position()).isEqualTo(20);
    }
}
