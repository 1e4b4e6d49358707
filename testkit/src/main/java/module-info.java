/** Test support shared by every module's tests (a test-scope dependency only). */
module jix.testkit {
    requires transitive jdk.management;
    exports io.jix.testkit;
}
