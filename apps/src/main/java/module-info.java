/** Applications written against the jix API. */
module jix.apps {
    requires transitive jix.api;
    exports io.jix.apps.echo;
    exports io.jix.apps.memcached;
    exports io.jix.apps.sockperf;
}
