package io.jix.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./jix}: serve applications on the dataplane, read its counters, manage the test network. */
@Command(name = "jix", mixinStandardHelpOptions = true, version = "jix 0.1.0",
        description = "The IX protected dataplane operating system, in Java.",
        subcommands = {ServeCommand.class, StatsCommand.class, TestnetCommand.class,
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
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
