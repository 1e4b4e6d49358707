package io.jix.cli;

import io.jix.testnet.TenantLinks;
import io.jix.testnet.TestNet;
import io.jix.testnet.TestNetException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ./jix testnet up|down|status}: the test network of {@link TestNet}, a namespace
 * {@value TestNet#NAMESPACE} holding the Linux kernel peer, joined to the root namespace by the veth
 * pair {@value TestNet#LOCAL_IF} ({@value TestNet#LOCAL_ADDRESS}) and {@value TestNet#PEER_IF}
 * ({@value TestNet#PEER_ADDRESS}). Exit code 0 on success, 1 when a command failed (the message
 * says why), 2 on a usage error.
 */
@Command(
        name = "testnet",
        mixinStandardHelpOptions = true,
        versionProvider = TestnetCommand.RootVersion.class,
        description = {
            "Create, remove or show the test network (namespace " + TestNet.NAMESPACE + ", veth "
                    + TestNet.LOCAL_IF + " <-> " + TestNet.PEER_IF + ").",
            "",
            "Namespace " + TestNet.NAMESPACE + " holds the peer (the Linux kernel's own stack), joined to the root"
                    + " namespace by the veth pair " + TestNet.LOCAL_IF + " (" + TestNet.LOCAL_ADDRESS + "/"
                    + TestNet.PREFIX + ", the dataplane side) <-> " + TestNet.PEER_IF + " (" + TestNet.PEER_ADDRESS
                    + "/" + TestNet.PREFIX + ", inside " + TestNet.NAMESPACE + ").",
            "Needs root. Touches nothing but those exact names and addresses."
        },
        subcommands = {TestnetCommand.Up.class, TestnetCommand.Down.class, TestnetCommand.Status.class})
public final class TestnetCommand implements Runnable {
    @Spec
    CommandSpec spec;

    /** For picocli, and for {@code Main}'s {@code addSubcommand}. */
    public TestnetCommand() {}

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing subcommand: up, down or status");
    }

    /** {@code testnet up}. */
    @Command(
            name = "up",
            mixinStandardHelpOptions = true,
            versionProvider = TestnetCommand.RootVersion.class,
            description = {
                "Create the test network, or repair whatever part of it is missing or wrong. Idempotent.",
                "Both veth ends get " + TestNet.QUEUES + " RX and " + TestNet.QUEUES
                        + " TX queues; TX checksum offload is turned off on " + TestNet.PEER_IF + "."
            })
    public static final class Up implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        /** For picocli. */
        public Up() {}

        @Override
        public Integer call() {
            return report(spec, () -> {
                TestNet.Status before = TestNet.status();
                PrintWriter out = spec.commandLine().getOut();
                if (before.complete()) {
                    out.println("test network already up; nothing to do");
                } else {
                    TestNet.up();
                    out.println(before.absent() ? "created the test network" : "repaired the test network");
                }
                out.println(TestNet.status());
            });
        }
    }

    /** {@code testnet down}. */
    @Command(
            name = "down",
            mixinStandardHelpOptions = true,
            versionProvider = TestnetCommand.RootVersion.class,
            description = "Remove " + TestNet.LOCAL_IF + " (and with it " + TestNet.PEER_IF + "), the tenant links ("
                    + TenantLinks.HOST_PREFIX + "<i>, of ./jix control) and the namespace " + TestNet.NAMESPACE
                    + ". Idempotent; touches nothing else.")
    public static final class Down implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        /** For picocli. */
        public Down() {}

        @Override
        public Integer call() {
            return report(spec, () -> {
                PrintWriter out = spec.commandLine().getOut();
                if (TestNet.status().absent()) {
                    out.println("test network already down; nothing to remove");
                } else {
                    TestNet.down();
                    out.println("removed " + TestNet.LOCAL_IF + ", " + TestNet.PEER_IF + ", the tenant links and"
                            + " namespace " + TestNet.NAMESPACE);
                }
            });
        }
    }

    /** {@code testnet status}. */
    @Command(
            name = "status",
            mixinStandardHelpOptions = true,
            versionProvider = TestnetCommand.RootVersion.class,
            description = "Show what exists of the test network: the namespace, both veth ends with their "
                    + "addresses and queue counts, and TX checksum offload on " + TestNet.PEER_IF + ".")
    public static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        /** For picocli. */
        public Status() {}

        @Override
        public Integer call() {
            return report(spec, () -> {
                PrintWriter out = spec.commandLine().getOut();
                out.println(TestNet.status());
                List<Integer> tenants = TenantLinks.present();
                if (!tenants.isEmpty()) {
                    out.println("  tenant links: " + String.join(", ",
                            tenants.stream().map(i -> TenantLinks.pair(i).toString()).toList()));
                }
            });
        }
    }

    /** {@code -V} on these subcommands prints the version of the whole command line. */
    public static final class RootVersion implements IVersionProvider {
        @Spec
        CommandSpec spec;

        /** For picocli. */
        public RootVersion() {}

        @Override
        public String[] getVersion() {
            return spec.root().version();
        }
    }

    /** Runs {@code action}; a {@link TestNetException} becomes one line on stderr and exit code 1. */
    private static int report(CommandSpec spec, Runnable action) {
        try {
            action.run();
            spec.commandLine().getOut().flush();
            return 0;
        } catch (TestNetException e) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("jix testnet " + spec.name() + ": " + e.getMessage());
            err.flush();
            return 1;
        }
    }
}
