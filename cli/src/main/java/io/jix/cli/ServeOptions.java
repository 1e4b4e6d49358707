package io.jix.cli;

import io.jix.dataplane.BackendKind;
import io.jix.dataplane.Idle;
import io.jix.sys.Affinity;
import java.net.InetAddress;
import picocli.CommandLine.Option;

/** Options every {@code ./jix serve} application shares. */
final class ServeOptions {

    @Option(names = "--backend", defaultValue = "kernel", paramLabel = "KIND",
            description = "Network stack: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    BackendKind backend;

    @Option(names = "--address", defaultValue = "127.0.0.1", paramLabel = "IP",
            description = "Local address to serve on (default: ${DEFAULT-VALUE}).")
    InetAddress address;

    @Option(names = "--port", paramLabel = "PORT",
            description = "TCP and UDP port (default: the application's own).")
    Integer port;

    @Option(names = "--threads", paramLabel = "N",
            description = "Elastic threads (default: one per CPU this process may use).")
    Integer threads;

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

    int threadCount() {
        return threads != null ? threads : Affinity.availableCpus();
    }
}
