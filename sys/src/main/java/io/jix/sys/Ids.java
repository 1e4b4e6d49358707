package io.jix.sys;

/** Process and thread identity. */
public final class Ids {
    private Ids() {}

    /** Whether the effective user is root, i.e. privileged setup (AF_XDP, huge pages) may work. */
    public static boolean isRoot() {
        try {
            return (int) Libc.GETEUID.invokeExact() == 0;
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** getpid(). */
    public static int pid() {
        try {
            return (int) Libc.GETPID.invokeExact();
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }

    /** The kernel thread id of the calling (platform) thread, as shown in /proc/PID/task. */
    public static int gettid() {
        try {
            return (int) Libc.GETTID.invokeExact();
        } catch (Throwable t) {
            throw Libc.unexpected(t);
        }
    }
}
