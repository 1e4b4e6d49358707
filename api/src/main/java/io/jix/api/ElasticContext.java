package io.jix.api;

import java.util.concurrent.Executor;

/** What an application sees of the elastic thread it runs on. */
public interface ElasticContext {

    /** The batched calls of this thread; valid only on this thread. */
    Calls calls();

    /** This thread's index, from 0 to {@code threadCount() - 1}. */
    int threadIndex();

    /** How many elastic threads the dataplane runs. */
    int threadCount();

    /** The TCP ports the dataplane listens on for this application. */
    int[] tcpPorts();

    /** The UDP ports the dataplane receives on for this application. */
    int[] udpPorts();

    /**
     * Runs tasks on this elastic thread, between batches. Safe to call from any thread and
     * lock-free: this is how a background thread hands a result back.
     */
    Executor elastic();

    /**
     * Runs tasks that may block (files, DNS, databases) on background threads, never on an
     * elastic thread. Hand results back through {@link #elastic()}.
     */
    Executor background();
}
