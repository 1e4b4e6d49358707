package io.jix.control.tenant;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * A set of CPU ids, written as Linux writes CPU lists ({@code 0-3,6}: {@code taskset -c},
 * {@code Cpus_allowed_list}).
 *
 * @param cpus the ids, ascending, without repeats
 */
public record CpuSet(int[] cpus) {
    /** The highest CPU id + 1 accepted ({@code cpu_set_t}'s size in glibc). */
    public static final int MAX_CPUS = 1024;

    /** Sorts, checks and copies {@code cpus}. */
    public CpuSet {
        cpus = cpus.clone();
        Arrays.sort(cpus);
        for (int i = 0; i < cpus.length; i++) {
            if (cpus[i] < 0 || cpus[i] >= MAX_CPUS) {
                throw new IllegalArgumentException("CPU id out of range 0.." + (MAX_CPUS - 1) + ": " + cpus[i]);
            }
            if (i > 0 && cpus[i] == cpus[i - 1]) {
                throw new IllegalArgumentException("CPU " + cpus[i] + " listed twice");
            }
        }
    }

    /** Parses a CPU list such as {@code 0-3,6} (blanks around items are ignored). */
    public static CpuSet parse(String list) {
        List<Integer> ids = new ArrayList<>();
        for (String item : list.strip().split(",")) {
            String t = item.strip();
            if (t.isEmpty()) {
                throw new IllegalArgumentException("not a CPU list: '" + list + "'");
            }
            try {
                int dash = t.indexOf('-');
                int from = Integer.parseInt(dash < 0 ? t : t.substring(0, dash).strip());
                int to = dash < 0 ? from : Integer.parseInt(t.substring(dash + 1).strip());
                if (to < from || to >= MAX_CPUS) {
                    throw new IllegalArgumentException("not a CPU range: '" + t + "' in '" + list + "'");
                }
                for (int c = from; c <= to; c++) {
                    ids.add(c);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a CPU list: '" + list + "'", e);
            }
        }
        return new CpuSet(ids.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Number of CPUs. */
    public int size() {
        return cpus.length;
    }

    /** A copy of the ids, ascending. */
    @Override
    public int[] cpus() {
        return cpus.clone();
    }

    /** Whether every CPU of {@code other} is in this set. */
    public boolean containsAll(CpuSet other) {
        for (int c : other.cpus) {
            if (Arrays.binarySearch(cpus, c) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether this set and {@code other} have a CPU in common. */
    public boolean overlaps(CpuSet other) {
        for (int c : other.cpus) {
            if (Arrays.binarySearch(cpus, c) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** The CPU list, runs collapsed: {@code 0-3,6}. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < cpus.length; ) {
            int j = i;
            while (j + 1 < cpus.length && cpus[j + 1] == cpus[j] + 1) {
                j++;
            }
            if (!text.isEmpty()) {
                text.append(',');
            }
            text.append(cpus[i]);
            if (j > i) {
                text.append('-').append(cpus[j]);
            }
            i = j + 1;
        }
        return text.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CpuSet other && Arrays.equals(cpus, other.cpus);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(cpus);
    }

    /**
     * The threads of process {@code pid} that may run outside this set, as {@code tid name
     * (Cpus_allowed_list)}, read from {@code /proc/PID/task/*}/status; empty when all are inside (or
     * the process is gone). This is how a tenant's confinement is checked: JIT compiler and GC
     * threads included.
     */
    public List<String> threadsOutside(long pid) {
        List<String> outside = new ArrayList<>();
        Path tasks = Path.of("/proc", Long.toString(pid), "task");
        try (Stream<Path> list = Files.list(tasks)) {
            for (Path task : list.toList()) {
                String name = "?";
                String allowed = null;
                try {
                    for (String line : Files.readAllLines(task.resolve("status"), StandardCharsets.UTF_8)) {
                        if (line.startsWith("Name:")) {
                            name = line.substring(5).strip();
                        } else if (line.startsWith("Cpus_allowed_list:")) {
                            allowed = line.substring(18).strip();
                        }
                    }
                } catch (NoSuchFileException gone) {
                    continue; // the thread ended while we looked
                }
                if (allowed != null && !containsAll(parse(allowed))) {
                    outside.add(task.getFileName() + " " + name + " (" + allowed + ")");
                }
            }
        } catch (NoSuchFileException gone) {
            return List.of();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + tasks + ": " + e.getMessage(), e);
        }
        return outside;
    }
}
