package io.jix.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jix.testnet.TestNet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ./jix nic bench} end to end over the test network, as root: the generator runs in the peer
 * namespace as a child JVM for one second, the driver under test counts, the table comes out.
 * Skips with one line when the test network cannot be made here, except under {@code CI=true}.
 */
class NicCommandTest {

    private static final Pattern SUMMARY = Pattern.compile("(?m)^rx_pps=(\\d+) tx_pps=(\\d+) drops=(\\d+)\\s*\\z");
    private static final Pattern ALL = Pattern.compile("(?m)^all\\s+(\\d+)\\s+(\\d+)\\s");

    @BeforeAll
    static void needsTheTestNetwork() {
        String why = TestNet.unavailableReason();
        if (why != null && !TestNet.required()) {
            System.out.println("NicCommandTest skipped: " + why);
        }
        assumeTrue(why == null || TestNet.required(), why);
        TestNet.acquire(); // nic bench attaches to jix0: not while another test run has sockets on it
    }

    @AfterAll
    static void letOthersHaveTheNetwork() {
        if (TestNet.unavailableReason() == null) {
            TestNet.release();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"xdp", "packet"})
    void benchOffersReceivesAndPrintsTheTable(String backend) {
        CliTest.Run r = CliTest.run("nic", "bench", "--backend", backend, "--seconds", "1");
        if (r.status() != 0) {
            // The bench brings the network up itself; a first run right after another test took it down may race it.
            System.out.println("nic bench --backend " + backend + " failed once, retrying: " + r.err().strip());
            r = CliTest.run("nic", "bench", "--backend", backend, "--seconds", "1");
        }
        assertThat(r.status()).as("exit status; stderr: %s", r.err()).isZero();
        assertThat(r.out()).contains("queue", "offered", "received", "ring_full", "fill_empty", "peer jix1:",
                "kernel jix0");
        Matcher all = ALL.matcher(r.out());
        assertThat(all.find()).as("the 'all' row in%n%s", r.out()).isTrue();
        long offered = Long.parseLong(all.group(1));
        long received = Long.parseLong(all.group(2));
        assertThat(offered).as("frames offered").isGreaterThan(10_000);
        assertThat(received).as("frames received").isPositive().isLessThanOrEqualTo(offered);
        Matcher summary = SUMMARY.matcher(r.out());
        assertThat(summary.find()).as("the summary as the last line of%n%s", r.out()).isTrue();
        assertThat(Long.parseLong(summary.group(1))).isPositive();
        assertThat(Long.parseLong(summary.group(2))).isPositive();
    }
}
