package io.jix.cli;

import io.jix.api.Application;
import io.jix.apps.echo.EchoServer;
import io.jix.apps.memcached.MemcachedServer;
import io.jix.apps.sockperf.SockperfServer;
import io.jix.dataplane.BackendKind;
import io.jix.dataplane.Counter;
import io.jix.control.ElasticControl;
import io.jix.control.IxcpPolicy;
import io.jix.dataplane.Dataplane;
import io.jix.dataplane.StatsFile;
import io.jix.sys.Limits;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code ./jix serve APP}: runs an application on the dataplane until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve an application on the dataplane.",
        subcommands = {ServeCommand.Echo.class, ServeCommand.Sockperf.class, ServeCommand.Memcached.class})
final class ServeCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** {@code ./jix serve echo}. */
    @Command(name = "echo", mixinStandardHelpOptions = true,
            description = "Echo every TCP byte and UDP datagram back (default port " + EchoServer.DEFAULT_PORT + ").")
    static final class Echo implements java.util.concurrent.Callable<Integer> {
        @Mixin
        ServeOptions options;

        @Override
        public Integer call() throws InterruptedException {
            return serve("echo", EchoServer.application(), EchoServer.DEFAULT_PORT, options);
        }
    }

    /** {@code ./jix serve sockperf}. */
    @Command(name = "sockperf", mixinStandardHelpOptions = true,
            description = "Answer sockperf ping-pong and under-load like 'sockperf sr', over TCP and UDP"
                    + " (default port " + SockperfServer.DEFAULT_PORT + ").")
    static final class Sockperf implements java.util.concurrent.Callable<Integer> {
        @Mixin
        ServeOptions options;

        @Override
        public Integer call() throws InterruptedException {
            return serve("sockperf", SockperfServer.application(), SockperfServer.DEFAULT_PORT, options);
        }
    }

    /** {@code ./jix serve memcached}. */
    @Command(name = "memcached", mixinStandardHelpOptions = true,
            description = "A memcached server, text protocol over TCP (default port " + MemcachedServer.DEFAULT_PORT
                    + "). UDP is off: memcached's UDP replies amplify spoofed requests.")
    static final class Memcached implements java.util.concurrent.Callable<Integer> {
        @Mixin
        ServeOptions options;

        @picocli.CommandLine.Option(names = "-p", paramLabel = "PORT", description = "TCP port, as memcached's -p"
                + " (same as --port).")
        Integer port;

        @picocli.CommandLine.Option(names = "-m", paramLabel = "MEGABYTES", defaultValue = "64",
                description = "Item memory in MiB; the least recently used items are evicted beyond it"
                        + " (default: ${DEFAULT-VALUE}).")
        long memory;

        @picocli.CommandLine.Option(names = "-c", paramLabel = "N", defaultValue = "1024",
                description = "Most simultaneous connections; more are told so and closed (default: ${DEFAULT-VALUE}).")
        int connections;

        @picocli.CommandLine.Option(names = "-I", paramLabel = "SIZE", defaultValue = "1m",
                description = "Largest value, bytes or with a k or m suffix (default: ${DEFAULT-VALUE}).")
        String itemSize;

        @Override
        public Integer call() throws InterruptedException {
            if (port != null) {
                options.port = port;
            }
            MemcachedServer.Config config = new MemcachedServer.Config(memory, connections, size(itemSize));
            return serve("memcached", MemcachedServer.application(config), MemcachedServer.DEFAULT_PORT, options, false);
        }

        static int size(String text) {
            String t = text.trim().toLowerCase(java.util.Locale.ROOT);
            long unit = t.endsWith("k") ? 1024 : t.endsWith("m") ? 1024 * 1024 : 1;
            String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
            long v;
            try {
                v = Long.parseLong(digits) * unit;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-I: not a size: " + text, e);
            }
            if (v < 1 || v > 128L * 1024 * 1024) {
                throw new IllegalArgumentException("-I: between 1 byte and 128m, not " + text);
            }
            return (int) v;
        }
    }

    static int serve(String name, Application app, int defaultPort, ServeOptions o) throws InterruptedException {
        return serve(name, app, defaultPort, o, true);
    }

    static int serve(String name, Application app, int defaultPort, ServeOptions o, boolean udp)
            throws InterruptedException {
        Limits.raiseOpenFileLimit();
        int port = o.port != null ? o.port : defaultPort;
        if (o.backend == BackendKind.QUEUES) {
            throw new IllegalArgumentException("--backend queues is for programs that open their own NIC queues; "
                    + "use kernel, xdp or packet");
        }
        Dataplane.Builder builder = Dataplane.builder()
                .backend(o.backend)
                .address(o.ip())
                .prefix(o.prefix())
                .tcpPorts(port)
                .idle(o.idle)
                .batch(o.batch)
                .pin(!o.noPin)
                .checkedViews(!o.uncheckedViews)
                .steering(o.steering())
                .name(name);
        if (udp) {
            builder.udpPorts(port);
        }
        int[] cores = o.coreRange();
        if (cores != null) {
            if (o.threads != null) {
                throw new IllegalArgumentException("--cores and --threads: give one of them");
            }
            builder.cores(cores[0], cores[1]);
        } else if (o.backend == BackendKind.KERNEL || o.threads != null) {
            builder.threads(o.threadCount()); // the native backends default to one thread per queue
        }
        if (o.interfaceName != null) {
            builder.interfaceName(o.interfaceName);
        }
        if (o.queues != null) {
            builder.queues(o.queues);
        }
        Dataplane dataplane = builder.start(app);
        // Tenure what start-up built (connection blocks, tables: up to ~1.7 GB with -c 4096 on xdp)
        // before serving: left in the young generation, it is copied by the first young collection,
        // under load — a 250 ms pause on this VM, 17 s into a memcached run (docs/benchmarks.md §6).
        System.gc();
        ElasticControl control = cores == null || cores[0] == cores[1] ? null
                : ElasticControl.start(dataplane, new IxcpPolicy(o.slaMicros * 1_000), CONTROL_INTERVAL, null);
        MetricsEndpoint metrics;
        try {
            metrics = metrics(dataplane, o);
        } catch (IOException | RuntimeException e) {
            if (control != null) {
                control.close();
            }
            dataplane.close();
            throw new IllegalArgumentException("--metrics-port " + o.metricsPort + ": " + e.getMessage(), e);
        }
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            if (metrics != null) {
                metrics.close();
            }
            if (control != null) {
                control.close();
            }
            dataplane.close();
            done.countDown();
        }, "jix-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.out.printf("jix: %s serving on %s:%d (%s), %s backend, %d elastic thread(s)%s, %d flow group(s), idle %s%n",
                name, o.ip().getHostAddress(), dataplane.tcpPorts()[0], udp ? "tcp+udp" : "tcp", o.backend.name().toLowerCase(),
                dataplane.threadCount(), control == null ? "" : " (elastic from " + dataplane.minThreads()
                        + ", SLA " + o.slaMicros + " us)", dataplane.groupCount(), o.idle.name().toLowerCase());
        System.out.printf("jix: commands: ./jix ctl %d help%s%n", ProcessHandle.current().pid(),
                metrics != null ? "; metrics at " + metrics.url() : "");
        System.out.printf("jix: counters in %s (./jix stats); Ctrl-C stops%n", dataplane.statsPath());
        System.out.flush();
        boolean finished = o.durationSeconds != null
                ? done.await(o.durationSeconds, TimeUnit.SECONDS)
                : awaitForever(done);
        if (!finished) {
            System.out.printf("jix: %d s elapsed, stopping; %d events, %d connections accepted, %d app exceptions%n",
                    o.durationSeconds, dataplane.counter(Counter.EVENTS), dataplane.counter(Counter.ACCEPTS),
                    dataplane.counter(Counter.APP_EXCEPTIONS));
            Runtime.getRuntime().removeShutdownHook(hook);
            if (metrics != null) {
                metrics.close();
            }
            if (control != null) {
                control.close();
            }
            dataplane.close();
        }
        return 0;
    }

    /** How often the control plane samples the load and decides. */
    private static final java.time.Duration CONTROL_INTERVAL = java.time.Duration.ofMillis(50);

    /** The metrics endpoint {@code --metrics-port} asks for (null: none), reading the stats file as any process would. */
    private static MetricsEndpoint metrics(Dataplane dataplane, ServeOptions o) throws IOException {
        if (o.metricsPort == 0) {
            return null;
        }
        if (o.metricsPort < 0 || o.metricsPort > 65_535) {
            throw new IllegalArgumentException("a port 1..65535, or 0 for none");
        }
        StatsFile stats = StatsFile.open(dataplane.statsPath());
        // The mapping stays valid after the dataplane deletes its file; it goes with the process.
        return MetricsEndpoint.start(InetAddress.ofLiteral(o.metricsAddress), o.metricsPort,
                () -> List.of(stats.snapshot()));
    }

    private static boolean awaitForever(CountDownLatch done) throws InterruptedException {
        done.await();
        return true;
    }
}
