package io.jix.loadgen.memcached;

/** A CPU-time counter sampled before and after a measured window; -1 when it cannot be read. */
@FunctionalInterface
public interface CpuMeter {

    /** A meter that never has a value. */
    CpuMeter NONE = () -> -1;

    /** CPU nanoseconds so far (any origin), or -1. */
    long nanos();
}
