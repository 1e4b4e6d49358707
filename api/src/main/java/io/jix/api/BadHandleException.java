package io.jix.api;

/**
 * A call named a handle that is not a live connection of this elastic thread: closed already,
 * never issued, or issued by another thread. The call had no effect.
 */
public final class BadHandleException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message that names the handle and why it was refused. */
    public BadHandleException(String message) {
        super(message);
    }
}
