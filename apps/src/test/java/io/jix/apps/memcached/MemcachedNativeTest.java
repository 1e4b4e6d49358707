package io.jix.apps.memcached;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.dataplane.BackendKind;
import io.jix.dataplane.Counter;
import io.jix.dataplane.Dataplane;
import io.jix.nic.FlowSteering;
import io.jix.testkit.TestNetwork;
import io.jix.testnet.TestNet;
import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The memcached app on the native dataplane, over AF_XDP and AF_PACKET ({@code ./jix serve memcached
 * --backend xdp|packet --interface jix0 --address 198.18.0.1/24}), against clients in the peer namespace: the
 * real {@code memccapable}, 1 MiB values through the kernel's TCP, and (on xdp) spymemcached in a
 * child JVM. Root only; skipped with the reason otherwise, failed under CI=true.
 */
class MemcachedNativeTest {

    /**
     * AF_XDP takes jix0's frames from the kernel, so jix serves the interface's own address; AF_PACKET
     * only taps them, so it serves one the kernel does not have (which would otherwise reset the
     * connections itself).
     */
    private static String address(BackendKind backend) {
        return backend == BackendKind.PACKET ? "198.18.0.3" : TestNet.LOCAL_ADDRESS;
    }

    private Dataplane dataplane;

    @BeforeAll
    static void up() {
        TestNetwork.upOrSkip();
    }

    @AfterAll
    static void down() {
        TestNetwork.down();
    }

    private void serve(BackendKind backend) throws Exception {
        dataplane = Dataplane.builder().backend(backend).interfaceName(TestNet.LOCAL_IF)
                .address(InetAddress.getByName(address(backend))).prefix(TestNet.PREFIX).steering(FlowSteering.PORT_XOR)
                .tcpPorts(MemcachedServer.DEFAULT_PORT).name("native-memcached").start(MemcachedServer.application());
    }

    @AfterEach
    void stop() {
        if (dataplane != null) {
            dataplane.close();
            dataplane = null;
        }
    }

    @ParameterizedTest
    @EnumSource(value = BackendKind.class, names = {"XDP", "PACKET"})
    void memccapablePassesItsAsciiTests(BackendKind backend) throws Exception {
        serve(backend);
        String out = TestNet.execInPeer(Duration.ofSeconds(120), "/usr/bin/memccapable", "-h", address(backend), "-p",
                Integer.toString(MemcachedServer.DEFAULT_PORT), "-a", "-t", "5");
        assertThat(out).as(out).contains("All tests passed").doesNotContain("[FAIL]");
        assertThat(out.lines().filter(l -> l.startsWith("ascii ") && l.endsWith("[pass]")).count()).isEqualTo(27);
        assertThat(dataplane.counter(Counter.APP_EXCEPTIONS)).isZero();
    }

    @ParameterizedTest
    @EnumSource(value = BackendKind.class, names = {"XDP", "PACKET"})
    void megabyteValuesRoundTrip(BackendKind backend) throws Exception {
        serve(backend);
        String out = TestNet.execInPeer(Duration.ofSeconds(60), "/usr/bin/python3", "-c", String.join("\n",
                "import socket, random",
                "r = random.Random(6)",
                "s = socket.create_connection(('" + address(backend) + "', " + MemcachedServer.DEFAULT_PORT + "), timeout=20)",
                "f = s.makefile('rb')",
                "values = [r.randbytes(1 << 20) for i in range(4)]",
                "for i, v in enumerate(values):",
                "    s.sendall(b'set v%d 0 0 %d\\r\\n' % (i, len(v)) + v + b'\\r\\n')",
                "    assert f.readline() == b'STORED\\r\\n'",
                "s.sendall(b'get v0 v1 v2 v3\\r\\n')",
                "ok = 0",
                "for i, v in enumerate(values):",
                "    assert f.readline() == b'VALUE v%d 0 %d\\r\\n' % (i, len(v))",
                "    ok += f.read(len(v)) == v",
                "    assert f.read(2) == b'\\r\\n'",
                "assert f.readline() == b'END\\r\\n'",
                "print(ok)"));
        assertThat(out.strip()).isEqualTo("4");
    }

    /** {@link SpymemcachedWorkout}, the spymemcached test of the kernel backend, from a JVM in the peer namespace. */
    @Test
    void spymemcachedOverXdp() throws Exception {
        serve(BackendKind.XDP);
        String java = ProcessHandle.current().info().command().orElseThrow();
        String out = TestNet.execInPeer(Duration.ofSeconds(120), java, "-cp", System.getProperty("java.class.path"),
                SpymemcachedWorkout.class.getName(), address(BackendKind.XDP),
                Integer.toString(MemcachedServer.DEFAULT_PORT));
        assertThat(out).as(out).contains("spymemcached workout passed");
        assertThat(dataplane.counter(Counter.APP_EXCEPTIONS)).isZero();
    }
}
