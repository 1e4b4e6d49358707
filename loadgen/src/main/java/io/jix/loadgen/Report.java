package io.jix.loadgen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * How a {@link LoadGenerator.Result} is written down: one summary line of {@code key=value} pairs
 * (for people and for scripts alike), and CSV rows with a header.
 */
public final class Report {

    /** The CSV columns, in order. */
    public static final String CSV_HEADER = "workload,address,port,connections,threads,depth,rate,seconds,requests,"
            + "requests_per_s,mean_us,p50_us,p90_us,p99_us,p999_us,max_us,errors,lost_connections,sent,stopped_by_count";

    private Report() {
    }

    /**
     * One line: {@code <workload>: rps=... p50_us=... p90_us=... p99_us=... p999_us=... max_us=...
     * requests=... seconds=... errors=... lost=... connections=... threads=... depth=... target=...}.
     */
    public static String summary(LoadGenerator.Result r) {
        LoadGenerator.Config c = r.config();
        return String.format(Locale.ROOT, "%s: rps=%.0f p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f"
                        + " mean_us=%.1f requests=%d seconds=%.2f errors=%d lost=%d connections=%d threads=%d depth=%d"
                        + "%s target=%s:%d%s",
                r.workload(), r.requestsPerSecond(), r.micros(50), r.micros(90), r.micros(99), r.micros(99.9),
                r.maxMicros(), r.meanMicros(), r.requests(), r.seconds(), r.errors(), r.lostConnections(),
                c.connections(), c.threads(), c.depth(), c.rate() > 0 ? String.format(Locale.ROOT, " rate=%.0f",
                        c.rate()) : "", c.target().getAddress().getHostAddress(), c.target().getPort(),
                r.stoppedByCount() ? " stopped_by_count" : "");
    }

    /** The CSV row of {@code r}, matching {@link #CSV_HEADER}. */
    public static String csvRow(LoadGenerator.Result r) {
        LoadGenerator.Config c = r.config();
        return String.format(Locale.ROOT, "%s,%s,%d,%d,%d,%d,%.0f,%.3f,%d,%.1f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%d,%d,%d,%b",
                r.workload(), c.target().getAddress().getHostAddress(), c.target().getPort(), c.connections(),
                c.threads(), c.depth(), c.rate(), r.seconds(), r.requests(), r.requestsPerSecond(), r.meanMicros(),
                r.micros(50), r.micros(90), r.micros(99), r.micros(99.9), r.maxMicros(), r.errors(),
                r.lostConnections(), r.sent(), r.stoppedByCount());
    }

    /** Appends {@code r} to a CSV file, writing the header first when the file is new or empty. */
    public static void appendCsv(Path file, LoadGenerator.Result r) throws IOException {
        boolean fresh = !Files.exists(file) || Files.size(file) == 0;
        String text = (fresh ? CSV_HEADER + "\n" : "") + csvRow(r) + "\n";
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
