package io.jix.cli;

import io.jix.control.tenant.ChildJvm;
import io.jix.testnet.TestNet;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs this command line again as a child JVM inside the test network's peer namespace ({@code ip
 * netns exec jix-peer java ... io.jix.cli.Main ARGS}), on the same module path (or class path, under
 * tests) as this JVM, bounded in time and ended through its own process handle.
 */
final class PeerJvm {

    /** What the child printed and how it ended. */
    record Outcome(int exit, String out, String err) {
    }

    private PeerJvm() {
    }

    /** The child's command line: java, its options, then {@code io.jix.cli.Main} with {@code args}. */
    static List<String> command(List<String> jvmOptions, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", TestNet.NAMESPACE));
        cmd.addAll(local(jvmOptions, args));
        return cmd;
    }

    /** The same command line without the namespace: this command line again, as a child JVM here. */
    static List<String> local(List<String> jvmOptions, List<String> args) {
        return ChildJvm.ofThisProcess(jvmOptions, "jix.cli", Main.class.getName(), PeerJvm.class).with(args);
    }

    /**
     * Runs {@code command} to its end, at most {@code limit}, handing each line it prints on stdout
     * to {@code lines} as it comes; stderr is collected. Ended through its handle at the limit, as
     * {@link #run}.
     */
    static Outcome stream(List<String> command, Duration limit, Consumer<String> lines)
            throws IOException, InterruptedException {
        Path stderr = Files.createTempFile("jix-peer-jvm", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null")
                    .toFile())).redirectError(stderr.toFile()).start();
            Thread reader = Thread.ofPlatform().daemon().name("child-stdout-" + p.pid()).start(() -> {
                try (BufferedReader in = p.inputReader(StandardCharsets.UTF_8)) {
                    for (String line; (line = in.readLine()) != null; ) {
                        lines.accept(line);
                    }
                } catch (IOException ignored) {
                    // the child ended or was ended: nothing more to read
                }
            });
            try {
                if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("the child JVM (pid " + p.pid() + ") still ran after "
                            + limit.toSeconds() + " s; stopped it");
                }
            } finally {
                end(p);
                reader.join(2000);
            }
            return new Outcome(p.exitValue(), "", Files.readString(stderr, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(stderr);
        }
    }

    /** Ends {@code p} if it still runs: destroy, then destroyForcibly, through its handle. */
    static void end(Process p) throws InterruptedException {
        if (p.isAlive()) {
            p.destroy();
            if (!p.waitFor(2, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(2, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Runs {@code command} to its end, at most {@code limit}; stdin is /dev/null, stdout and stderr
     * are collected. A child still running at the limit is ended (destroy, then destroyForcibly,
     * both through its handle) and reported as an {@link IllegalStateException}.
     */
    static Outcome run(List<String> command, Duration limit) throws IOException, InterruptedException {
        Path stdout = Files.createTempFile("jix-peer-jvm", ".out");
        Path stderr = Files.createTempFile("jix-peer-jvm", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null")
                    .toFile())).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
            try {
                if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("the child JVM in " + TestNet.NAMESPACE + " (pid " + p.pid()
                            + ") still ran after " + limit.toSeconds() + " s; stopped it");
                }
            } finally {
                end(p);
            }
            return new Outcome(p.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8),
                    Files.readString(stderr, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }
}
