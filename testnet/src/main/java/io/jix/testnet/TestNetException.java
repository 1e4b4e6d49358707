package io.jix.testnet;

import java.io.Serial;

/** A test-network command failed, timed out, or could not be started; the message says which and why. */
public final class TestNetException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** @param message what failed, including the command line and its stderr when there was one */
    public TestNetException(String message) {
        super(message);
    }

    /**
     * @param message what failed
     * @param cause the underlying error
     */
    public TestNetException(String message, Throwable cause) {
        super(message, cause);
    }
}
