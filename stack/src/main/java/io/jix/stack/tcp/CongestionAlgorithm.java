package io.jix.stack.tcp;

/** Which congestion control a {@link TcpLayer}'s connections use ({@link TcpConfig#congestionControl()}). */
public enum CongestionAlgorithm {
    /** {@link NewReno}: RFC 5681/6582 (the default). */
    NEW_RENO,
    /** {@link Cubic}: RFC 9438. */
    CUBIC
}
