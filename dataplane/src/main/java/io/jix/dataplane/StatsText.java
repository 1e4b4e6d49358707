package io.jix.dataplane;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The plain-text dump of a {@link StatsSnapshot}: one row per counter (its {@link
 * Counter#metricName()}), one column per elastic thread, then the total; the batch-size histogram
 * (rows {@code batch_size_N}, sizes no thread has run left out); each thread's state and flow
 * groups. The reply of the command channel's {@code stats} and what {@code ./jix stats --all} prints,
 * split on blanks by scripts and tests.
 */
public final class StatsText {

    private StatsText() {
    }

    /** The dump of {@code s}. */
    public static String counters(StatsSnapshot s) {
        int threads = s.threads();
        StringBuilder b = new StringBuilder();
        b.append(String.format("# %s, pid %d, %d elastic thread(s), %d flow group(s)%n", s.name(), s.pid(), threads,
                s.groups()));
        row(b, "counter", i -> i < threads ? Integer.toString(i) : "total", threads);
        for (Counter c : Counter.values()) {
            row(b, c.metricName(), i -> Long.toString(i < threads ? s.get(i, c) : s.sum(c)), threads);
        }
        for (int size = 1; size < StatsFile.HISTOGRAM_BUCKETS; size++) {
            long[] h = new long[threads];
            for (int t = 0; t < threads; t++) {
                h[t] = s.histogram(t, size);
            }
            long total = Arrays.stream(h).sum();
            if (total > 0) {
                String name = "batch_size_" + size + (size == StatsFile.HISTOGRAM_BUCKETS - 1 ? "+" : "");
                row(b, name, i -> Long.toString(i < threads ? h[i] : total), threads);
            }
        }
        row(b, "state", i -> i < threads ? (s.running(i) ? "running" : "parked") : "", threads);
        row(b, "groups", i -> i < threads ? groups(s.groupsOf(i)) : groups(s.groupsOf(StatsFile.IN_TRANSIT)),
                threads);
        return b.toString();
    }

    /** Flow groups as {@code 0,4,8}, or {@code -} for none. */
    public static String groups(int[] groups) {
        return groups.length == 0 ? "-" : Arrays.stream(groups).mapToObj(Integer::toString)
                .collect(Collectors.joining(","));
    }

    private static void row(StringBuilder b, String name, java.util.function.IntFunction<String> cell, int threads) {
        b.append(String.format("%-24s", name));
        for (int i = 0; i <= threads; i++) {
            b.append(' ').append(String.format("%14s", cell.apply(i)));
        }
        // The last column (total, or the groups in transit) may be blank: no trailing spaces.
        int end = b.length();
        while (b.charAt(end - 1) == ' ') {
            end--;
        }
        b.setLength(end);
        b.append('\n');
    }
}
