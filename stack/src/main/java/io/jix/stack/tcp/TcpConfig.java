package io.jix.stack.tcp;

/**
 * Limits and timings of a {@link TcpLayer}.
 *
 * @param maxConnections  connection slots (TIME-WAIT included), preallocated
 * @param receiveBuffer   bytes of received data the application may hold before the window closes
 * @param sendBuffer      bytes of unacknowledged application data referenced per connection
 * @param sendSegments    application segments referenced per connection
 * @param oooSegments     out-of-order segments queued per connection
 * @param delayedAckNanos delayed-ACK timer (RFC 9293 §3.8.6.3 allows up to 500 ms; 40 ms as Linux's minimum)
 * @param timeWaitNanos   TIME-WAIT (2 MSL); Linux's TCP_TIMEWAIT_LEN is 60 s
 * @param synRetries      SYN / SYN-ACK retransmissions before giving up (Linux tcp_syn_retries 6)
 * @param dataRetries     data retransmissions by timeout before giving up (Linux tcp_retries2 15)
 * @param challengeAcksPerSecond RFC 5961 §7 rate limit on challenge ACKs, for the whole layer
 * @param nagle           Nagle's algorithm (off by default: latency first)
 * @param congestionControl the congestion control of every connection ({@link CongestionAlgorithm#NEW_RENO} by default)
 */
public record TcpConfig(int maxConnections, int receiveBuffer, int sendBuffer, int sendSegments, int oooSegments,
                        long delayedAckNanos, long timeWaitNanos, int synRetries, int dataRetries,
                        int challengeAcksPerSecond, boolean nagle, CongestionAlgorithm congestionControl) {

    /** Defaults: 1024 connections, 256 KiB buffers, 40 ms delayed ACK, 60 s TIME-WAIT. */
    public static TcpConfig defaults() {
        return new TcpConfig(1024, 256 * 1024, 256 * 1024, 256, 64, 40_000_000L, 60_000_000_000L, 6, 15, 1000,
                false, CongestionAlgorithm.NEW_RENO);
    }

    /** The same with {@link CongestionAlgorithm#NEW_RENO} (the components before congestion control was a choice). */
    public TcpConfig(int maxConnections, int receiveBuffer, int sendBuffer, int sendSegments, int oooSegments,
                     long delayedAckNanos, long timeWaitNanos, int synRetries, int dataRetries,
                     int challengeAcksPerSecond, boolean nagle) {
        this(maxConnections, receiveBuffer, sendBuffer, sendSegments, oooSegments, delayedAckNanos, timeWaitNanos,
                synRetries, dataRetries, challengeAcksPerSecond, nagle, CongestionAlgorithm.NEW_RENO);
    }

    public TcpConfig withTimeWait(long nanos) {
        return new TcpConfig(maxConnections, receiveBuffer, sendBuffer, sendSegments, oooSegments, delayedAckNanos,
                nanos, synRetries, dataRetries, challengeAcksPerSecond, nagle, congestionControl);
    }

    public TcpConfig withMaxConnections(int max) {
        return new TcpConfig(max, receiveBuffer, sendBuffer, sendSegments, oooSegments, delayedAckNanos,
                timeWaitNanos, synRetries, dataRetries, challengeAcksPerSecond, nagle, congestionControl);
    }

    public TcpConfig withBuffers(int receive, int send) {
        return new TcpConfig(maxConnections, receive, send, sendSegments, oooSegments, delayedAckNanos,
                timeWaitNanos, synRetries, dataRetries, challengeAcksPerSecond, nagle, congestionControl);
    }

    /** With {@code algorithm} for every connection. */
    public TcpConfig withCongestionControl(CongestionAlgorithm algorithm) {
        return new TcpConfig(maxConnections, receiveBuffer, sendBuffer, sendSegments, oooSegments, delayedAckNanos,
                timeWaitNanos, synRetries, dataRetries, challengeAcksPerSecond, nagle, algorithm);
    }

    /** Validates. */
    public TcpConfig {
        if (maxConnections < 1 || receiveBuffer < 1024 || receiveBuffer > (1 << 30) || sendBuffer < 1
                || sendSegments < 1 || oooSegments < 1 || delayedAckNanos < 0 || timeWaitNanos < 0
                || synRetries < 0 || dataRetries < 0 || challengeAcksPerSecond < 0) {
            throw new IllegalArgumentException("bad TCP config");
        }
        if (congestionControl == null) {
            throw new IllegalArgumentException("no congestion control");
        }
    }
}
