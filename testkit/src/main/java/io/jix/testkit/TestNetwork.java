package io.jix.testkit;

import io.jix.testnet.TestNet;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;

/**
 * The rule every test that needs the test network follows, in one place. A test class holds the
 * network from {@link #upOrSkip} to {@link #down}: an exclusive lock on a machine-wide file keeps
 * two test JVMs (two checkouts building at once) from attaching programs to the same interface.
 */
public final class TestNetwork {

    private static final Duration WAIT = Duration.ofMinutes(20);
    private static FileChannel channel;
    private static FileLock held;
    private static int depth;

    private TestNetwork() {
    }

    /**
     * Brings the test network up. Where it cannot exist (not root, no {@code ip}), the test is
     * skipped with the reason in one line — except under {@code CI=true}, where it fails.
     */
    public static void upOrSkip() {
        skipUnless(TestNet.unavailableReason());
        hold();
        TestNet.up();
    }

    /** Skips (or, under {@code CI=true}, fails) when {@code reason} is not null. */
    public static void skipUnless(String reason) {
        if (reason == null) {
            return;
        }
        if (TestNet.required()) {
            throw new AssertionError("CI=true: " + reason);
        }
        Assumptions.abort(reason);
    }

    /** Takes the test network down if it could have been brought up here, and lets other JVMs have it. */
    public static void down() {
        if (TestNet.unavailableReason() == null) {
            try {
                TestNet.down();
            } finally {
                release();
            }
        }
    }

    private static synchronized void hold() {
        if (depth++ > 0) {
            return;
        }
        Path file = Path.of(Files.isWritable(Path.of("/run/lock")) ? "/run/lock" : System.getProperty("java.io.tmpdir"),
                "jix-testnet-user.lock");
        long deadline = System.nanoTime() + WAIT.toNanos();
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            while ((held = channel.tryLock()) == null) {
                if (System.nanoTime() - deadline > 0) {
                    depth--;
                    channel.close();
                    throw new AssertionError("another test run has held " + file + " for " + WAIT.toMinutes() + " min");
                }
                Thread.sleep(100);
            }
        } catch (IOException e) {
            depth--;
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            depth--;
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for the test network", e);
        }
    }

    private static synchronized void release() {
        if (depth == 0 || --depth > 0) {
            return;
        }
        try {
            held.release();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            held = null;
            channel = null;
        }
    }
}
