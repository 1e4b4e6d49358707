package io.jix.testnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Per-tenant veth pairs: names and parsing without privileges, the real links as root. */
class TenantLinksTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static String unavailable;

    @BeforeAll
    static void takeTheNetwork() {
        unavailable = TestNet.unavailableReason();
        if (unavailable == null) {
            TestNet.acquire();
        } else if (TestNet.required()) {
            fail(unavailable + " (CI=true: tests that need root must run)");
        }
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
    void namesAndAddressesFollowTheIndex() {
        TenantLinks.Pair p = TenantLinks.pair(3);
        assertThat(p.hostInterface()).isEqualTo("jixt3");
        assertThat(p.peerInterface()).isEqualTo("jixt3p");
        assertThat(p.hostCidr()).isEqualTo("198.18.19.1/24");
        assertThat(p.peerAddress()).isEqualTo("198.18.19.2");
        TenantLinks.Pair last = TenantLinks.pair(TenantLinks.MAX_TENANTS - 1);
        assertThat(last.peerInterface().length()).isLessThanOrEqualTo(15);
        assertThat(last.hostAddress()).isEqualTo("198.18.47.1"); // still inside 198.18.0.0/15
        assertThatThrownBy(() -> TenantLinks.pair(TenantLinks.MAX_TENANTS)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TenantLinks.pair(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void findsOnlyExactTenantNames() {
        String listing = """
                1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN
                7: jixt1@if6: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP
                9: jixt0@if8: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP
                10: jixt01@if3: <BROADCAST> mtu 1500
                11: jixt99: <BROADCAST> mtu 1500
                12: jixt2p: <BROADCAST> mtu 1500
                13: jixtra@if2: <BROADCAST> mtu 1500
                14: jix0@if5: <BROADCAST> mtu 1500
                """;
        assertThat(TenantLinks.parsePresent(listing)).containsExactly(0, 1);
    }

    @Test
    void upIsIdempotentAndThePeerReachesTheTenant() {
        needRoot();
        TenantLinks.down(0);
        TenantLinks.Pair p = TenantLinks.up(0);
        TestNet.Link host = TestNet.link(null, "jixt0").orElseThrow();
        TenantLinks.up(0);
        TestNet.Link again = TestNet.link(null, "jixt0").orElseThrow();

        assertThat(again.index()).as("second up() kept the same link").isEqualTo(host.index());
        assertThat(host.kind()).isEqualTo("veth");
        assertThat(host.rxQueues()).isEqualTo(1);
        assertThat(host.addresses()).containsExactly("198.18.16.1/24");
        TestNet.Link peer = TestNet.link(TestNet.NAMESPACE, "jixt0p").orElseThrow();
        assertThat(peer.addresses()).containsExactly("198.18.16.2/24");
        assertThat(TestNet.parseTxChecksum(TestNet.inPeer(List.of(TestNet.ethtool(), "-k", "jixt0p")).orThrow()))
                .contains(false);
        assertThat(TestNet.execInPeer(TIMEOUT, "ping", "-c", "1", "-W", "1", p.hostAddress())).contains("1 received");
        assertThat(TenantLinks.present()).contains(0);
    }

    @Test
    void upRepairsAHalfConfiguredPair() {
        needRoot();
        TenantLinks.up(1);
        TestNet.ipIn(null, "address", "flush", "dev", "jixt1").orThrow();
        TestNet.ipIn(TestNet.NAMESPACE, "link", "set", "dev", "jixt1p", "down").orThrow();
        TenantLinks.up(1);
        assertThat(TestNet.link(null, "jixt1").orElseThrow().addresses()).containsExactly("198.18.17.1/24");
        assertThat(TestNet.link(TestNet.NAMESPACE, "jixt1p").orElseThrow().adminUp()).isTrue();
    }

    @Test
    void downRemovesOneAndTestNetDownRemovesAll() {
        needRoot();
        TenantLinks.up(0);
        TenantLinks.up(2);
        TenantLinks.down(2);
        assertThat(TenantLinks.exists(2)).isFalse();
        assertThat(TenantLinks.exists(0)).isTrue();
        TenantLinks.down(2); // idempotent

        TestNet.down();
        assertThat(TenantLinks.present()).isEmpty();
        assertThat(TestNet.status().absent()).isTrue();
    }

    private static void needRoot() {
        Assumptions.assumeTrue(unavailable == null, () -> unavailable);
    }
}
