/**
 * Load generators for jix's servers: {@link io.jix.loadgen.LoadGenerator} drives connections over
 * plain Java NIO and records latency; a {@link io.jix.loadgen.Workload} says what a request and its
 * reply are. {@code io.jix.loadgen.memcached} is the open-loop memcached generator (Poisson
 * arrivals, ETC and USR workloads, QPS sweeps, CSV and a PNG plot).
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // HdrHistogram's jar names no module; its file name does
module jix.loadgen {
    requires transitive HdrHistogram;
    requires java.desktop; // the sweep plot: java.awt on a headless image, javax.imageio
    exports io.jix.loadgen;
    exports io.jix.loadgen.memcached;
}
