package io.jix.cli;

import io.jix.api.Application;
import io.jix.apps.echo.EchoServer;
import io.jix.apps.sockperf.SockperfServer;
import io.jix.dataplane.BackendKind;
import io.jix.dataplane.Counter;
import io.jix.dataplane.Dataplane;
import io.jix.sys.Limits;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code ./jix serve APP}: runs an application on the dataplane until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve an application on the dataplane.",
        subcommands = {ServeCommand.Echo.class, ServeCommand.Sockperf.class})
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

    static int serve(String name, Application app, int defaultPort, ServeOptions o) throws InterruptedException {
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
                .udpPorts(port)
                .idle(o.idle)
                .batch(o.batch)
                .pin(!o.noPin)
                .checkedViews(!o.uncheckedViews)
                .steering(o.steering())
                .name(name);
        if (o.backend == BackendKind.KERNEL || o.threads != null) {
            builder.threads(o.threadCount()); // the native backends default to one thread per queue
        }
        if (o.interfaceName != null) {
            builder.interfaceName(o.interfaceName);
        }
        if (o.queues != null) {
            builder.queues(o.queues);
        }
        Dataplane dataplane = builder.start(app);
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            dataplane.close();
            done.countDown();
        }, "jix-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.out.printf("jix: %s serving on %s:%d (tcp+udp), %s backend, %d elastic thread(s), idle %s%n",
                name, o.ip().getHostAddress(), dataplane.tcpPorts()[0], o.backend.name().toLowerCase(),
                dataplane.threadCount(), o.idle.name().toLowerCase());
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
            dataplane.close();
        }
        return 0;
    }

    private static boolean awaitForever(CountDownLatch done) throws InterruptedException {
        done.await();
        return true;
    }
}
