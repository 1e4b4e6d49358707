package io.jix.sys;

import java.io.Serial;

/**
 * A setup call (socket, bind, epoll_ctl, ...) failed. Hot-path calls never throw this: they
 * return {@code -errno} because EAGAIN and friends are routine there.
 */
public final class SysException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    /**
     * @param call   the libc function, e.g. {@code "bind"}
     * @param errno  the error; a negative value (a hot-path result) is taken as its magnitude
     * @param detail the arguments worth reporting, e.g. {@code "fd 7, 198.18.0.1:9000"}; may be null
     */
    public SysException(String call, int errno, String detail) {
        super(call + "(" + (detail == null ? "" : detail) + ") failed: " + Errno.describe(errno));
        this.call = call;
        this.errno = errno < 0 ? -errno : errno;
    }

    /** The (positive) errno. */
    public int errno() {
        return errno;
    }

    /** The libc function that failed. */
    public String call() {
        return call;
    }
}
