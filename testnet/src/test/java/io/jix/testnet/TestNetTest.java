package io.jix.testnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Builds and tears down the real test network: needs root; skips (or, under CI=true, fails) without it. */
class TestNetTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** Why the network cannot be made here, or null. */
    private static String unavailable;

    @BeforeAll
    static void needsTheTestNetwork() {
        unavailable = TestNet.unavailableReason();
        if (unavailable != null) {
            if (TestNet.required()) {
                fail(unavailable + " (CI=true: tests that need root must run)");
            }
            System.err.println("TestNetTest skipped: " + unavailable);
            return;
        }
        TestNet.acquire(); // another checkout's network tests may hold it: wait rather than pull it down under them
    }

    @BeforeEach
    void startFromNothing() {
        Assumptions.assumeTrue(unavailable == null, () -> unavailable);
        TestNet.down();
        assertThat(TestNet.status().absent()).as("after down: %s", TestNet.status()).isTrue();
    }

    @AfterAll
    static void leaveNothingBehind() {
        if (unavailable == null) {
            try {
                TestNet.down();
            } finally {
                TestNet.release();
            }
        }
    }

    @Test
    void upTwiceIsIdempotent() {
        TestNet.up();
        TestNet.Status first = TestNet.status();
        TestNet.up();
        TestNet.Status second = TestNet.status();

        assertThat(first.complete()).as("%s", first).isTrue();
        assertThat(second.complete()).as("%s", second).isTrue();
        // The second up() changed nothing: the very same interfaces are still there.
        assertThat(second.local().orElseThrow().index()).isEqualTo(first.local().orElseThrow().index());
        assertThat(second.peer().orElseThrow().index()).isEqualTo(first.peer().orElseThrow().index());
    }

    @Test
    void statusDescribesBothEnds() {
        TestNet.up();
        TestNet.Status status = TestNet.status();

        assertThat(status.namespace()).isTrue();
        TestNet.Link local = status.local().orElseThrow();
        assertThat(local.name()).isEqualTo("jix0");
        assertThat(local.namespace()).isNull();
        assertThat(local.kind()).isEqualTo("veth");
        assertThat(local.adminUp()).isTrue();
        assertThat(local.rxQueues()).isEqualTo(2);
        assertThat(local.txQueues()).isEqualTo(2);
        assertThat(local.addresses()).containsExactly("198.18.0.1/24");
        assertThat(local.peerNamespace()).isEqualTo("jix-peer");

        TestNet.Link peer = status.peer().orElseThrow();
        assertThat(peer.name()).isEqualTo("jix1");
        assertThat(peer.namespace()).isEqualTo("jix-peer");
        assertThat(peer.kind()).isEqualTo("veth");
        assertThat(peer.adminUp()).isTrue();
        assertThat(peer.rxQueues()).isEqualTo(2);
        assertThat(peer.txQueues()).isEqualTo(2);
        assertThat(peer.addresses()).containsExactly("198.18.0.2/24");
        assertThat(status.peerTxChecksum()).contains(false);
        assertThat(status.rss()).contains(true);

        assertThat(status.toString())
                .startsWith("test network: up")
                .contains("namespace jix-peer: present", "198.18.0.1/24", "198.18.0.2/24",
                        "2 RX / 2 TX queues", "tx checksum offload: off",
                        "jix1 egress: RSS emulation (tc clsact + bpf jix_rss): TCP/UDP queue = fold4(sport ^ dport) & 1");
    }

    @Test
    void peerReachesTheLocalEnd() {
        TestNet.up();
        String out = TestNet.execInPeer(TIMEOUT, "ping", "-c", "1", "-W", "1", TestNet.LOCAL_ADDRESS);
        assertThat(out).contains("1 received");
    }

    @Test
    void downRemovesEverythingAndIsIdempotent() {
        TestNet.up();
        TestNet.down();
        TestNet.Status status = TestNet.status();
        assertThat(status.absent()).as("%s", status).isTrue();
        assertThat(status.toString()).startsWith("test network: down");
        assertThat(raw("netns", "list")).doesNotContain("jix-peer");
        assertThat(rawResult("link", "show", "dev", "jix0").ok()).isFalse();
        assertThat(rawResult("link", "show", "dev", "jix1").ok()).isFalse();

        TestNet.down();
        assertThat(TestNet.status().absent()).isTrue();
    }

    @Test
    void upRepairsANamespaceWithoutLinks() {
        raw("netns", "add", "jix-peer");
        assertPartialThenRepaired();
    }

    @Test
    void upRepairsAPairNeverMovedIntoTheNamespace() {
        raw("link", "add", "jix0", "numrxqueues", "2", "numtxqueues", "2",
                "type", "veth", "peer", "name", "jix1", "numrxqueues", "2", "numtxqueues", "2");
        assertPartialThenRepaired();
    }

    @Test
    void upRepairsAPairWithTooFewQueues() {
        raw("netns", "add", "jix-peer");
        raw("link", "add", "jix0", "type", "veth", "peer", "name", "jix1", "netns", "jix-peer");
        assertPartialThenRepaired();
    }

    @Test
    void upRepairsLostAddressesLinksDownAndChecksumOffload() {
        TestNet.up();
        raw("address", "flush", "dev", "jix0");
        raw("address", "add", "198.18.1.1/24", "dev", "jix0");
        raw("-n", "jix-peer", "link", "set", "dev", "jix1", "down");
        raw("-n", "jix-peer", "address", "flush", "dev", "jix1");
        TestNet.execInPeer(TIMEOUT, "ethtool", "-K", "jix1", "tx", "on");
        assertPartialThenRepaired();
        assertThat(TestNet.status().local().orElseThrow().addresses()).containsExactly("198.18.0.1/24");
    }

    @Test
    void upAttachesTheRssEmulationOnceAndRepairsIt() {
        TestNet.up();
        String first = tc("filter", "show", "dev", "jix1", "egress");
        assertThat(first).contains("name jix_rss", "direct-action");
        TestNet.up();
        // Idempotent: the very same program (same kernel id) is still the only filter.
        assertThat(tc("filter", "show", "dev", "jix1", "egress")).isEqualTo(first);

        tc("filter", "delete", "dev", "jix1", "egress");
        assertThat(TestNet.status().rss()).contains(false);
        assertPartialThenRepaired();

        tc("filter", "add", "dev", "jix1", "egress", "pref", "7", "u32", "match", "u32", "0", "0", "flowid", "1:1");
        assertThat(TestNet.status().rss()).as("a foreign filter beside ours").contains(false);
        assertPartialThenRepaired();
        assertThat(tc("filter", "show", "dev", "jix1", "egress")).doesNotContain("u32").contains("name jix_rss");
    }

    @Test
    void execInPeerReportsFailureWithStderr() {
        TestNet.up();
        assertThatThrownBy(() -> TestNet.execInPeer(TIMEOUT, "sh", "-c", "echo broken-on-purpose >&2; exit 3"))
                .isInstanceOf(TestNetException.class)
                .hasMessageContaining("exited with 3")
                .hasMessageContaining("broken-on-purpose");
    }

    @Test
    void execInPeerKillsWhatOutlivesItsTimeout() {
        TestNet.up();
        long started = System.nanoTime();
        assertThatThrownBy(() -> TestNet.execInPeer(Duration.ofMillis(300), "sleep", "30"))
                .isInstanceOf(TestNetException.class)
                .hasMessageContaining("timed out");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void runInPeerRunsInsideTheNamespace() throws IOException, InterruptedException {
        TestNet.up();
        Process process = TestNet.runInPeer("ip", "-o", "-4", "address", "show", "dev", "jix1");
        try {
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isZero();
            assertThat(out).contains("198.18.0.2/24");
        } finally {
            process.destroyForcibly();
        }
    }

    private static void assertPartialThenRepaired() {
        TestNet.Status before = TestNet.status();
        assertThat(before.complete()).as("%s", before).isFalse();
        assertThat(before.absent()).as("%s", before).isFalse();
        assertThat(before.toString()).startsWith("test network: partial");

        TestNet.up();
        TestNet.Status after = TestNet.status();
        assertThat(after.complete()).as("%s", after).isTrue();
        assertThat(TestNet.execInPeer(TIMEOUT, "ping", "-c", "1", "-W", "1", TestNet.LOCAL_ADDRESS))
                .contains("1 received");
    }

    private static String tc(String... args) {
        List<String> command = new java.util.ArrayList<>(List.of(Commands.find("tc").orElseThrow().toString()));
        command.addAll(List.of(args));
        return TestNet.execInPeer(TIMEOUT, command.toArray(String[]::new));
    }

    private static Commands.Result rawResult(String... args) {
        List<String> command = new java.util.ArrayList<>();
        command.add(Commands.find("ip").orElseThrow().toString());
        command.addAll(List.of(args));
        return Commands.run(TIMEOUT, command);
    }

    private static String raw(String... args) {
        return rawResult(args).orThrow();
    }
}
