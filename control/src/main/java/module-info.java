/**
 * jix's control plane: it runs beside the dataplanes, never on their data path. The elastic
 * policy ({@code io.jix.control}) decides how many elastic threads a dataplane runs and which
 * thread owns each flow group; the supervisor ({@code io.jix.control.tenant}) starts tenant
 * dataplanes, gives them cores out of a machine budget and restarts one that dies.
 */
module jix.control {
    requires transitive jix.dataplane;
    requires jix.sys;
    requires jix.testnet;
    requires java.management; // thread CPU time, to show what a parked thread costs
    exports io.jix.control;
    exports io.jix.control.tenant;
}
