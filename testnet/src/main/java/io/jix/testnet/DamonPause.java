package io.jix.testnet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Pauses the kernel's DAMON monitors for the length of a measurement and turns them back on
 * after. Some VMs (this project's CI machines among them) run a DAMON {@code pageout} scheme over
 * physical memory that returns cold pages to the host every aggregation interval (5 s here): the
 * unmapping and TLB shoot-downs stall every process for milliseconds, Linux's own sockperf
 * included ({@code scripts/vm-floor.sh}: 21 of 25 seconds over a 500 µs p99 with it running, 2
 * of 25 paused). A benchmark that wants the dataplane's latency, not the host's memory
 * management, may pause it — openly, as it would pin CPUs — and must restore it; {@link #close}
 * and a shutdown hook both do. Needs root; without DAMON it does nothing.
 */
public final class DamonPause implements AutoCloseable {

    private static final Path KDAMONDS = Path.of("/sys/kernel/mm/damon/admin/kdamonds");

    private final List<Path> paused;
    private final Thread hook;

    private DamonPause(List<Path> paused) {
        this.paused = paused;
        this.hook = new Thread(this::restore, "jix-damon-restore");
        if (!paused.isEmpty()) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
    }

    /** Turns every running kdamond off; returns the pause, to be closed when the measurement ends. */
    public static DamonPause pause() throws IOException {
        List<Path> off = new ArrayList<>();
        if (Files.isDirectory(KDAMONDS)) {
            try (Stream<Path> dirs = Files.list(KDAMONDS)) {
                for (Path dir : dirs.filter(Files::isDirectory).sorted().toList()) {
                    Path state = dir.resolve("state");
                    if (Files.isRegularFile(state) && Files.readString(state).strip().equals("on")) {
                        Files.writeString(state, "off");
                        off.add(state);
                    }
                }
            }
        }
        return new DamonPause(off);
    }

    /** How many monitors this pause turned off (0: none was running, or there is no DAMON). */
    public int paused() {
        return paused.size();
    }

    /** Turns the paused monitors back on. */
    @Override
    public void close() {
        restore();
        if (!paused.isEmpty()) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or ran: it restored them
            }
        }
    }

    private synchronized void restore() {
        for (Path state : paused) {
            try {
                if (!Files.readString(state).strip().equals("on")) {
                    Files.writeString(state, "on");
                }
            } catch (IOException e) {
                System.err.println("jix: could not turn DAMON back on (" + state + "): " + e.getMessage());
            }
        }
    }
}
