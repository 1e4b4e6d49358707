package io.jix.cli;

import io.jix.dataplane.Counter;
import io.jix.dataplane.StatsFile;
import io.jix.dataplane.StatsSnapshot;
import java.util.List;

/**
 * Dataplane snapshots in the Prometheus text exposition format (version 0.0.4). Every series is
 * labelled {@code dataplane} and {@code pid}; per-thread series also {@code thread}. Counters are
 * {@code jix_<counter>_total}, the gauge {@code jix_open_connections}; the batch sizes are the
 * histogram {@code jix_batch_size} (buckets 1, 2, 4 … 32, 63 and +Inf, where +Inf holds the
 * batches of 64 and more; its {@code _sum} is the events counter); the topology is
 * {@code jix_thread_running} (1 or 0) and {@code jix_group_owner} (the owning thread, -1 while the
 * group moves).
 */
final class PrometheusText {

    /** The exposition format's content type. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private static final int[] BUCKETS = {1, 2, 4, 8, 16, 32, 63};

    private PrometheusText() {
    }

    /** The exposition of every snapshot, metric family by metric family. */
    static String render(List<StatsSnapshot> snapshots) {
        StringBuilder b = new StringBuilder(16 * 1024);
        for (Counter c : Counter.values()) {
            String name = "jix_" + c.metricName() + (c.gauge() ? "" : "_total");
            family(b, name, c.label(), c.gauge() ? "gauge" : "counter");
            for (StatsSnapshot s : snapshots) {
                for (int t = 0; t < s.threads(); t++) {
                    sample(b, name, labels(s, "thread", t), s.get(t, c));
                }
            }
        }
        family(b, "jix_batch_size", "events per non-empty batch", "histogram");
        for (StatsSnapshot s : snapshots) {
            for (int t = 0; t < s.threads(); t++) {
                histogram(b, s, t);
            }
        }
        family(b, "jix_thread_running", "1 if the elastic thread runs its loop, 0 if parked", "gauge");
        for (StatsSnapshot s : snapshots) {
            for (int t = 0; t < s.threads(); t++) {
                sample(b, "jix_thread_running", labels(s, "thread", t), s.running(t) ? 1 : 0);
            }
        }
        family(b, "jix_group_owner", "the elastic thread that owns the flow group, -1 while it moves", "gauge");
        for (StatsSnapshot s : snapshots) {
            for (int g = 0; g < s.groups(); g++) {
                sample(b, "jix_group_owner", labels(s, "group", g), s.groupOwner(g));
            }
        }
        family(b, "jix_start_time_seconds", "when the dataplane started, seconds since the epoch", "gauge");
        for (StatsSnapshot s : snapshots) {
            b.append("jix_start_time_seconds").append(labels(s, null, 0)).append(' ')
                    .append(s.startMillis() / 1000.0).append('\n');
        }
        return b.toString();
    }

    private static void histogram(StringBuilder b, StatsSnapshot s, int t) {
        long cumulative = 0;
        int size = 0;
        String thread = labels(s, "thread", t);
        String open = thread.substring(0, thread.length() - 1);
        for (int le : BUCKETS) {
            for (; size <= le; size++) {
                cumulative += s.histogram(t, size);
            }
            b.append("jix_batch_size_bucket").append(open).append(",le=\"").append(le).append("\"} ")
                    .append(cumulative).append('\n');
        }
        for (; size < StatsFile.HISTOGRAM_BUCKETS; size++) {
            cumulative += s.histogram(t, size);
        }
        b.append("jix_batch_size_bucket").append(open).append(",le=\"+Inf\"} ").append(cumulative).append('\n');
        sample(b, "jix_batch_size_sum", thread, s.get(t, Counter.EVENTS));
        sample(b, "jix_batch_size_count", thread, cumulative);
    }

    private static void family(StringBuilder b, String name, String help, String type) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder b, String name, String labels, long value) {
        b.append(name).append(labels).append(' ').append(value).append('\n');
    }

    /** {@code {dataplane="…",pid="…"[,key="index"]}}. */
    private static String labels(StatsSnapshot s, String key, int index) {
        StringBuilder l = new StringBuilder("{dataplane=\"").append(escape(s.name())).append("\",pid=\"")
                .append(s.pid()).append('"');
        if (key != null) {
            l.append(',').append(key).append("=\"").append(index).append('"');
        }
        return l.append('}').toString();
    }

    /** A label value as the format wants it: backslash, double quote and newline escaped. */
    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
