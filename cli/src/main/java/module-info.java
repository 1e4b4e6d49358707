/** The {@code ./jix} command line. */
module jix.cli {
    requires jix.dataplane;
    requires jix.apps;
    requires jix.testnet;
    requires jix.nic;
    requires jix.loadgen;
    requires jix.control;
    requires jix.sys;
    requires info.picocli;
    requires java.desktop;    // PNG plots (java.awt, headless)
    requires java.management; // thread CPU time in benchmarks
    requires jdk.httpserver; // the Prometheus endpoint (--metrics-port, stats --serve-metrics)
    opens io.jix.cli to info.picocli;
}
