package io.jix.testnet;

import static java.lang.System.Logger.Level.DEBUG;

import io.jix.sys.Bpf;
import io.jix.sys.Syscalls;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The test network: a network namespace {@value #NAMESPACE} holding the peer (the Linux kernel's own
 * stack), joined to the root namespace by the veth pair {@value #LOCAL_IF} (root namespace,
 * {@value #LOCAL_ADDRESS}/{@value #PREFIX}, the dataplane side) and {@value #PEER_IF} (inside the
 * namespace, {@value #PEER_ADDRESS}/{@value #PREFIX}, the kernel peer).
 *
 * <p>Both ends get {@value #QUEUES} RX and {@value #QUEUES} TX queues: native XDP attach fails with
 * ENOSPC when a veth has fewer RX queues than its peer has TX queues. TX checksum offload is off on
 * {@value #PEER_IF}, else veth hands frames to the dataplane with only partial checksums.
 *
 * <p><b>RSS emulation.</b> On a veth in native XDP mode the dataplane's receive queue is the
 * transmit queue the peer's kernel picked, which for a kernel socket is a random per-socket hash
 * (it can even change after a retransmission timeout). A real NIC's RSS hashes the 4-tuple
 * instead, deterministically, and jix relies on that to choose ephemeral ports whose replies come
 * back to the calling thread's queue. So {@link #up()} puts a {@code clsact} qdisc on
 * {@value #PEER_IF} with one {@code cls_bpf} classifier on egress (program
 * {@value RssEmulation#PROGRAM_NAME}, built in {@link RssEmulation}) that makes the peer's transmit
 * queue — and so the dataplane's receive queue on {@value #LOCAL_IF} — {@code (source port ^
 * destination port) & (QUEUES - 1)} for TCP and UDP over IPv4 without options, and queue 0 for
 * everything else. It emulates a NIC's RSS; {@code io.jix.nic.FlowSteering.PORT_XOR} is the same
 * function. The filter lives on the link, so {@link #down()} removes it with the link;
 * {@link #status()} reports it.
 *
 * <p>Only the benchmarking range 198.18.0.0/15 (RFC 2544) is used, and only the exact names above
 * are ever created or removed. {@link #up()} and {@link #down()} are idempotent and serialised
 * across processes by a lock file. Every command runs with a deadline ({@link #COMMAND_TIMEOUT})
 * and is logged at DEBUG level through {@link System.Logger} {@code io.jix.testnet}.
 *
 * <p>Tests that need the network do:
 * <pre>{@code
 * String reason = TestNet.unavailableReason();
 * if (reason != null) {
 *     if (TestNet.required()) fail(reason);   // CI=true: tests that need root must run
 *     else abort(reason);                     // skip, saying why in one line
 * }
 * TestNet.up();
 * }</pre>
 */
public final class TestNet {
    /** The peer's network namespace. */
    public static final String NAMESPACE = "jix-peer";
    /** The veth end in the root namespace: the dataplane side. */
    public static final String LOCAL_IF = "jix0";
    /** The veth end inside {@link #NAMESPACE}: the Linux kernel peer. */
    public static final String PEER_IF = "jix1";
    /** {@link #LOCAL_IF}'s address. */
    public static final String LOCAL_ADDRESS = "198.18.0.1";
    /** {@link #PEER_IF}'s address. */
    public static final String PEER_ADDRESS = "198.18.0.2";
    /** Prefix length of both addresses. */
    public static final int PREFIX = 24;
    /** RX queues and TX queues on each veth end. */
    public static final int QUEUES = 2;
    /** Deadline for each {@code ip} or {@code ethtool} invocation. */
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(15);

    private static final System.Logger LOG = System.getLogger("io.jix.testnet");
    private static final Duration LOCK_TIMEOUT = Duration.ofMinutes(2);
    private static final Object MONITOR = new Object();

    private TestNet() {}

    // ---------------------------------------------------------------------------------------------
    // What tests ask first

    /** Whether this process runs with effective uid 0. */
    public static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Uid:")) {
                    String[] fields = line.substring(4).trim().split("\\s+");
                    return fields.length >= 2 && fields[1].equals("0");
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(DEBUG, "cannot read /proc/self/status, asking id -u", e);
        }
        try {
            Commands.Result id = Commands.run(COMMAND_TIMEOUT, List.of("id", "-u"));
            return id.ok() && id.stdout().strip().equals("0");
        } catch (TestNetException e) {
            return false;
        }
    }

    /**
     * Why the test network cannot be made here, in one line, or {@code null} when it can (running
     * as root, with {@code ip} and {@code ethtool} installed).
     */
    public static String unavailableReason() {
        if (!isRoot()) {
            return "the test network needs root (CAP_NET_ADMIN), and this process is not root";
        }
        if (Commands.find("ip").isEmpty()) {
            return "the test network needs `ip` (Debian package iproute2), which is not installed";
        }
        if (Commands.find("ethtool").isEmpty()) {
            return "the test network needs `ethtool` (Debian package ethtool), which is not installed";
        }
        if (Commands.find("tc").isEmpty()) {
            return "the test network needs `tc` (Debian package iproute2), which is not installed";
        }
        if (Commands.find("mount").isEmpty() || Commands.find("umount").isEmpty()) {
            return "the test network needs `mount` and `umount` (Debian package mount), which are not installed";
        }
        return null;
    }

    /** Whether tests that need the network must run rather than skip: true under {@code CI=true}. */
    public static boolean required() {
        return "true".equals(System.getenv("CI"));
    }

    /** The MAC address of {@link #LOCAL_IF}, as the kernel reports it (needs the network up). */
    public static byte[] localMac() {
        try {
            String text = java.nio.file.Files.readString(java.nio.file.Path.of("/sys/class/net", LOCAL_IF, "address"));
            return java.util.HexFormat.ofDelimiter(":").parseHex(text.strip());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read the MAC of " + LOCAL_IF, e);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // up, down, status

    /**
     * Makes the test network exist exactly as described in the class comment. Does nothing that is
     * already right; repairs a partial state (namespace without link, a pair never moved into the
     * namespace, wrong queue counts, missing addresses, links down, checksum offload on).
     *
     * @throws TestNetException when not possible here or a command fails
     */
    public static void up() {
        requireAvailable(true);
        locked(() -> {
            ensureNamespace();
            ensurePair();
            configure();
            ensureRss();
            return null;
        });
    }

    /**
     * Removes {@value #LOCAL_IF} (and with it {@value #PEER_IF}), the tenant links of
     * {@link TenantLinks}, and the namespace {@value #NAMESPACE}, by exact name. Does nothing when
     * they do not exist; touches nothing else.
     *
     * @throws TestNetException when not possible here or a command fails
     */
    public static void down() {
        requireAvailable(false);
        locked(() -> {
            TenantLinks.removeAll();
            if (link(null, LOCAL_IF).isPresent()) {
                ip("link", "delete", "dev", LOCAL_IF).orThrow();
            }
            // A half-finished up() can leave the peer end in the root namespace under its own name.
            if (link(null, PEER_IF).isPresent()) {
                ip("link", "delete", "dev", PEER_IF).orThrow();
            }
            if (namespaceListed()) {
                ip("netns", "delete", NAMESPACE).orThrow();
            }
            return null;
        });
    }

    /**
     * What exists now.
     *
     * @throws TestNetException when not possible here or a command fails
     */
    public static Status status() {
        requireAvailable(false);
        boolean namespace = namespaceUsable();
        Optional<Link> local = link(null, LOCAL_IF);
        Optional<Link> peer = namespace ? link(NAMESPACE, PEER_IF) : Optional.empty();
        if (peer.isEmpty()) {
            peer = link(null, PEER_IF);
        }
        Optional<Boolean> txChecksum = Optional.empty();
        Optional<Boolean> rss = Optional.empty();
        if (peer.isPresent() && peer.get().namespace() != null && Commands.find("ethtool").isPresent()) {
            Commands.Result features = inPeer(List.of(ethtool(), "-k", PEER_IF));
            if (features.ok()) {
                txChecksum = parseTxChecksum(features.stdout());
            }
        }
        if (peer.isPresent() && peer.get().namespace() != null && Commands.find("tc").isPresent()) {
            rss = Optional.of(rssAttached());
        }
        return new Status(namespace, local, peer, txChecksum, rss);
    }

    // ---------------------------------------------------------------------------------------------
    // Running things in the peer namespace

    /**
     * Starts {@code command} inside {@value #NAMESPACE} ({@code ip netns exec jix-peer ...}) with
     * pipes for its stdin, stdout and stderr, and returns at once. The caller bounds its lifetime,
     * drains its output, and ends it through the returned handle ({@link Process#destroy()}, then
     * {@link Process#destroyForcibly()}).
     */
    public static Process runInPeer(String... command) {
        return Commands.start(peerCommand(command));
    }

    /**
     * Runs {@code command} inside {@value #NAMESPACE} to completion and returns its stdout.
     *
     * @throws TestNetException with the command's stderr when it exits non-zero, or when it is still
     *     running after {@code timeout} (it is then killed through its process handle)
     */
    public static String execInPeer(Duration timeout, String... command) {
        return Commands.run(timeout, peerCommand(command)).orThrow();
    }

    // ---------------------------------------------------------------------------------------------
    // What status() returns

    /**
     * One veth end as {@code ip -d link show} describes it.
     *
     * @param name interface name
     * @param namespace the network namespace it is in, or {@code null} for the root namespace
     * @param index interface index (within its namespace)
     * @param kind link kind ({@code veth}), or empty when not reported
     * @param adminUp whether the link is administratively up
     * @param state operational state as the kernel reports it ({@code UP}, {@code DOWN}, ...)
     * @param rxQueues number of RX queues
     * @param txQueues number of TX queues
     * @param addresses IPv4 addresses with prefix length ({@code 198.18.0.1/24})
     * @param peer what {@code ip} names as the other end: {@code if5} (index in another namespace) or
     *     a name in the same namespace
     * @param peerNamespace the namespace {@code ip} names for the other end, or {@code null}
     */
    public record Link(
            String name,
            String namespace,
            int index,
            String kind,
            boolean adminUp,
            String state,
            int rxQueues,
            int txQueues,
            List<String> addresses,
            String peer,
            String peerNamespace) {
        public Link {
            addresses = List.copyOf(addresses);
        }

        /** Whether this end has its intended address, {@value #QUEUES}/{@value #QUEUES} queues and is up. */
        boolean configured(String address) {
            return adminUp && rxQueues == QUEUES && txQueues == QUEUES
                    && addresses.contains(address + "/" + PREFIX);
        }

        @Override
        public String toString() {
            return name + " (" + (namespace == null ? "root namespace" : "namespace " + namespace) + "): "
                    + (adminUp ? "up" : "down") + ", state " + state
                    + ", " + (addresses.isEmpty() ? "no IPv4 address" : String.join(" ", addresses))
                    + ", " + rxQueues + " RX / " + txQueues + " TX queues"
                    + (kind.isEmpty() ? "" : ", " + kind)
                    + (peer == null ? "" : ", peer " + (peer.matches("if\\d+") ? "ifindex " + peer.substring(2) : peer)
                            + (peerNamespace == null ? "" : " in " + peerNamespace));
        }
    }

    /**
     * What exists of the test network.
     *
     * @param namespace whether namespace {@value #NAMESPACE} exists (and can be entered)
     * @param local {@value #LOCAL_IF} in the root namespace, when it exists
     * @param peer {@value #PEER_IF}, in {@value #NAMESPACE} or (after an interrupted up) still in the
     *     root namespace, when it exists
     * @param peerTxChecksum whether TX checksum offload is on for {@value #PEER_IF}, when it could be read
     * @param rss whether {@value #PEER_IF}'s egress carries the RSS emulation (and nothing else), when
     *     it could be read
     */
    public record Status(
            boolean namespace, Optional<Link> local, Optional<Link> peer, Optional<Boolean> peerTxChecksum,
            Optional<Boolean> rss) {

        /** Everything exists and is as {@link TestNet#up()} leaves it. */
        public boolean complete() {
            return namespace
                    && local.filter(l -> l.configured(LOCAL_ADDRESS)).isPresent()
                    && peer.filter(p -> NAMESPACE.equals(p.namespace()) && p.configured(PEER_ADDRESS)).isPresent()
                    && peerTxChecksum.equals(Optional.of(false))
                    && rss.equals(Optional.of(true));
        }

        /** Nothing of the test network exists. */
        public boolean absent() {
            return !namespace && local.isEmpty() && peer.isEmpty();
        }

        @Override
        public String toString() {
            StringBuilder text = new StringBuilder("test network: ")
                    .append(complete() ? "up" : absent() ? "down (nothing exists)" : "partial (run `up` to repair)")
                    .append('\n');
            text.append("  namespace ").append(NAMESPACE).append(": ").append(namespace ? "present" : "absent").append('\n');
            text.append("  ").append(local.map(Link::toString).orElse(LOCAL_IF + ": absent")).append('\n');
            text.append("  ").append(peer.map(Link::toString).orElse(PEER_IF + ": absent"));
            if (peer.isPresent()) {
                text.append("\n  ").append(PEER_IF).append(" tx checksum offload: ")
                        .append(peerTxChecksum.map(on -> on ? "on" : "off").orElse("unknown"));
                text.append("\n  ").append(PEER_IF).append(" egress: ").append(rss.map(on -> on
                        ? "RSS emulation (tc clsact + bpf " + RssEmulation.PROGRAM_NAME
                                + "): TCP/UDP queue = fold4(sport ^ dport) & " + (QUEUES - 1) + ", others queue 0"
                        : "no RSS emulation").orElse("unknown"));
            }
            return text.toString();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Steps of up()

    static void ensureNamespace() {
        if (namespaceListed()) {
            if (namespaceUsable()) {
                return;
            }
            LOG.log(DEBUG, "namespace " + NAMESPACE + " is listed but cannot be entered; recreating it");
            ip("netns", "delete", NAMESPACE).orThrow();
        }
        ip("netns", "add", NAMESPACE).orThrow();
    }

    private static void ensurePair() {
        Optional<Link> local = link(null, LOCAL_IF);
        Optional<Link> peerThere = link(NAMESPACE, PEER_IF);
        Optional<Link> peerHere = link(null, PEER_IF);
        if (local.isPresent() && peerThere.isPresent() && pairedAcross(local.get(), peerThere.get())) {
            return;
        }
        boolean pairedHere = local.isPresent() && peerHere.isPresent()
                && isOurVeth(local.get()) && isOurVeth(peerHere.get())
                && PEER_IF.equals(local.get().peer()) && LOCAL_IF.equals(peerHere.get().peer());
        if (!pairedHere) {
            LOG.log(DEBUG, "veth pair missing or wrong; recreating it");
            if (local.isPresent()) {
                ip("link", "delete", "dev", LOCAL_IF).orThrow();
            }
            // Deleting one end of a veth removes the other, so look again before each delete.
            if (link(null, PEER_IF).isPresent()) {
                ip("link", "delete", "dev", PEER_IF).orThrow();
            }
            if (link(NAMESPACE, PEER_IF).isPresent()) {
                ip("-n", NAMESPACE, "link", "delete", "dev", PEER_IF).orThrow();
            }
            String queues = Integer.toString(QUEUES);
            ip("link", "add", LOCAL_IF, "numrxqueues", queues, "numtxqueues", queues,
                    "type", "veth", "peer", "name", PEER_IF, "numrxqueues", queues, "numtxqueues", queues)
                    .orThrow();
        }
        ip("link", "set", "dev", PEER_IF, "netns", NAMESPACE).orThrow();
    }

    private static void configure() {
        setOnlyAddress(null, LOCAL_IF, LOCAL_ADDRESS);
        ip("link", "set", "dev", LOCAL_IF, "up").orThrow();
        setOnlyAddress(NAMESPACE, PEER_IF, PEER_ADDRESS);
        ip("-n", NAMESPACE, "link", "set", "dev", PEER_IF, "up").orThrow();
        ip("-n", NAMESPACE, "link", "set", "dev", "lo", "up").orThrow();
        Optional<Boolean> txChecksum = parseTxChecksum(inPeer(List.of(ethtool(), "-k", PEER_IF)).orThrow());
        if (!txChecksum.equals(Optional.of(false))) {
            inPeer(List.of(ethtool(), "-K", PEER_IF, "tx", "off")).orThrow();
        }
    }

    /**
     * Makes {@value #PEER_IF}'s egress carry exactly the RSS emulation: a {@code clsact} qdisc and
     * one direct-action {@code cls_bpf} filter running {@link RssEmulation}'s program. {@code tc}
     * attaches a program it can open by path only, so the program is pinned for the moment of the
     * attach on a bpffs mounted just for it on a fresh directory under {@code /run}, then the pin,
     * the mount and the directory go; the filter keeps the program alive, and both go with the link.
     */
    private static void ensureRss() {
        if (rssAttached()) {
            return;
        }
        if (!inPeer(List.of(tc(), "qdisc", "show", "dev", PEER_IF)).orThrow().contains("clsact")) {
            inPeer(List.of(tc(), "qdisc", "add", "dev", PEER_IF, "clsact")).orThrow();
        } else {
            LOG.log(DEBUG, PEER_IF + " egress has other filters than the RSS emulation; replacing them");
            inPeer(List.of(tc(), "filter", "delete", "dev", PEER_IF, "egress")).orThrow();
        }
        int fd = RssEmulation.load(QUEUES);
        Path dir = null;
        boolean mounted = false;
        try {
            Path run = Path.of("/run");
            dir = Files.createTempDirectory(Files.isDirectory(run) ? run : Path.of(System.getProperty("java.io.tmpdir")),
                    "jix-bpf-");
            Commands.run(COMMAND_TIMEOUT, List.of(Commands.find("mount").map(Path::toString).orElse("mount"),
                    "-t", "bpf", "jix-bpf", dir.toString())).orThrow();
            mounted = true;
            Path pin = dir.resolve(RssEmulation.PROGRAM_NAME);
            Bpf.objPin(fd, pin.toString());
            inPeer(List.of(tc(), "filter", "add", "dev", PEER_IF, "egress", "pref", "1", "handle", "1",
                    "bpf", "direct-action", "object-pinned", pin.toString())).orThrow();
        } catch (IOException e) {
            throw new TestNetException("cannot make a directory for a bpffs: " + e.getMessage(), e);
        } finally {
            new Syscalls().close(fd);
            if (mounted) {
                try {
                    Files.deleteIfExists(dir.resolve(RssEmulation.PROGRAM_NAME));
                } catch (IOException e) {
                    LOG.log(DEBUG, "cannot unpin " + dir, e);
                }
                Commands.run(COMMAND_TIMEOUT, List.of(Commands.find("umount").map(Path::toString).orElse("umount"),
                        dir.toString())).orThrow();
            }
            if (dir != null) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException e) {
                    LOG.log(DEBUG, "cannot remove " + dir, e);
                }
            }
        }
        if (!rssAttached()) {
            throw new TestNetException("the RSS emulation did not show up on " + PEER_IF + " egress after attaching it");
        }
    }

    private static boolean rssAttached() {
        Commands.Result shown = inPeer(List.of(tc(), "filter", "show", "dev", PEER_IF, "egress"));
        return shown.ok() && parseRssFilter(shown.stdout());
    }

    /** Gives {@code dev} the address {@code address}/PREFIX and removes any other IPv4 address from it. */
    static void setOnlyAddress(String namespace, String dev, String address) {
        String wanted = address + "/" + PREFIX;
        for (String present : addresses(namespace, dev)) {
            if (!present.equals(wanted)) {
                ipIn(namespace, "-4", "address", "delete", present, "dev", dev).orThrow();
            }
        }
        ipIn(namespace, "-4", "address", "replace", wanted, "dev", dev).orThrow();
    }

    private static boolean pairedAcross(Link local, Link peer) {
        return isOurVeth(local) && isOurVeth(peer)
                && ("if" + peer.index()).equals(local.peer())
                && ("if" + local.index()).equals(peer.peer())
                && NAMESPACE.equals(local.peerNamespace());
    }

    private static boolean isOurVeth(Link link) {
        return link.kind().equals("veth") && link.rxQueues() == QUEUES && link.txQueues() == QUEUES;
    }

    // ---------------------------------------------------------------------------------------------
    // Reading state

    static boolean namespaceListed() {
        for (String line : ip("netns", "list").orThrow().split("\n")) {
            String[] fields = line.trim().split("\\s+");
            if (fields[0].equals(NAMESPACE)) {
                return true;
            }
        }
        return false;
    }

    private static boolean namespaceUsable() {
        return namespaceListed() && ip("-n", NAMESPACE, "link", "show", "dev", "lo").ok();
    }

    /** Link {@code dev} in {@code namespace} (null: root), or empty when there is no such link there. */
    static Optional<Link> link(String namespace, String dev) {
        if (namespace != null && !namespaceListed()) {
            return Optional.empty();
        }
        Commands.Result shown = ipIn(namespace, "-d", "-o", "link", "show", "dev", dev);
        if (!shown.ok()) {
            if (shown.stderr().contains("does not exist")) {
                return Optional.empty();
            }
            shown.orThrow();
        }
        return Optional.of(parseLink(namespace, shown.stdout(), addresses(namespace, dev)));
    }

    private static List<String> addresses(String namespace, String dev) {
        Commands.Result shown = ipIn(namespace, "-o", "-4", "address", "show", "dev", dev);
        return shown.ok() ? parseAddresses(shown.stdout()) : List.of();
    }

    private static final Pattern LINK_HEAD =
            Pattern.compile("^\\s*(\\d+):\\s+([^:@\\s]+)(?:@([^:\\s]+))?:\\s+<([^>]*)>");
    private static final Pattern STATE = Pattern.compile("\\sstate\\s+(\\S+)");
    private static final Pattern RX_QUEUES = Pattern.compile("\\snumrxqueues\\s+(\\d+)");
    private static final Pattern TX_QUEUES = Pattern.compile("\\snumtxqueues\\s+(\\d+)");
    private static final Pattern PEER_NETNS = Pattern.compile("\\slink-netns\\s+(\\S+)");
    private static final Pattern KIND = Pattern.compile("\\\\\\s+(\\w+)\\s");
    private static final Pattern INET = Pattern.compile("\\sinet\\s+(\\S+)");
    private static final Pattern TX_CHECKSUM = Pattern.compile("(?m)^tx-checksumming:\\s+(on|off)");

    /** Parses one line of {@code ip -d -o link show dev X}. */
    static Link parseLink(String namespace, String line, List<String> addresses) {
        Matcher head = LINK_HEAD.matcher(line);
        if (!head.find()) {
            throw new TestNetException("cannot parse `ip link` output: " + line.strip());
        }
        List<String> flags = List.of(head.group(4).split(","));
        String kind = "";
        // With -d, the details start after the last "\    " separator: "\    veth addrgenmode ...".
        Matcher kindMatcher = KIND.matcher(line);
        while (kindMatcher.find()) {
            kind = kindMatcher.group(1);
        }
        return new Link(
                head.group(2),
                namespace,
                Integer.parseInt(head.group(1)),
                kind,
                flags.contains("UP"),
                find(STATE, line).orElse("UNKNOWN"),
                find(RX_QUEUES, line).map(Integer::parseInt).orElse(0),
                find(TX_QUEUES, line).map(Integer::parseInt).orElse(0),
                addresses,
                head.group(3),
                find(PEER_NETNS, line).orElse(null));
    }

    /** Parses {@code ip -o -4 address show dev X}: {@code 198.18.0.1/24} for each address. */
    static List<String> parseAddresses(String output) {
        List<String> found = new ArrayList<>();
        Matcher inet = INET.matcher(output);
        while (inet.find()) {
            found.add(inet.group(1));
        }
        return found;
    }

    /** Parses {@code ethtool -k X}: whether {@code tx-checksumming} is on. */
    static Optional<Boolean> parseTxChecksum(String output) {
        return find(TX_CHECKSUM, output).map("on"::equals);
    }

    /**
     * Parses {@code tc filter show dev X egress}: whether it lists exactly one filter, a
     * direct-action bpf filter running {@value RssEmulation#PROGRAM_NAME} at preference 1. tc prints
     * a header line per preference and then the filter's own lines (a u32 filter prints a hash table
     * line too), so every {@code filter} line must be at our preference and of kind bpf, and exactly
     * one of them ours.
     */
    static boolean parseRssFilter(String output) {
        int ours = 0;
        for (String line : output.split("\n")) {
            if (!line.startsWith("filter ")) {
                continue;
            }
            if (!line.contains(" pref 1 bpf ")) {
                return false;
            }
            if (line.contains(" handle ")) {
                if (!line.contains(" direct-action ") || !line.contains(" name " + RssEmulation.PROGRAM_NAME + " ")) {
                    return false;
                }
                ours++;
            }
        }
        return ours == 1;
    }

    private static Optional<String> find(Pattern pattern, String text) {
        Matcher matcher = pattern.matcher(text);
        return matcher.find() ? Optional.of(matcher.group(1)) : Optional.empty();
    }

    // ---------------------------------------------------------------------------------------------
    // Plumbing

    static void requireAvailable(boolean needEthtool) {
        if (!isRoot()) {
            throw new TestNetException("the test network needs root (CAP_NET_ADMIN)");
        }
        if (Commands.find("ip").isEmpty()) {
            throw new TestNetException("the test network needs `ip` (Debian package iproute2)");
        }
        if (needEthtool && Commands.find("ethtool").isEmpty()) {
            throw new TestNetException("the test network needs `ethtool` (Debian package ethtool)");
        }
        if (needEthtool && Commands.find("tc").isEmpty()) {
            throw new TestNetException("the test network needs `tc` (Debian package iproute2)");
        }
    }

    private static String ipPath() {
        return Commands.find("ip").map(Path::toString).orElse("ip");
    }

    static String ethtool() {
        return Commands.find("ethtool").map(Path::toString).orElse("ethtool");
    }

    private static String tc() {
        return Commands.find("tc").map(Path::toString).orElse("tc");
    }

    private static Commands.Result ip(String... args) {
        List<String> command = new ArrayList<>();
        command.add(ipPath());
        command.addAll(List.of(args));
        return Commands.run(COMMAND_TIMEOUT, command);
    }

    /** {@code ip [-n namespace] args...}. */
    static Commands.Result ipIn(String namespace, String... args) {
        List<String> command = new ArrayList<>();
        command.add(ipPath());
        if (namespace != null) {
            command.add("-n");
            command.add(namespace);
        }
        command.addAll(List.of(args));
        return Commands.run(COMMAND_TIMEOUT, command);
    }

    static Commands.Result inPeer(List<String> command) {
        return Commands.run(COMMAND_TIMEOUT, peerCommand(command.toArray(String[]::new)));
    }

    private static List<String> peerCommand(String... command) {
        if (command.length == 0) {
            throw new IllegalArgumentException("no command to run in " + NAMESPACE);
        }
        List<String> line = new ArrayList<>(List.of(ipPath(), "netns", "exec", NAMESPACE));
        line.addAll(List.of(command));
        return line;
    }

    private static final Duration USE_TIMEOUT = Duration.ofMinutes(20);
    private static FileChannel useChannel;
    private static FileLock useLock;
    private static int useDepth;

    /**
     * Takes the test network for this JVM until {@link #release()}: an exclusive lock on a
     * machine-wide file, so that two test runs (two checkouts building at once) never attach
     * programs to, or tear down, the same interfaces under each other. Reentrant; waits up to 20
     * minutes for another holder.
     */
    public static synchronized void acquire() {
        if (useDepth++ > 0) {
            return;
        }
        Path file = lockFile().resolveSibling("jix-testnet-user.lock");
        long deadline = System.nanoTime() + USE_TIMEOUT.toNanos();
        try {
            useChannel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            while ((useLock = useChannel.tryLock()) == null) {
                if (System.nanoTime() - deadline > 0) {
                    throw new TestNetException("another test run has held " + file + " for "
                            + USE_TIMEOUT.toMinutes() + " min");
                }
                Thread.sleep(100);
            }
        } catch (IOException | RuntimeException e) {
            abandonUse();
            throw e instanceof TestNetException t ? t : new TestNetException("cannot lock " + file + ": " + e, e);
        } catch (InterruptedException e) {
            abandonUse();
            Thread.currentThread().interrupt();
            throw new TestNetException("interrupted waiting for " + file, e);
        }
    }

    /** Gives the test network back to other test runs (see {@link #acquire()}). */
    public static synchronized void release() {
        if (useDepth == 0 || --useDepth > 0) {
            return;
        }
        try {
            useLock.release();
        } catch (IOException e) {
            throw new TestNetException("cannot unlock: " + e, e);
        } finally {
            abandonUse();
        }
    }

    private static void abandonUse() {
        useDepth = 0;
        useLock = null;
        if (useChannel != null) {
            try {
                useChannel.close();
            } catch (IOException ignored) {
                // closing releases the lock; nothing more to do
            }
            useChannel = null;
        }
    }

    /**
     * Runs {@code action} holding this JVM's monitor and an exclusive lock on a file shared by every
     * process on the machine, so that two test runs never build or tear down the network at once.
     */
    static <T> T locked(Supplier<T> action) {
        synchronized (MONITOR) {
            Path file = lockFile();
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = acquire(channel, file);
                try {
                    return action.get();
                } finally {
                    lock.release();
                }
            } catch (IOException e) {
                throw new TestNetException("cannot lock " + file + ": " + e.getMessage(), e);
            }
        }
    }

    private static FileLock acquire(FileChannel channel, Path file) throws IOException {
        long deadline = System.nanoTime() + LOCK_TIMEOUT.toNanos();
        while (true) {
            FileLock lock = channel.tryLock();
            if (lock != null) {
                return lock;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new TestNetException("another process has held " + file + " for over "
                        + LOCK_TIMEOUT.toSeconds() + " s");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TestNetException("interrupted while waiting for " + file, e);
            }
        }
    }

    private static Path lockFile() {
        Path runLock = Path.of("/run/lock");
        Path dir = Files.isDirectory(runLock) && Files.isWritable(runLock)
                ? runLock
                : Path.of(System.getProperty("java.io.tmpdir"));
        return dir.resolve("jix-testnet.lock");
    }
}
