package io.jix.cli;

import io.jix.sys.Errno;
import io.jix.sys.SysException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./jix}: serve applications on the dataplane, read its counters, manage the test network. */
@Command(name = "jix", mixinStandardHelpOptions = true, version = "jix 0.1.0",
        description = "The IX protected dataplane operating system, in Java.",
        subcommands = {ServeCommand.class, StatsCommand.class, CtlCommand.class, TestnetCommand.class,
                NicCommand.class, BenchCommand.class, DemoCommand.class, ControlCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs the command line and exits with its status. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, for tests. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main())
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler(Main::explain);
        cl.getSubcommands().get("ctl").setStopAtPositional(true); // a command's own arguments may start with '-'
        return cl;
    }

    /** Expected failures (bad address, port in use, no privileges) get one line, not a stack trace. */
    private static int explain(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) throws Exception {
        if (e instanceof SysException se) {
            cmd.getErr().println("jix: " + se.getMessage() + hint(se.errno()));
            return 1;
        }
        if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
                || e instanceof UnsupportedOperationException) {
            cmd.getErr().println("jix: " + e.getMessage());
            return 1;
        }
        throw e;
    }

    private static String hint(int errno) {
        return switch (errno) {
            case Errno.EADDRNOTAVAIL -> " (no interface has that address; for the test network run ./jix testnet up)";
            case Errno.EADDRINUSE -> " (something else serves that port; pick another with --port)";
            case Errno.EACCES, Errno.EPERM -> " (needs more privileges: run as root or pick a port above 1023)";
            case Errno.EMFILE -> " (too many open files; raise ulimit -n)";
            default -> "";
        };
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
