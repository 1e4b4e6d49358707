/**
 * Load generators for jix's servers: {@link io.jix.loadgen.LoadGenerator} drives connections over
 * plain Java NIO and records latency; a {@link io.jix.loadgen.Workload} says what a request and its
 * reply are (echo today, the memcached protocol next).
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // HdrHistogram's jar names no module; its file name does
module jix.loadgen {
    requires transitive HdrHistogram;
    exports io.jix.loadgen;
}
