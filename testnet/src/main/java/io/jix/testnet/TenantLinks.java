package io.jix.testnet;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One veth pair per tenant dataplane, beside the test network's own {@value TestNet#LOCAL_IF}: tenant
 * {@code i} (0 to {@value #MAX_TENANTS} - 1) gets {@code jixt<i>} in the root namespace, address
 * {@code 198.18.<16+i>.1/24} (the tenant's side, where its dataplane takes the queue), and
 * {@code jixt<i>p} inside {@value TestNet#NAMESPACE}, address {@code 198.18.<16+i>.2/24} (the
 * clients' side). On real hardware each tenant would get an SR-IOV virtual function instead; here
 * the veth pair is its private wire, so one tenant's traffic never shares a queue or a link with
 * another's.
 *
 * <p>Each end has one RX and one TX queue (with a single queue the peer's transmit queue needs no
 * RSS emulation), and TX checksum offload is off on the peer end for the same reason as on
 * {@value TestNet#PEER_IF}: veth would otherwise hand the dataplane partial checksums.
 *
 * <p>Only these exact names and addresses are created or removed; every change holds the test
 * network's lock file, as {@link TestNet#up()} does. {@link TestNet#down()} removes every tenant link
 * too. Root only.
 */
public final class TenantLinks {
    /** How many tenants may have a link: their third address octets are 16 to 16 + MAX_TENANTS - 1. */
    public static final int MAX_TENANTS = 32;
    /** Host-side names are this plus the tenant's index. */
    public static final String HOST_PREFIX = "jixt";
    /** Prefix length of every tenant address. */
    public static final int PREFIX = 24;
    private static final int FIRST_OCTET = 16;
    private static final Pattern HOST_NAME = Pattern.compile("^\\d+:\\s+(" + HOST_PREFIX + "(\\d{1,2}))[@:]",
            Pattern.MULTILINE);

    private TenantLinks() {
    }

    /**
     * Tenant {@code index}'s link, as names and addresses.
     *
     * @param index tenant index, 0 to {@value #MAX_TENANTS} - 1
     * @param hostInterface the end in the root namespace, where the tenant's dataplane runs
     * @param peerInterface the end in {@value TestNet#NAMESPACE}, where its clients run
     * @param hostAddress the tenant's address, without prefix
     * @param peerAddress the clients' address, without prefix
     */
    public record Pair(int index, String hostInterface, String peerInterface, String hostAddress, String peerAddress) {

        /** The tenant's address with its prefix length, as {@code ./jix serve --address} takes it. */
        public String hostCidr() {
            return hostAddress + "/" + PREFIX;
        }

        @Override
        public String toString() {
            return hostInterface + " " + hostCidr() + " <-> " + peerInterface + " " + peerAddress + "/" + PREFIX
                    + " (in " + TestNet.NAMESPACE + ")";
        }
    }

    /** The names and addresses of tenant {@code index}'s link (whether or not it exists). */
    public static Pair pair(int index) {
        if (index < 0 || index >= MAX_TENANTS) {
            throw new IllegalArgumentException("tenant link index must be 0.." + (MAX_TENANTS - 1) + ", got " + index);
        }
        String net = "198.18." + (FIRST_OCTET + index) + ".";
        return new Pair(index, HOST_PREFIX + index, HOST_PREFIX + index + "p", net + "1", net + "2");
    }

    /**
     * Makes tenant {@code index}'s link exist, configured and up, creating the namespace
     * {@value TestNet#NAMESPACE} if it is missing. Does nothing that is already right; a pair that is
     * half there or wrong is removed and made again.
     *
     * @throws TestNetException when not root, a tool is missing or a command fails
     */
    public static Pair up(int index) {
        Pair pair = pair(index);
        TestNet.requireAvailable(true);
        TestNet.locked(() -> {
            TestNet.ensureNamespace();
            ensurePair(pair);
            configure(pair);
            return null;
        });
        return pair;
    }

    /**
     * Removes tenant {@code index}'s link (both ends go together) by its exact name; nothing when it
     * does not exist.
     */
    public static void down(int index) {
        Pair pair = pair(index);
        TestNet.requireAvailable(false);
        TestNet.locked(() -> {
            remove(pair);
            return null;
        });
    }

    /** Whether tenant {@code index}'s host end exists. */
    public static boolean exists(int index) {
        TestNet.requireAvailable(false);
        return TestNet.link(null, pair(index).hostInterface()).isPresent();
    }

    /** The indices of the tenant links that exist now, ascending. */
    public static List<Integer> present() {
        TestNet.requireAvailable(false);
        return parsePresent(TestNet.ipIn(null, "-o", "link", "show").orThrow());
    }

    /** Removes every tenant link; called by {@link TestNet#down()} under its lock. */
    static void removeAll() {
        for (int index : parsePresent(TestNet.ipIn(null, "-o", "link", "show").orThrow())) {
            remove(pair(index));
        }
    }

    /** The tenant indices among the link names of {@code ip -o link show} (exact names only). */
    static List<Integer> parsePresent(String output) {
        List<Integer> found = new ArrayList<>();
        Matcher m = HOST_NAME.matcher(output);
        while (m.find()) {
            int index = Integer.parseInt(m.group(2));
            if (index < MAX_TENANTS && m.group(1).equals(HOST_PREFIX + index)) {
                found.add(index);
            }
        }
        found.sort(null);
        return found;
    }

    private static void remove(Pair pair) {
        if (TestNet.link(null, pair.hostInterface()).isPresent()) {
            TestNet.ipIn(null, "link", "delete", "dev", pair.hostInterface()).orThrow();
        }
        // An interrupted up() could only leave the peer end where the pair was made, in the namespace.
        if (TestNet.link(TestNet.NAMESPACE, pair.peerInterface()).isPresent()) {
            TestNet.ipIn(TestNet.NAMESPACE, "link", "delete", "dev", pair.peerInterface()).orThrow();
        }
    }

    private static void ensurePair(Pair pair) {
        Optional<TestNet.Link> host = TestNet.link(null, pair.hostInterface());
        Optional<TestNet.Link> peer = TestNet.link(TestNet.NAMESPACE, pair.peerInterface());
        if (host.isPresent() && peer.isPresent() && paired(host.get(), peer.get())) {
            return;
        }
        remove(pair);
        TestNet.ipIn(null, "link", "add", pair.hostInterface(), "numrxqueues", "1", "numtxqueues", "1",
                "type", "veth", "peer", "name", pair.peerInterface(), "netns", TestNet.NAMESPACE,
                "numrxqueues", "1", "numtxqueues", "1").orThrow();
    }

    private static boolean paired(TestNet.Link host, TestNet.Link peer) {
        return host.kind().equals("veth") && peer.kind().equals("veth")
                && host.rxQueues() == 1 && host.txQueues() == 1 && peer.rxQueues() == 1 && peer.txQueues() == 1
                && ("if" + peer.index()).equals(host.peer()) && ("if" + host.index()).equals(peer.peer())
                && TestNet.NAMESPACE.equals(host.peerNamespace());
    }

    private static void configure(Pair pair) {
        TestNet.setOnlyAddress(null, pair.hostInterface(), pair.hostAddress());
        TestNet.ipIn(null, "link", "set", "dev", pair.hostInterface(), "up").orThrow();
        TestNet.setOnlyAddress(TestNet.NAMESPACE, pair.peerInterface(), pair.peerAddress());
        TestNet.ipIn(TestNet.NAMESPACE, "link", "set", "dev", pair.peerInterface(), "up").orThrow();
        TestNet.ipIn(TestNet.NAMESPACE, "link", "set", "dev", "lo", "up").orThrow();
        String ethtool = TestNet.ethtool();
        if (!TestNet.parseTxChecksum(TestNet.inPeer(List.of(ethtool, "-k", pair.peerInterface())).orThrow())
                .equals(Optional.of(false))) {
            TestNet.inPeer(List.of(ethtool, "-K", pair.peerInterface(), "tx", "off")).orThrow();
        }
    }
}
