/**
 * The Linux C library and system calls, reached from Java through {@code java.lang.foreign}.
 * Applications do not require this module: they work with handles and never see descriptors.
 */
module jix.sys {
    exports io.jix.sys;
}
