/**
 * Elastic threads, the run-to-completion loop and the backends behind the application API.
 * Only the launch surface is exported; connection tables, buffers and backends stay internal.
 */
module jix.dataplane {
    requires transitive jix.api;
    requires jix.sys;
    requires transitive jix.nic;
    requires jix.stack;
    requires jdk.net; // SO_PEERCRED: who is on the other end of the command channel
    exports io.jix.dataplane;
}
