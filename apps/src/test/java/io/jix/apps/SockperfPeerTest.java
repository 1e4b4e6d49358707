package io.jix.apps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.jix.apps.sockperf.SockperfServer;
import io.jix.dataplane.Counter;
import io.jix.dataplane.Dataplane;
import io.jix.testkit.TestNetwork;
import io.jix.testnet.TestNet;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real sockperf client, in the peer namespace of the test network, against
 * {@code serve sockperf} on the kernel backend: ping-pong and under-load, TCP and UDP.
 * Needs root (the test network); skipped with a reason otherwise, except under CI=true.
 */
class SockperfPeerTest {

    private static final Pattern RECEIVED = Pattern.compile("SentMessages=(\\d+); ReceivedMessages=(\\d+)");
    private static Dataplane dataplane;

    @BeforeAll
    static void upAndServe() throws Exception {
        TestNetwork.skipUnless(Files.isExecutable(Path.of("/usr/bin/sockperf")) ? null
                : "sockperf is not installed (apt-get install sockperf)");
        TestNetwork.upOrSkip();
        dataplane = Dataplane.builder().threads(2).address(InetAddress.getByName(TestNet.LOCAL_ADDRESS))
                .tcpPorts(0).udpPorts(0).name("sockperf-peer-test").start(SockperfServer.application());
    }

    @AfterAll
    static void stopAndDown() {
        if (dataplane != null) {
            dataplane.close();
            TestNetwork.down();
        }
    }

    @Test
    void tcpPingPong() {
        long pongs = sockperf("ping-pong", "--tcp", dataplane.tcpPorts()[0]);
        assertThat(pongs).isPositive();
    }

    @Test
    void udpPingPong() {
        long pongs = sockperf("ping-pong", null, dataplane.udpPorts()[0]);
        assertThat(pongs).isPositive();
        assertThat(dataplane.counter(Counter.UDP_TX)).isGreaterThanOrEqualTo(pongs);
    }

    @Test
    void tcpUnderLoad() {
        assertThat(sockperf("under-load", "--tcp", dataplane.tcpPorts()[0])).isPositive();
    }

    @Test
    void udpUnderLoad() {
        assertThat(sockperf("under-load", null, dataplane.udpPorts()[0])).isPositive();
    }

    /** Runs one bounded sockperf client; checks its summary; returns the replies it received. */
    private static long sockperf(String mode, String transport, int port) {
        var command = new java.util.ArrayList<>(java.util.List.of("timeout", "20", "sockperf", mode,
                "-i", TestNet.LOCAL_ADDRESS, "-p", Integer.toString(port), "-t", "1"));
        if (transport != null) {
            command.add(transport);
        }
        if (mode.equals("under-load")) {
            command.addAll(java.util.List.of("--mps", "5000"));
        }
        String out = TestNet.execInPeer(Duration.ofSeconds(30), command.toArray(String[]::new));
        Matcher m = RECEIVED.matcher(out);
        assertThat(m.find()).as("sockperf summary in:%n%s", out).isTrue();
        assertThat(out).contains("# dropped messages = 0").contains("percentile 99.000");
        assertThat(out).doesNotContain("ERROR");
        return Long.parseLong(m.group(2));
    }
}
