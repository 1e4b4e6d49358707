package io.jix.cli;

import io.jix.dataplane.Counter;
import io.jix.dataplane.StatsFile;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./jix stats}: the counters of running dataplanes, read from their stats files. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Show the per-thread counters of running dataplanes (read while they run).")
final class StatsCommand implements Callable<Integer> {

    @Option(names = {"-w", "--watch"}, description = "Refresh until interrupted, with rates per second.")
    boolean watch;

    @Option(names = "--interval", defaultValue = "1", paramLabel = "SECONDS",
            description = "Refresh interval with --watch (default: ${DEFAULT-VALUE}).")
    double interval;

    @Option(names = "--count", paramLabel = "N", description = "With --watch, stop after N refreshes.")
    Integer count;

    @Option(names = "--all", description = "Print every counter, not just the summary columns.")
    boolean all;

    @Parameters(arity = "0..1", paramLabel = "FILE",
            description = "A stats file (default: every running dataplane's, in " + "/dev/shm/jix).")
    Path file;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<StatsFile> files = open();
        if (files.isEmpty()) {
            out.println("jix: no running dataplane (no stats files in " + StatsFile.directory() + ")");
            return 1;
        }
        try {
            if (!watch) {
                files.forEach(f -> print(out, f, null, 0));
                return 0;
            }
            long[][][] previous = new long[files.size()][][];
            long last = System.nanoTime();
            for (int round = 0; count == null || round < count; round++) {
                Thread.sleep((long) (interval * 1000));
                long now = System.nanoTime();
                out.print("\033[H\033[2J");
                for (int i = 0; i < files.size(); i++) {
                    previous[i] = print(out, files.get(i), previous[i], (now - last) / 1e9);
                }
                last = now;
                out.flush();
            }
            return 0;
        } finally {
            files.forEach(StatsFile::close);
        }
    }

    private List<StatsFile> open() throws IOException {
        List<StatsFile> result = new ArrayList<>();
        if (file != null) {
            try {
                result.add(StatsFile.open(file));
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read stats file " + file + ": " + e.getMessage(), e);
            }
            return result;
        }
        Path dir = StatsFile.directory();
        if (!Files.isDirectory(dir)) {
            return result;
        }
        try (Stream<Path> paths = Files.list(dir)) {
            for (Path p : paths.filter(p -> p.toString().endsWith(".stats")).sorted().toList()) {
                try {
                    StatsFile f = StatsFile.open(p);
                    if (ProcessHandle.of(f.pid()).isPresent()) {
                        result.add(f);
                    } else {
                        f.close();
                        Files.deleteIfExists(p); // left behind by a process that died
                    }
                } catch (IOException e) {
                    spec.commandLine().getErr().println("jix: skipping " + p + ": " + e.getMessage());
                }
            }
        }
        return result;
    }

    /** Prints one dataplane; returns the values shown, for rates on the next round. */
    long[][] print(PrintWriter out, StatsFile f, long[][] before, double seconds) {
        out.printf("%s  pid %d  %d elastic thread(s)  %s%n", f.name(), f.pid(), f.threads(), f.path());
        Counter[] shown = {Counter.EVENTS, Counter.BATCHES, Counter.RX_BYTES, Counter.TX_BYTES,
            Counter.OPEN_CONNECTIONS, Counter.ACCEPTS, Counter.APP_EXCEPTIONS, Counter.BAD_HANDLES};
        Counter[] columns = all ? Counter.values() : shown;
        long[][] now = new long[f.threads()][Counter.values().length];
        StringBuilder header = new StringBuilder(String.format("%-7s", "thread"));
        for (Counter c : columns) {
            header.append(String.format(" %16s", c.label()));
        }
        header.append(String.format(" %10s %7s", "avg batch", "idle"));
        out.println(header);
        for (int t = 0; t < f.threads(); t++) {
            for (Counter c : Counter.values()) {
                now[t][c.ordinal()] = f.get(t, c);
            }
            StringBuilder row = new StringBuilder(String.format("%-7d", t));
            for (Counter c : columns) {
                long v = now[t][c.ordinal()];
                if (before != null && c != Counter.OPEN_CONNECTIONS) {
                    row.append(String.format(" %14.0f/s", (v - before[t][c.ordinal()]) / seconds));
                } else {
                    row.append(String.format(" %16d", v));
                }
            }
            long[] base = before != null ? before[t] : new long[now[t].length];
            long events = now[t][Counter.EVENTS.ordinal()] - base[Counter.EVENTS.ordinal()];
            long batches = now[t][Counter.BATCHES.ordinal()] - base[Counter.BATCHES.ordinal()];
            long idle = now[t][Counter.IDLE_NANOS.ordinal()] - base[Counter.IDLE_NANOS.ordinal()];
            long busy = now[t][Counter.BUSY_NANOS.ordinal()] - base[Counter.BUSY_NANOS.ordinal()];
            row.append(String.format(" %10.2f %6.1f%%", batches == 0 ? 0.0 : (double) events / batches,
                    idle + busy == 0 ? 100.0 : 100.0 * idle / (idle + busy)));
            out.println(row);
        }
        out.println("batch sizes (count per size):");
        for (int t = 0; t < f.threads(); t++) {
            StringBuilder h = new StringBuilder("  thread " + t + ":");
            for (int size = 1; size < StatsFile.HISTOGRAM_BUCKETS; size++) {
                long n = f.histogram(t, size);
                if (n > 0) {
                    h.append(' ').append(size == StatsFile.HISTOGRAM_BUCKETS - 1 ? "64+" : size).append('=').append(n);
                }
            }
            out.println(h);
        }
        out.println();
        return now;
    }
}
