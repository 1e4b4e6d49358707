package io.jix.api;

/** Outcomes carried by {@code connected}, {@code dead} and {@code udpSent}, and returned by calls. */
public final class Status {

    /** It worked. */
    public static final int OK = 0;
    /** The peer closed its side (FIN). */
    public static final int PEER_CLOSED = 1;
    /** The peer reset the connection. */
    public static final int RESET = 2;
    /** The peer refused the connection. */
    public static final int REFUSED = 3;
    /** No answer in time. */
    public static final int TIMED_OUT = 4;
    /** No route to the peer. */
    public static final int UNREACHABLE = 5;
    /** The dataplane ran out of a resource (descriptors, buffers, connection slots). */
    public static final int NO_RESOURCES = 6;
    /** The send would block; try again after {@code sent}. */
    public static final int WOULD_BLOCK = 7;
    /** Any other failure. */
    public static final int ERROR = 8;

    private static final String[] NAMES = {
        "OK", "PEER_CLOSED", "RESET", "REFUSED", "TIMED_OUT", "UNREACHABLE", "NO_RESOURCES",
        "WOULD_BLOCK", "ERROR"
    };

    private Status() {
    }

    /** The constant's name, for logs. */
    public static String name(int status) {
        return status >= 0 && status < NAMES.length ? NAMES[status] : "STATUS_" + status;
    }
}
