package io.jix.cli;

import io.jix.dataplane.BackendKind;
import io.jix.dataplane.Idle;
import io.jix.nic.FlowSteering;
import io.jix.sys.Affinity;
import java.net.InetAddress;
import picocli.CommandLine.Option;

/** Options every {@code ./jix serve} application shares. */
final class ServeOptions {

    @Option(names = "--backend", defaultValue = "kernel", paramLabel = "KIND",
            description = "Network stack: kernel (Linux sockets, anywhere), xdp (jix's own stack on AF_XDP "
                    + "queues, root) or packet (jix's stack on AF_PACKET rings, root). Default: ${DEFAULT-VALUE}.")
    BackendKind backend;

    @Option(names = "--address", defaultValue = "127.0.0.1", paramLabel = "IP[/PREFIX]",
            description = "Local address to serve on, with its subnet's prefix length for xdp/packet "
                    + "(default: ${DEFAULT-VALUE}; prefix 24).")
    String address;

    @Option(names = "--interface", paramLabel = "IF",
            description = "xdp/packet: the interface whose queues jix takes (e.g. jix0 of ./jix testnet).")
    String interfaceName;

    @Option(names = "--queues", paramLabel = "N",
            description = "xdp/packet: NIC queues to use (default: all of the interface's).")
    Integer queues;

    @Option(names = "--rss", defaultValue = "port-xor", paramLabel = "FUNCTION",
            description = "xdp/packet: how the NIC spreads flows over queues, so outgoing connections pick ports "
                    + "whose replies come back to their own thread: port-xor (the test network's emulation; "
                    + "default) or unknown.")
    String rss;

    @Option(names = "--unchecked-views",
            description = "xdp/packet: receive views are plain read-only slices, not revoked by recvDone "
                    + "(nothing allocated per packet; a stale view reads whatever the frame holds now).")
    boolean uncheckedViews;

    @Option(names = "--port", paramLabel = "PORT",
            description = "TCP and UDP port (default: the application's own).")
    Integer port;

    @Option(names = "--threads", paramLabel = "N",
            description = "Elastic threads (default: one per CPU this process may use).")
    Integer threads;

    @Option(names = "--cores", paramLabel = "MIN:MAX",
            description = "Elastic: run between MIN and MAX elastic threads, as the control plane's policy decides"
                    + " from the load (IXCP); threads beyond the count own no flow group and park.")
    String cores;

    @Option(names = "--sla-us", defaultValue = "500", paramLabel = "MICROS",
            description = "With --cores: the latency SLA the policy protects (default: ${DEFAULT-VALUE} us).")
    long slaMicros;

    @Option(names = "--idle", defaultValue = "backoff", paramLabel = "MODE",
            description = "When idle: spin (lowest latency, burns a core) or backoff (parks; default).")
    Idle idle;

    @Option(names = "--batch", defaultValue = "64", paramLabel = "N",
            description = "Most events per batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--no-pin", description = "Do not pin elastic threads to CPUs.")
    boolean noPin;

    @Option(names = "--duration", paramLabel = "SECONDS",
            description = "Stop by itself after this many seconds (default: run until interrupted).")
    Long durationSeconds;

    @Option(names = "--metrics-port", defaultValue = "0", paramLabel = "PORT",
            description = "Serve the counters at http://ADDRESS:PORT/metrics in Prometheus' text format, from a "
                    + "background thread (default: ${DEFAULT-VALUE}, off).")
    int metricsPort;

    @Option(names = "--metrics-address", defaultValue = "127.0.0.1", paramLabel = "IP",
            description = "Address the metrics endpoint listens on (default: ${DEFAULT-VALUE}).")
    String metricsAddress;

    /** {@code --cores MIN:MAX} as {min, max}, or null without it. */
    int[] coreRange() {
        if (cores == null) {
            return null;
        }
        String[] p = cores.split(":");
        try {
            int min = Integer.parseInt(p[0].trim());
            int max = p.length == 2 ? Integer.parseInt(p[1].trim()) : min;
            if (p.length > 2 || min < 1 || max < min) {
                throw new NumberFormatException();
            }
            return new int[] {min, max};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--cores: MIN:MAX with 1 <= MIN <= MAX, not " + cores);
        }
    }

    int threadCount() {
        return threads != null ? threads : Affinity.availableCpus();
    }

    /** {@code --rss} as a steering function. */
    FlowSteering steering() {
        return switch (rss) {
            case "port-xor" -> FlowSteering.PORT_XOR;
            case "unknown" -> FlowSteering.UNKNOWN;
            default -> throw new IllegalArgumentException("--rss: port-xor or unknown, not " + rss);
        };
    }

    /** The address part of {@code --address}. */
    InetAddress ip() {
        String host = address.contains("/") ? address.substring(0, address.indexOf('/')) : address;
        try {
            return InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--address: not an IP address: " + host, e);
        }
    }

    /** The prefix part of {@code --address} (24 when absent). */
    int prefix() {
        if (!address.contains("/")) {
            return 24;
        }
        String p = address.substring(address.indexOf('/') + 1);
        try {
            return Integer.parseInt(p);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--address: not a prefix length: /" + p, e);
        }
    }
}
