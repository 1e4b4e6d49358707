package io.jix.loadgen.memcached;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Sweeps written down: a CSV file with one row per server and step (read back by
 * {@link #readCsv}, so runs made one server at a time can be put side by side), and the
 * side-by-side table.
 */
public final class SweepReport {

    /** The CSV columns, in order. */
    public static final String CSV_HEADER = "server,workload,sla_us,target_qps,achieved_qps,seconds,samples,p50_us,"
            + "p90_us,p99_us,p999_us,max_us,errors,lost,late,gets,hits,sets,meets_sla,cpu_ns_per_req,cpu_source,"
            + "process_cpu_ns_per_req,client_cpu_ns_per_req,client_busy,connections,threads,stopped";

    private SweepReport() {
    }

    /** The CSV rows of {@code r}, one per step, matching {@link #CSV_HEADER}. */
    public static List<String> csvRows(Sweep.Result r) {
        List<String> rows = new ArrayList<>();
        for (StepResult s : r.steps()) {
            rows.add(String.format(Locale.ROOT, "%s,%s,%.0f,%.0f,%.1f,%.3f,%d,%.1f,%.1f,%.1f,%.1f,%.1f,%d,%d,%d,%d,%d,%d,"
                            + "%b,%.1f,%s,%.1f,%.1f,%.3f,%d,%d,%s",
                    field(r.server()), field(r.workload()), r.slaUs(), s.targetQps(), s.achievedQps(), s.seconds(),
                    s.samples(), s.p50Us(), s.p90Us(), s.p99Us(), s.p999Us(), s.maxUs(), s.errors(), s.lost(),
                    s.late(), s.gets(), s.hits(), s.sets(), s.meets(r.slaUs()), s.cpuNsPerRequest(),
                    field(s.cpuSource()), s.processCpuNsPerRequest(), s.clientCpuNsPerRequest(), s.clientBusy(), s.connections(),
                    s.threads(), field(r.stopped())));
        }
        return rows;
    }

    /** Writes {@code results} to {@code file}, replacing it. */
    public static void writeCsv(Path file, List<Sweep.Result> results) throws IOException {
        StringBuilder text = new StringBuilder(CSV_HEADER).append('\n');
        for (Sweep.Result r : results) {
            for (String row : csvRows(r)) {
                text.append(row).append('\n');
            }
        }
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /**
     * Reads a file {@link #writeCsv} wrote: one result per server, in the order they first appear.
     *
     * @throws IOException when it cannot be read or is not such a file
     */
    public static List<Sweep.Result> readCsv(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(CSV_HEADER)) {
            throw new IOException(file + " is not a sweep CSV (its first line is not the header)");
        }
        Map<String, List<StepResult>> steps = new LinkedHashMap<>();
        Map<String, String[]> first = new LinkedHashMap<>();
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            String[] f = lines.get(i).split(",", -1);
            if (f.length != 27) {
                throw new IOException(file + ":" + (i + 1) + ": " + f.length + " fields, expected 27");
            }
            try {
                StepResult s = new StepResult(d(f[3]), d(f[4]), d(f[5]), l(f[6]), d(f[7]), d(f[8]), d(f[9]), d(f[10]),
                        d(f[11]), l(f[12]), l(f[13]), l(f[14]), l(f[15]), l(f[16]), l(f[17]), d(f[19]), f[20],
                        d(f[21]), d(f[22]), d(f[23]), (int) l(f[24]), (int) l(f[25]));
                steps.computeIfAbsent(f[0], k -> new ArrayList<>()).add(s);
                first.putIfAbsent(f[0], f);
            } catch (NumberFormatException e) {
                throw new IOException(file + ":" + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        List<Sweep.Result> results = new ArrayList<>();
        for (var e : steps.entrySet()) {
            String[] f = first.get(e.getKey());
            results.add(new Sweep.Result(e.getKey(), f[1], d(f[2]), e.getValue(), f[26]));
        }
        return results;
    }

    /**
     * The side-by-side table: per server the highest rate at which p99 stayed within the SLA,
     * the p50/p99 there, the CPU per request there, and both as ratios to {@code baseline}'s (a
     * server label; ratios are left out when it is absent or has no step within the SLA).
     */
    public static String table(List<Sweep.Result> results, String baseline) {
        Optional<StepResult> base = results.stream().filter(r -> r.server().equals(baseline)).findFirst()
                .flatMap(Sweep.Result::best);
        StringBuilder out = new StringBuilder();
        double sla = results.isEmpty() ? 0 : results.get(0).slaUs();
        out.append(String.format(Locale.ROOT, "| server | max QPS at p99 <= %.0f µs | p50 µs | p99 µs | CPU ns/req "
                + "(source) | server process CPU ns/req | client busy | QPS vs %s | CPU/req vs %s |%n", sla,
                baseline, baseline));
        out.append("|---|---|---|---|---|---|---|---|---|\n");
        for (Sweep.Result r : results) {
            Optional<StepResult> best = r.best();
            if (best.isEmpty()) {
                out.append(String.format(Locale.ROOT, "| %s | none (%s) | | | | | | | |%n", r.server(),
                        r.steps().isEmpty() ? "no step" : "no step within the SLA"));
                continue;
            }
            StepResult s = best.get();
            String qpsRatio = base.map(b -> String.format(Locale.ROOT, "%.2f×", s.achievedQps() / b.achievedQps()))
                    .orElse("");
            String cpuRatio = base.filter(b -> b.cpuNsPerRequest() > 0 && s.cpuNsPerRequest() >= 0)
                    .map(b -> String.format(Locale.ROOT, "%.2f×", s.cpuNsPerRequest() / b.cpuNsPerRequest()))
                    .orElse("");
            out.append(String.format(Locale.ROOT, "| %s | %,.0f | %.0f | %.0f | %s | %s | %s | %s | %s |%n", r.server(),
                    s.achievedQps(), s.p50Us(), s.p99Us(), s.cpuNsPerRequest() < 0 ? "–"
                            : String.format(Locale.ROOT, "%,.0f (%s)", s.cpuNsPerRequest(), s.cpuSource()),
                    ns(s.processCpuNsPerRequest()), String.format(Locale.ROOT, "%.0f%%", 100 * s.clientBusy()),
                    qpsRatio, cpuRatio));
        }
        return out.toString();
    }

    private static String ns(double v) {
        return v < 0 ? "–" : String.format(Locale.ROOT, "%,.0f", v);
    }

    private static String field(String s) {
        return s.replace(',', ';').replace('\n', ' ');
    }

    private static double d(String s) {
        return Double.parseDouble(s);
    }

    private static long l(String s) {
        return Long.parseLong(s);
    }
}
