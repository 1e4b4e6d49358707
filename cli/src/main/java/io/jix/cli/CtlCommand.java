package io.jix.cli;

import io.jix.dataplane.CommandClient;
import io.jix.dataplane.Commands;
import io.jix.dataplane.StatsFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./jix ctl [TARGET] COMMAND [ARGS...]}: sends one command to a running dataplane's command
 * channel (a Unix-domain socket next to its stats file) and prints the reply.
 */
@Command(name = "ctl", mixinStandardHelpOptions = true,
        description = {"Send a command to a running dataplane and print its reply (try: ./jix ctl help).",
                "TARGET (a process id, a dataplane name or a stats file) may be left out when one dataplane runs."})
final class CtlCommand implements Callable<Integer> {

    @Option(names = "--timeout", defaultValue = "5000", paramLabel = "MS",
            description = "Give up waiting for the reply after this long (default: ${DEFAULT-VALUE}).")
    long timeoutMillis;

    @Parameters(arity = "1..*", paramLabel = "[TARGET] COMMAND [ARGS]", description = "What to send, and where.")
    List<String> words;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<String> command = new ArrayList<>(words);
        List<StatsFile> files = target(command);
        try {
            if (files.size() > 1) {
                throw new IllegalArgumentException("several dataplanes run (" + Dataplanes.describe(files)
                        + "); name one: ./jix ctl PID " + String.join(" ", command));
            }
            StatsFile f = files.getFirst();
            Path socket = f.commandChannel();
            if (socket == null) {
                throw new IllegalStateException(f.name() + " (pid " + f.pid() + ") has no command channel");
            }
            Commands.Reply reply;
            try {
                reply = CommandClient.send(socket, String.join(" ", command), Duration.ofMillis(timeoutMillis));
            } catch (IOException e) {
                throw new IllegalStateException("cannot reach " + f.name() + " (pid " + f.pid() + ") at " + socket
                        + ": " + e.getMessage(), e);
            }
            PrintWriter to = reply.ok() ? out : err;
            to.print(reply.ok() ? reply.text() : "jix: " + reply.text());
            if (!reply.text().endsWith("\n")) {
                to.println();
            }
            to.flush();
            return reply.ok() ? 0 : 1;
        } finally {
            files.forEach(StatsFile::close);
        }
    }

    /**
     * The dataplane to talk to: the first word when it names a running one and a command follows
     * (it is then removed), else every running dataplane.
     */
    private static List<StatsFile> target(List<String> command) throws IOException {
        if (command.size() >= 2) {
            try {
                List<StatsFile> named = Dataplanes.select(command.getFirst());
                command.removeFirst();
                return named;
            } catch (IllegalArgumentException notATarget) {
                // the first word is the command
            }
        }
        return Dataplanes.select(null);
    }
}
