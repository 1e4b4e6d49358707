package io.jix.control.tenant;

import io.jix.dataplane.StatsFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What a running supervisor publishes for {@code ./jix control status}: a small text file
 * {@code control-<pid>.status} beside the dataplanes' stats files ({@link StatsFile#directory()}),
 * replaced whole (written aside, then renamed) on every change, so a reader never sees half of
 * one. Lines of tab-separated {@code key=value} fields: a {@code supervisor} line, then one
 * {@code tenant} line per tenant.
 */
public final class StatusFile {
    private static final String PREFIX = "control-";
    private static final String SUFFIX = ".status";

    private StatusFile() {
    }

    /**
     * A supervisor and its tenants.
     *
     * @param pid the supervisor's process id
     * @param startedMillis when it started (epoch milliseconds)
     * @param budget its CPU budget
     * @param tenants its tenants, in configuration order
     */
    public record Snapshot(long pid, long startedMillis, String budget, List<TenantStatus> tenants) {
        /** Copies the list. */
        public Snapshot {
            tenants = List.copyOf(tenants);
        }
    }

    /** Where supervisor {@code pid} publishes. */
    public static Path pathFor(long pid) {
        return StatsFile.directory().resolve(PREFIX + pid + SUFFIX);
    }

    /** Replaces {@code path} with {@code snapshot}. */
    public static void write(Path path, Snapshot snapshot) {
        StringBuilder text = new StringBuilder();
        text.append("supervisor\tpid=").append(snapshot.pid()).append("\tstarted=").append(snapshot.startedMillis())
                .append("\tbudget=").append(clean(snapshot.budget())).append('\n');
        for (TenantStatus t : snapshot.tenants()) {
            text.append("tenant\tname=").append(clean(t.name()))
                    .append("\tapp=").append(clean(t.app()))
                    .append("\tbackend=").append(clean(t.backend()))
                    .append("\tstate=").append(t.state().label())
                    .append("\tpid=").append(t.pid())
                    .append("\trestarts=").append(t.restarts())
                    .append("\tcpus=").append(clean(t.cpus()))
                    .append("\tinterface=").append(clean(t.interfaceName()))
                    .append("\taddress=").append(clean(t.address()))
                    .append("\tport=").append(t.port())
                    .append("\tsince=").append(t.sinceMillis())
                    .append("\tlast-exit=").append(clean(t.lastExit()))
                    .append("\tlog=").append(clean(t.log()))
                    .append('\n');
        }
        try {
            Files.createDirectories(path.getParent());
            Path aside = path.resolveSibling(path.getFileName() + ".new");
            Files.writeString(aside, text, StandardCharsets.UTF_8);
            Files.move(aside, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
    }

    /** Reads a status file back. */
    public static Snapshot read(Path path) throws IOException {
        List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.getFirst().startsWith("supervisor\t")) {
            throw new IOException(path + " is not a jix control status file");
        }
        Map<String, String> head = fields(lines.getFirst());
        List<TenantStatus> tenants = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (!line.startsWith("tenant\t")) {
                continue;
            }
            Map<String, String> f = fields(line);
            try {
                tenants.add(new TenantStatus(f.get("name"), f.get("app"), f.get("backend"),
                        TenantState.valueOf(f.get("state").toUpperCase(java.util.Locale.ROOT)),
                        Long.parseLong(f.get("pid")), Integer.parseInt(f.get("restarts")), f.get("cpus"),
                        f.get("interface"), f.get("address"), Integer.parseInt(f.get("port")),
                        Long.parseLong(f.get("since")), f.get("last-exit"), f.get("log")));
            } catch (RuntimeException e) {
                throw new IOException(path + ": cannot read tenant line '" + line + "': " + e, e);
            }
        }
        try {
            return new Snapshot(Long.parseLong(head.get("pid")), Long.parseLong(head.get("started")),
                    head.get("budget"), tenants);
        } catch (RuntimeException e) {
            throw new IOException(path + ": cannot read supervisor line: " + e, e);
        }
    }

    /**
     * The status files of running supervisors, oldest pid first; files left by supervisors that
     * are gone are removed.
     */
    public static List<Path> running() throws IOException {
        Path dir = StatsFile.directory();
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.sorted().toList()) {
                String n = p.getFileName().toString();
                if (!n.startsWith(PREFIX) || !n.endsWith(SUFFIX)) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(n.substring(PREFIX.length(), n.length() - SUFFIX.length()));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (ProcessHandle.of(pid).isPresent()) {
                    found.add(p);
                } else {
                    try {
                        Files.deleteIfExists(p);
                    } catch (NoSuchFileException ignored) {
                        // another reader removed it first
                    }
                }
            }
        }
        return found;
    }

    private static Map<String, String> fields(String line) {
        Map<String, String> f = new HashMap<>();
        for (String field : line.split("\t")) {
            int eq = field.indexOf('=');
            if (eq > 0) {
                f.put(field.substring(0, eq), field.substring(eq + 1));
            }
        }
        return f;
    }

    private static String clean(String value) {
        return value == null || value.isEmpty() ? "-" : value.replace('\t', ' ').replace('\n', ' ');
    }
}
