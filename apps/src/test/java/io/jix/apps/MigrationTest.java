package io.jix.apps;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.apps.echo.EchoServer;
import io.jix.dataplane.BackendKind;
import io.jix.dataplane.Counter;
import io.jix.dataplane.Dataplane;
import io.jix.nic.FlowSteering;
import io.jix.testkit.TestNetwork;
import io.jix.testnet.TestNet;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Flow-group migration under load: 100 Linux connections stream sequence-numbered bytes through
 * the echo server while its two flow groups are moved back and forth between its two elastic
 * threads 1,000 times. Every byte must come back once and in order, no connection may fail or
 * stall for longer than {@link #STALL_BOUND_MS}, and on AF_XDP no frame may be dropped (by jix or
 * by the kernel's AF_XDP rings) and neither side may receive a segment out of order. (Linux's own
 * retransmission count is printed, not asserted: its tail-loss probes fire without any loss.)
 */
class MigrationTest {

    private static final int CONNECTIONS = 100;
    private static final int MOVES = Integer.getInteger("jix.test.moves", 1_000);
    /** Bytes each connection keeps in flight: all together well inside the receive rings, so a frame dropped would be the migration's. */
    private static final int WINDOW = 16 * 1024;
    /** The longest a connection with bytes in flight may go without an answer (the client is Python on a shared 2-vCPU box). */
    private static final long STALL_BOUND_MS = 2_000;

    private Dataplane dataplane;
    private Process client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.destroyForcibly();
        }
        if (dataplane != null) {
            dataplane.close();
        }
    }

    @Test
    void kernelBackendMovesGroupsWithoutLosingOrReorderingAByte() throws Exception {
        dataplane = Dataplane.builder().backend(BackendKind.KERNEL).threads(2).tcpPorts(0).name("migrate-kernel")
                .start(EchoServer.application());
        Path script = script();
        client = new ProcessBuilder("/usr/bin/python3", script.toString(), "127.0.0.1",
                String.valueOf(dataplane.tcpPorts()[0]), String.valueOf(CONNECTIONS), String.valueOf(WINDOW), "120")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Map<String, Long> result = streamWhileMoving();
        assertClean(result);
    }

    @Test
    void xdpBackendMovesGroupsWithoutDroppingOrReorderingAPacket() throws Exception {
        TestNetwork.upOrSkip();
        try {
            dataplane = Dataplane.builder().backend(BackendKind.XDP).interfaceName(TestNet.LOCAL_IF)
                    .address(InetAddress.getByName(TestNet.LOCAL_ADDRESS)).prefix(TestNet.PREFIX)
                    .steering(FlowSteering.PORT_XOR).tcpPorts(7007).name("migrate-xdp")
                    .start(EchoServer.application());
            assertThat(dataplane.groupCount()).isEqualTo(TestNet.QUEUES);
            Map<String, Long> before = peerTcpCounters();
            client = TestNet.runInPeer("/usr/bin/python3", script().toString(), TestNet.LOCAL_ADDRESS, "7007",
                    String.valueOf(CONNECTIONS), String.valueOf(WINDOW), "120");
            drain(client.getErrorStream(), System.err);
            Map<String, Long> result = streamWhileMoving();
            assertClean(result);
            Map<String, Long> after = peerTcpCounters();
            assertThat(dataplane.counter(Counter.NIC_DROPS)).as("frames dropped by jix's queues").isZero();
            assertThat(dataplane.counter(Counter.NIC_DROPS_KERNEL)).as("frames the kernel dropped (ring full)").isZero();
            System.out.printf("jix retransmits %d; Linux retransmits %d, out-of-order %d%n",
                    dataplane.counter(Counter.TCP_RETRANSMITS), after.get("TcpRetransSegs") - before.get("TcpRetransSegs"),
                    after.get("TcpExtTCPOFOQueue") - before.get("TcpExtTCPOFOQueue"));
            assertThat(dataplane.counter(Counter.TCP_OUT_OF_ORDER)).as("segments jix received out of order").isZero();
            assertThat(after.get("TcpExtTCPOFOQueue") - before.get("TcpExtTCPOFOQueue"))
                    .as("segments Linux received out of order").isZero();
        } finally {
            if (dataplane != null) {
                dataplane.close();
                dataplane = null;
            }
            TestNetwork.down();
        }
    }

    /** Runs the moves while the client streams; returns the client's verdict. */
    private Map<String, Long> streamWhileMoving() throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
        assertThat(readLine(out, 60)).isEqualTo("ready");
        long adoptedBefore = dataplane.counter(Counter.GROUPS_ADOPTED);
        long[] micros = new long[MOVES];
        int groups = dataplane.groupCount();
        for (int i = 0; i < MOVES; i++) {
            int g = i % groups;
            int to = 1 - dataplane.owner(g);
            long t0 = System.nanoTime();
            dataplane.move(g, to).get(10, TimeUnit.SECONDS);
            micros[i] = (System.nanoTime() - t0) / 1_000;
            assertThat(dataplane.owner(g)).isEqualTo(to);
            Thread.sleep(1); // let traffic flow between moves: each move lands mid-stream
        }
        if (MOVES == 0) {
            Thread.sleep(3_000); // a baseline run: the same streaming, no moves
        }
        OutputStream in = client.getOutputStream();
        in.write("stop\n".getBytes(StandardCharsets.US_ASCII));
        in.flush();
        String line = readLine(out, 60);
        assertThat(client.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Arrays.sort(micros);
        if (MOVES == 0) {
            System.out.println("baseline: " + line + " retransmits " + dataplane.counter(Counter.TCP_RETRANSMITS));
            return parse(line);
        }
        System.out.printf("migration: %d moves, completion p50 %d us, p99 %d us, max %d us; waits %d; client: %s%n",
                MOVES, micros[MOVES / 2], micros[MOVES * 99 / 100], micros[MOVES - 1],
                dataplane.counter(Counter.MIGRATION_WAITS), line);
        assertThat(dataplane.counter(Counter.GROUPS_ADOPTED) - adoptedBefore).isEqualTo(MOVES);
        return parse(line);
    }

    private static void assertClean(Map<String, Long> r) {
        assertThat(r.get("connections")).isEqualTo(CONNECTIONS);
        assertThat(r.get("failed")).as("connections that failed").isZero();
        assertThat(r.get("mismatches")).as("chunks that came back wrong (lost, duplicated or reordered bytes)").isZero();
        assertThat(r.get("unfinished")).as("connections still missing echoes").isZero();
        assertThat(r.get("min_bytes")).as("every connection streamed").isGreaterThan(WINDOW);
        assertThat(r.get("max_stall_ms")).as("longest wait for an answer, ms").isLessThan(STALL_BOUND_MS);
    }

    private static Map<String, Long> parse(String line) {
        assertThat(line).as("the client's verdict").isNotNull().startsWith("connections=");
        Map<String, Long> m = new HashMap<>();
        for (String kv : line.trim().split(" ")) {
            String[] p = kv.split("=");
            m.put(p[0], Long.parseLong(p[1]));
        }
        return m;
    }

    private static String readLine(BufferedReader r, int seconds) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return r.readLine();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).get(seconds, TimeUnit.SECONDS);
    }

    private static Path script() throws IOException {
        Path p = Files.createTempFile("jix-stream-client", ".py");
        p.toFile().deleteOnExit();
        try (InputStream s = MigrationTest.class.getResourceAsStream("stream_client.py")) {
            Files.write(p, s.readAllBytes());
        }
        return p;
    }

    private static void drain(InputStream s, java.io.PrintStream to) {
        Thread.ofPlatform().daemon().start(() -> {
            try {
                s.transferTo(to);
            } catch (IOException ignored) {
                // the client ended
            }
        });
    }

    /** Linux's TCP counters in the peer namespace (its own, per namespace). */
    private static Map<String, Long> peerTcpCounters() {
        String out = TestNet.execInPeer(Duration.ofSeconds(10), "nstat", "-az", "TcpRetransSegs", "TcpExtTCPOFOQueue");
        Map<String, Long> m = new HashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && (f[0].equals("TcpRetransSegs") || f[0].equals("TcpExtTCPOFOQueue"))) {
                m.put(f[0], Long.parseLong(f[1]));
            }
        }
        assertThat(m).containsKeys("TcpRetransSegs", "TcpExtTCPOFOQueue");
        return m;
    }
}
