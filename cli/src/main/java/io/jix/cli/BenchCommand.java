package io.jix.cli;

import io.jix.loadgen.EchoWorkload;
import io.jix.loadgen.LoadGenerator;
import io.jix.loadgen.Report;
import io.jix.loadgen.Targets;
import io.jix.testnet.TestNet;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code ./jix bench echo|memcached}: load generators against jix's servers (the engine is {@code jix.loadgen}). */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = TestnetCommand.RootVersion.class,
        description = "Load generators: drive a server with many connections and report throughput and latency.",
        subcommands = {BenchCommand.Echo.class, BenchMemcached.class, ElasticBench.class, ElasticBench.Load.class,
                ElasticBench.Capacity.class})
public final class BenchCommand implements Runnable {

    @Spec
    CommandSpec spec;

    /** For picocli. */
    public BenchCommand() {
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing subcommand: echo, memcached or elastic");
    }

    /** {@code bench echo}: closed-loop (or paced) echo load, pipelined, byte-exact. */
    @Command(name = "echo", mixinStandardHelpOptions = true, versionProvider = TestnetCommand.RootVersion.class,
            description = {
                "Closed-loop echo load over TCP: --connections connections over --threads threads, each with"
                        + " --depth requests of --size bytes in flight; every reply must echo its request (sequence"
                        + " number and pattern) byte for byte, or it counts as an error. Warms up for --warmup"
                        + " seconds, measures for --duration, stops by itself (also after --max-requests).",
                "Only loopback and 198.18.0.0/15 may be loaded. --in-peer runs the generator as a child JVM in"
                        + " namespace " + TestNet.NAMESPACE + " (root; the test network must be up) so it loads"
                        + " jix0 over the veth pair.",
                "Prints one line: echo: rps=<replies/s> p50_us=... p90_us=... p99_us=... p999_us=... max_us=..."
                        + " mean_us=... requests=... seconds=... errors=... lost=... ..."
            })
    public static final class Echo implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--address", paramLabel = "IP",
                description = "Server address (default: 127.0.0.1; with --in-peer " + TestNet.LOCAL_ADDRESS + ").")
        String address;

        @Option(names = "--port", defaultValue = "7007", description = "Server port (default: ${DEFAULT-VALUE}).")
        int port;

        @Option(names = "--connections", defaultValue = "16", paramLabel = "N",
                description = "TCP connections (default: ${DEFAULT-VALUE}).")
        int connections;

        @Option(names = "--threads", defaultValue = "1", paramLabel = "T",
                description = "Generator threads, each with its own selector (default: ${DEFAULT-VALUE}).")
        int threads;

        @Option(names = "--depth", defaultValue = "1", paramLabel = "D",
                description = "Requests in flight per connection (pipelining; default: ${DEFAULT-VALUE}).")
        int depth;

        @Option(names = "--size", defaultValue = "64", paramLabel = "BYTES",
                description = "Message size, " + EchoWorkload.MIN_SIZE + ".." + EchoWorkload.MAX_SIZE
                        + " (default: ${DEFAULT-VALUE}).")
        int size;

        @Option(names = "--duration", defaultValue = "5", paramLabel = "SECONDS",
                description = "Measured time (default: ${DEFAULT-VALUE}).")
        double duration;

        @Option(names = "--warmup", defaultValue = "1", paramLabel = "SECONDS",
                description = "Time before measuring (default: ${DEFAULT-VALUE}).")
        double warmup;

        @Option(names = "--rate", defaultValue = "0", paramLabel = "PER_SECOND",
                description = "Requests per second over all connections; latency then counts from when each"
                        + " request was due. 0: closed loop, as fast as replies return (default: ${DEFAULT-VALUE}).")
        double rate;

        @Option(names = "--max-requests", defaultValue = "1000000000", paramLabel = "N",
                description = "Stop after sending this many requests (default: ${DEFAULT-VALUE}).")
        long maxRequests;

        @Option(names = "--connect-timeout", defaultValue = "5", paramLabel = "SECONDS",
                description = "How long connecting may take (default: ${DEFAULT-VALUE}).")
        double connectTimeout;

        @Option(names = "--csv", paramLabel = "FILE",
                description = "Also append the result to this CSV file (header written when it is new).")
        Path csv;

        @Option(names = "--in-peer", description = "Run as a child JVM in namespace " + TestNet.NAMESPACE + ".")
        boolean inPeer;

        /** For picocli. */
        public Echo() {
        }

        @Override
        public Integer call() throws Exception {
            String host = address != null ? address : inPeer ? TestNet.LOCAL_ADDRESS : "127.0.0.1";
            InetAddress ip = InetAddress.ofLiteral(host);
            Targets.check(ip);
            LoadGenerator.Config config = new LoadGenerator.Config(new InetSocketAddress(ip, port), connections,
                    threads, depth, seconds("--warmup", warmup, true), seconds("--duration", duration, false),
                    maxRequests, rate, seconds("--connect-timeout", connectTimeout, false));
            EchoWorkload workload = new EchoWorkload(size);
            PrintWriter out = spec.commandLine().getOut();
            if (inPeer) {
                return inPeer(out, host, config);
            }
            LoadGenerator.Result r = LoadGenerator.run(config, workload);
            out.println(Report.summary(r));
            out.flush();
            if (csv != null) {
                Report.appendCsv(csv, r);
            }
            return r.errors() == 0 && r.lostConnections() == 0 ? 0 : 3;
        }

        private int inPeer(PrintWriter out, String host, LoadGenerator.Config config) throws Exception {
            String why = TestNet.unavailableReason();
            if (why != null) {
                throw new IllegalStateException("bench echo --in-peer: " + why);
            }
            if (!TestNet.status().complete()) {
                throw new IllegalStateException("bench echo --in-peer: the test network is not up (./jix testnet up,"
                        + " then start the server on " + TestNet.LOCAL_IF + ")");
            }
            List<String> args = new ArrayList<>(List.of("bench", "echo", "--address", host,
                    "--port", Integer.toString(port), "--connections", Integer.toString(connections),
                    "--threads", Integer.toString(threads), "--depth", Integer.toString(depth),
                    "--size", Integer.toString(size), "--duration", number(duration), "--warmup", number(warmup),
                    "--rate", number(rate), "--max-requests", Long.toString(maxRequests),
                    "--connect-timeout", number(connectTimeout)));
            if (csv != null) {
                args.addAll(List.of("--csv", csv.toAbsolutePath().toString()));
            }
            // The generator allocates nothing per request: a small serial heap is all it needs.
            List<String> cmd = PeerJvm.command(List.of("-XX:+UseSerialGC", "-Xmx512m", "-Xss1m"), args);
            Duration limit = config.warmup().plus(config.duration()).plus(config.connectTimeout()).plusSeconds(30);
            PeerJvm.Outcome o = PeerJvm.run(cmd, limit);
            out.print(o.out());
            out.flush();
            if (!o.err().isBlank()) {
                spec.commandLine().getErr().print(o.err());
                spec.commandLine().getErr().flush();
            }
            return o.exit();
        }

        private static Duration seconds(String option, double s, boolean zeroAllowed) {
            if (!(s >= 0) || (!zeroAllowed && s == 0) || s > LoadGenerator.MAX_RUN.toSeconds()) {
                throw new IllegalArgumentException(option + " must be " + (zeroAllowed ? ">= 0" : "> 0")
                        + " and at most " + LoadGenerator.MAX_RUN.toSeconds() + " seconds, got " + s);
            }
            return Duration.ofNanos(Math.round(s * 1e9));
        }

        private static String number(double d) {
            return String.format(Locale.ROOT, "%s", d);
        }
    }
}
