package io.jix.control.tenant;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A started tenant process as the {@link Supervisor} sees it: a {@link Process} in production
 * ({@link #starter()}), a fake in tests.
 */
public interface TenantProcess {

    /** Starts a tenant's command line with its output appended to a log file. */
    @FunctionalInterface
    interface Starter {
        /** Starts {@code command}; stdin is empty, stdout and stderr are appended to {@code log}. */
        TenantProcess start(List<String> command, Path log) throws IOException;
    }

    /** Its process id. */
    long pid();

    /** Completes when it has exited. */
    CompletableFuture<?> onExit();

    /** Whether it still runs. */
    boolean isAlive();

    /** Its exit status once exited ({@code 128 + N} when signal N ended it). */
    int exitValue();

    /** Asks it to stop (SIGTERM: {@code ./jix serve} closes its dataplane and exits). */
    void terminate();

    /** Ends it at once (SIGKILL). */
    void kill();

    /** The real starter: {@link ProcessBuilder}, output appended to the log. */
    static Starter starter() {
        return (command, log) -> {
            Process p = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            return new TenantProcess() {
                @Override
                public long pid() {
                    return p.pid();
                }

                @Override
                public CompletableFuture<?> onExit() {
                    return p.onExit();
                }

                @Override
                public boolean isAlive() {
                    return p.isAlive();
                }

                @Override
                public int exitValue() {
                    return p.exitValue();
                }

                @Override
                public void terminate() {
                    p.destroy();
                }

                @Override
                public void kill() {
                    p.destroyForcibly();
                }
            };
        };
    }
}
