package io.jix.testnet;

import static java.lang.System.Logger.Level.DEBUG;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs external programs ({@code ip}, {@code ethtool}, whatever a test starts in the peer namespace)
 * with a deadline each. Output goes to temporary files rather than pipes, so a child that leaves a
 * grandchild holding its stdout open cannot make us wait past the deadline. On a timeout the
 * process we started, and its descendants, are killed through their handles; nothing is ever
 * killed by name.
 */
final class Commands {
    private static final System.Logger LOG = System.getLogger("io.jix.testnet");

    /** Directories searched after PATH: {@code ip} and {@code ethtool} live in sbin, which a non-root PATH may lack. */
    private static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin");

    private Commands() {}

    /** What a finished command left behind. */
    record Result(List<String> command, int exitCode, String stdout, String stderr) {
        boolean ok() {
            return exitCode == 0;
        }

        /** Returns stdout, or throws with the command line, exit code and stderr when the command failed. */
        String orThrow() {
            if (!ok()) {
                throw new TestNetException(describe(command) + " exited with " + exitCode + explain(stderr));
            }
            return stdout;
        }
    }

    /** The absolute path of executable {@code name}, searched on PATH and then in the usual system folders. */
    static Optional<Path> find(String name) {
        Set<String> dirs = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    dirs.add(dir);
                }
            }
        }
        dirs.addAll(EXTRA_DIRS);
        for (String dir : dirs) {
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Runs {@code command} to completion or until {@code timeout}; a non-zero exit is not an error here. */
    static Result run(Duration timeout, List<String> command) {
        List<String> line = List.copyOf(command);
        LOG.log(DEBUG, () -> "run: " + describe(line));
        long started = System.nanoTime();
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile("jix-testnet-", ".out");
            err = Files.createTempFile("jix-testnet-", ".err");
            Process process;
            try {
                process = new ProcessBuilder(line)
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(out.toFile())
                        .redirectError(err.toFile())
                        .start();
            } catch (IOException e) {
                throw new TestNetException("cannot start " + describe(line) + ": " + e.getMessage(), e);
            }
            boolean finished;
            try {
                finished = process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                kill(process);
                Thread.currentThread().interrupt();
                throw new TestNetException("interrupted while running " + describe(line), e);
            }
            if (!finished) {
                kill(process);
                String stderr = Files.readString(err, StandardCharsets.UTF_8);
                throw new TestNetException(describe(line) + " timed out after " + timeout.toMillis() + " ms"
                        + explain(stderr));
            }
            Result result = new Result(line, process.exitValue(),
                    Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            LOG.log(DEBUG, () -> "exit " + result.exitCode() + " after "
                    + Duration.ofNanos(System.nanoTime() - started).toMillis() + " ms: " + describe(line)
                    + explain(result.stderr()));
            return result;
        } catch (IOException e) {
            throw new TestNetException("cannot run " + describe(line) + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** Starts {@code command} with pipes for stdin, stdout and stderr; the caller bounds its lifetime. */
    static Process start(List<String> command) {
        List<String> line = List.copyOf(command);
        LOG.log(DEBUG, () -> "start: " + describe(line));
        try {
            return new ProcessBuilder(line).start();
        } catch (IOException e) {
            throw new TestNetException("cannot start " + describe(line) + ": " + e.getMessage(), e);
        }
    }

    /** Kills {@code process} and everything it started, by handle, and waits briefly for it to go. */
    static void kill(Process process) {
        List<ProcessHandle> children = new ArrayList<>();
        process.descendants().forEach(children::add);
        process.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String describe(List<String> command) {
        return "`" + String.join(" ", command) + "`";
    }

    private static String explain(String stderr) {
        String trimmed = stderr == null ? "" : stderr.strip();
        return trimmed.isEmpty() ? "" : ": " + trimmed.replace('\n', ' ');
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // A leftover empty temp file is harmless.
            }
        }
    }
}
