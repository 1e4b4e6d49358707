package io.jix.loadgen.memcached;

/**
 * What one rate step of a sweep measured.
 *
 * @param targetQps              the offered rate: requests per second scheduled over all connections
 * @param achievedQps            replies that arrived inside the measured window, per second
 * @param seconds                length of the measured window
 * @param samples                latencies recorded: requests due inside the window (answered, or late)
 * @param p50Us                  latency percentiles in microseconds, each request measured from the
 *                               time it was due to the arrival of its reply
 * @param p90Us                  see {@code p50Us}
 * @param p99Us                  see {@code p50Us}
 * @param p999Us                 see {@code p50Us}
 * @param maxUs                  see {@code p50Us}
 * @param errors                 wrong replies, error lines, and requests lost with a connection
 * @param lost                   connections lost
 * @param late                   requests due in the window still unanswered at the end of the drain
 *                               (recorded with the time they had waited: a lower bound)
 * @param gets                   GETs answered in the step (warm-up included)
 * @param hits                   of which hits (value checked)
 * @param sets                   SETs answered in the step
 * @param cpuNsPerRequest        the server's CPU nanoseconds per reply in the window, by
 *                               {@code cpuSource}; -1 when not measured
 * @param cpuSource              what {@code cpuNsPerRequest} counts: {@code jix-busy} (the
 *                               dataplane's BUSY_NANOS over all elastic threads), {@code process}
 *                               ({@code utime + stime} of the server process) or {@code none}
 * @param processCpuNsPerRequest the server process's {@code utime + stime} per reply; -1 when not measured
 * @param clientCpuNsPerRequest  the generator process's {@code utime + stime} per reply (it polls
 *                               without sleeping at any real rate, so this is about one CPU's worth)
 * @param clientBusy             share of the window the client threads spent in loop iterations
 *                               that sent or received something (1.0: the client is the bottleneck)
 * @param connections            connections
 * @param threads                client threads
 */
public record StepResult(double targetQps, double achievedQps, double seconds, long samples, double p50Us,
                         double p90Us, double p99Us, double p999Us, double maxUs, long errors, long lost, long late,
                         long gets, long hits, long sets, double cpuNsPerRequest, String cpuSource,
                         double processCpuNsPerRequest, double clientCpuNsPerRequest, double clientBusy, int connections,
                         int threads) {

    /** Whether this step kept its promise: no errors, latencies recorded, and p99 within {@code slaUs}. */
    public boolean meets(double slaUs) {
        return errors == 0 && lost == 0 && samples > 0 && p99Us <= slaUs;
    }

    /** GET misses. */
    public long misses() {
        return gets - hits;
    }
}
