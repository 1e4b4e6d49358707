package io.jix.testkit;

import io.jix.testnet.TestNet;
import org.junit.jupiter.api.Assumptions;

/**
 * The rule every test that needs the test network follows, in one place. A test class holds the
 * network from {@link #upOrSkip} to {@link #down} ({@link TestNet#acquire()}), so two test JVMs
 * never use the same interfaces at once.
 */
public final class TestNetwork {

    private TestNetwork() {
    }

    /**
     * Brings the test network up. Where it cannot exist (not root, no {@code ip}), the test is
     * skipped with the reason in one line — except under {@code CI=true}, where it fails.
     */
    public static void upOrSkip() {
        skipUnless(TestNet.unavailableReason());
        TestNet.acquire();
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
                TestNet.release();
            }
        }
    }
}
