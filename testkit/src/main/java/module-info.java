/** Test support shared by every module's tests (a test-scope dependency only). */
module jix.testkit {
    requires transitive jdk.management;
    requires transitive jix.testnet;
    requires org.junit.jupiter.api;
    exports io.jix.testkit;
}
