package io.jix.testnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Reading what {@code ip} and {@code ethtool} print; needs no privileges. */
class ParsingTest {
    private static final String LOCAL_LINE = "6: jix0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue "
            + "state UP mode DEFAULT group default qlen 1000\\    link/ether 8a:06:e1:0f:e5:2e brd ff:ff:ff:ff:ff:ff "
            + "link-netns jix-peer promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 \\    veth addrgenmode eui64 "
            + "numtxqueues 2 numrxqueues 2 gso_max_size 65536 gso_max_segs 65535 \n";
    private static final String PEER_LINE = "5: jix1@if6: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN "
            + "mode DEFAULT group default qlen 1000\\    link/ether e2:b5:04:03:23:ef brd ff:ff:ff:ff:ff:ff "
            + "link-netnsid 0 promiscuity 0  allmulti 0 minmtu 68 maxmtu 65535 \\    veth addrgenmode eui64 "
            + "numtxqueues 1 numrxqueues 1 gso_max_size 65536 \n";

    @Test
    void readsALinkAcrossNamespaces() {
        TestNet.Link link = TestNet.parseLink(null, LOCAL_LINE, List.of("198.18.0.1/24"));
        assertThat(link.index()).isEqualTo(6);
        assertThat(link.name()).isEqualTo("jix0");
        assertThat(link.peer()).isEqualTo("if5");
        assertThat(link.peerNamespace()).isEqualTo("jix-peer");
        assertThat(link.kind()).isEqualTo("veth");
        assertThat(link.adminUp()).isTrue();
        assertThat(link.state()).isEqualTo("UP");
        assertThat(link.rxQueues()).isEqualTo(2);
        assertThat(link.txQueues()).isEqualTo(2);
        assertThat(link.toString()).isEqualTo("jix0 (root namespace): up, state UP, 198.18.0.1/24, "
                + "2 RX / 2 TX queues, veth, peer ifindex 5 in jix-peer");
    }

    @Test
    void readsALinkThatIsDownWithOneQueue() {
        TestNet.Link link = TestNet.parseLink("jix-peer", PEER_LINE, List.of());
        assertThat(link.name()).isEqualTo("jix1");
        assertThat(link.namespace()).isEqualTo("jix-peer");
        assertThat(link.adminUp()).isFalse();
        assertThat(link.state()).isEqualTo("DOWN");
        assertThat(link.rxQueues()).isEqualTo(1);
        assertThat(link.peerNamespace()).isNull();
        assertThat(link.toString()).contains("namespace jix-peer", "down", "no IPv4 address");
    }

    @Test
    void readsAPairInOneNamespace() {
        String line = "6: jix0@jix1: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN mode DEFAULT "
                + "\\    link/ether 8a:06:e1:0f:e5:2e brd ff:ff:ff:ff:ff:ff \\    veth addrgenmode eui64 "
                + "numtxqueues 2 numrxqueues 2 gso_max_size 65536\n";
        TestNet.Link link = TestNet.parseLink(null, line, List.of());
        assertThat(link.peer()).isEqualTo("jix1");
        assertThat(link.adminUp()).isFalse();
    }

    @Test
    void rejectsWhatIsNotALink() {
        assertThatThrownBy(() -> TestNet.parseLink(null, "garbage", List.of()))
                .isInstanceOf(TestNetException.class)
                .hasMessageContaining("garbage");
    }

    @Test
    void readsAddresses() {
        String out = "6: jix0    inet 198.18.0.1/24 scope global jix0\\       valid_lft forever preferred_lft forever\n"
                + "6: jix0    inet 198.18.1.1/24 scope global jix0\\       valid_lft forever preferred_lft forever\n";
        assertThat(TestNet.parseAddresses(out)).containsExactly("198.18.0.1/24", "198.18.1.1/24");
        assertThat(TestNet.parseAddresses("")).isEmpty();
    }

    @Test
    void readsTxChecksumming() {
        String off = "Features for jix1:\nrx-checksumming: on\ntx-checksumming: off\n\ttx-checksum-ipv4: off [fixed]\n";
        assertThat(TestNet.parseTxChecksum(off)).contains(false);
        assertThat(TestNet.parseTxChecksum(off.replace("tx-checksumming: off", "tx-checksumming: on")))
                .contains(true);
        assertThat(TestNet.parseTxChecksum("nothing")).isEqualTo(Optional.empty());
    }

    @Test
    void readsTheRssFilter() {
        String ours = "filter protocol all pref 1 bpf chain 0 \n"
                + "filter protocol all pref 1 bpf chain 0 handle 0x1 jix_rss:[*fsobj] direct-action not_in_hw id 465 "
                + "name jix_rss tag 356c3b7caed41904 jited \n";
        assertThat(TestNet.parseRssFilter(ours)).isTrue();
        assertThat(TestNet.parseRssFilter("")).isFalse();
        assertThat(TestNet.parseRssFilter(ours.replace("name jix_rss", "name other"))).isFalse();
        assertThat(TestNet.parseRssFilter(ours.replace(" direct-action", ""))).isFalse();
        String twice = ours + "filter protocol all pref 2 u32 chain 0 \n"
                + "filter protocol all pref 2 u32 chain 0 fh 800: ht divisor 1 \n"
                + "filter protocol all pref 2 u32 chain 0 fh 800::800 order 2048 key ht 800 bkt 0 *flowid 1:1 not_in_hw \n"
                + "  match 00000000/00000000 at 0\n";
        assertThat(TestNet.parseRssFilter(twice)).as("another filter beside ours").isFalse();
        assertThat(TestNet.parseRssFilter(ours + ours.replace("handle 0x1", "handle 0x2"))).as("ours twice").isFalse();
    }

    @Test
    void statusOfNothingSaysDown() {
        TestNet.Status status = new TestNet.Status(false, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty());
        assertThat(status.absent()).isTrue();
        assertThat(status.complete()).isFalse();
        assertThat(status.toString()).isEqualTo("test network: down (nothing exists)\n"
                + "  namespace jix-peer: absent\n  jix0: absent\n  jix1: absent");
    }

    @Test
    void requiredFollowsCi() {
        assertThat(TestNet.required()).isEqualTo("true".equals(System.getenv("CI")));
    }
}
