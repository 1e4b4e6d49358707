package io.jix.cli;

import io.jix.dataplane.StatsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds running dataplanes by their stats files: every live one in {@link StatsFile#directory()},
 * or those a user named by process id, dataplane name or file path. Files of processes that are
 * gone are deleted on the way (with their command-channel sockets).
 */
final class Dataplanes {

    private Dataplanes() {
    }

    /** Stats files of running dataplanes, opened; the names of unreadable ones go to {@code skipped}. */
    static List<StatsFile> live(List<String> skipped) throws IOException {
        List<StatsFile> result = new ArrayList<>();
        Path dir = StatsFile.directory();
        if (!Files.isDirectory(dir)) {
            return result;
        }
        try (Stream<Path> paths = Files.list(dir)) {
            for (Path p : paths.filter(p -> p.toString().endsWith(".stats")).sorted().toList()) {
                try {
                    StatsFile f = StatsFile.open(p);
                    if (alive(f)) {
                        result.add(f);
                    } else {
                        f.close();
                        Files.deleteIfExists(p); // left behind by a process that died
                        Files.deleteIfExists(p.resolveSibling(p.getFileName() + ".sock"));
                    }
                } catch (IOException e) {
                    // Most often a dataplane of another jix version: not ours to read, nor to remove.
                    skipped.add(p.getFileName() + " (" + e.getMessage().replace(p + " ", "") + ")");
                }
            }
        }
        return result;
    }

    /**
     * The dataplanes {@code target} names: a stats file's path, a process id, or a dataplane name
     * (null: every running one). Never empty: no match is an {@link IllegalArgumentException}.
     */
    static List<StatsFile> select(String target) throws IOException {
        if (target != null && (target.contains("/") || target.endsWith(".stats")) && Files.exists(Path.of(target))) {
            try {
                return List.of(StatsFile.open(Path.of(target)));
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read stats file " + target + ": " + e.getMessage(), e);
            }
        }
        List<String> skipped = new ArrayList<>();
        List<StatsFile> all = live(skipped);
        if (all.isEmpty()) {
            throw new IllegalArgumentException("no running dataplane (no stats files in " + StatsFile.directory() + ")"
                    + (skipped.isEmpty() ? "" : "; skipped " + String.join(", ", skipped)));
        }
        if (target == null) {
            return all;
        }
        List<StatsFile> chosen = all.stream().filter(f -> matches(f, target)).toList();
        all.stream().filter(f -> !chosen.contains(f)).forEach(StatsFile::close);
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException("no running dataplane is " + target + "; running: " + describe(all));
        }
        return chosen;
    }

    /** Whether {@code target} names {@code f} by pid or name. */
    static boolean matches(StatsFile f, String target) {
        return target.equals(f.name()) || target.equals(Long.toString(f.pid()))
                || target.equals(f.path().toString()) || target.equals(f.path().getFileName().toString());
    }

    /** "name (pid N)" for each file, comma-separated. */
    static String describe(List<StatsFile> files) {
        return String.join(", ", files.stream().map(f -> f.name() + " (pid " + f.pid() + ")").toList());
    }

    /**
     * Whether the file's writer still runs: its process exists and started no later than the file
     * (a recycled pid belongs to a younger process).
     */
    static boolean alive(StatsFile f) {
        Optional<ProcessHandle> p = ProcessHandle.of(f.pid());
        if (p.isEmpty() || !p.get().isAlive()) {
            return false;
        }
        Optional<Instant> started = p.get().info().startInstant();
        return started.isEmpty() || !started.get().isAfter(Instant.ofEpochMilli(f.startMillis() + 1000));
    }
}
