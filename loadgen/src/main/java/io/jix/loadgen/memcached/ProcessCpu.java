package io.jix.loadgen.memcached;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's CPU time as the kernel accounts it: {@code utime + stime} from
 * {@code /proc/<pid>/stat} (fields 14 and 15, all threads of the process together), in clock ticks
 * of 10 ms ({@code USER_HZ} is 100 on Linux), converted to nanoseconds. Kernel work done in
 * softirq context on the process's behalf is not in it unless it ran while the process was on CPU.
 */
public final class ProcessCpu implements CpuMeter {

    /** Nanoseconds per clock tick ({@code USER_HZ} = 100). */
    public static final long NANOS_PER_TICK = 10_000_000L;

    private final Path stat;

    private ProcessCpu(Path stat) {
        this.stat = stat;
    }

    /** Process {@code pid}'s CPU time. */
    public static ProcessCpu of(long pid) {
        return new ProcessCpu(Path.of("/proc", Long.toString(pid), "stat"));
    }

    /** This process's CPU time. */
    public static ProcessCpu self() {
        return of(ProcessHandle.current().pid());
    }

    @Override
    public long nanos() {
        try {
            return parse(Files.readString(stat, StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** {@code utime + stime} of a {@code /proc/<pid>/stat} line, in nanoseconds; -1 when malformed. */
    static long parse(String line) {
        int close = line.lastIndexOf(')'); // the command name may hold spaces and parentheses
        if (close < 0) {
            return -1;
        }
        String[] fields = line.substring(close + 1).trim().split(" ");
        // fields[0] is field 3 (state): utime (14) and stime (15) are fields[11] and fields[12].
        if (fields.length < 13) {
            return -1;
        }
        try {
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NANOS_PER_TICK;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
