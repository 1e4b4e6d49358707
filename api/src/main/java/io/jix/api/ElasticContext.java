package io.jix.api;

import java.util.concurrent.Executor;

/**
 * What an application sees of the flow group it serves. A flow group — a NIC queue with its stack
 * instance, or a set of kernel sockets — is the unit an elastic thread owns; the control plane
 * may move a group to another elastic thread between two batches, with its connections, timers
 * and pending events, so the application's per-group state moves with it.
 */
public interface ElasticContext {

    /** The batched calls of this group; valid only on the elastic thread running the group. */
    Calls calls();

    /** This group's index, from 0 to {@code groupCount() - 1}. */
    int groupIndex();

    /** How many flow groups the dataplane has. */
    int groupCount();

    /** The TCP ports the dataplane listens on for this application. */
    int[] tcpPorts();

    /** The UDP ports the dataplane receives on for this application. */
    int[] udpPorts();

    /**
     * Runs tasks for this group on the elastic thread that owns it, between batches. Safe to call
     * from any thread and lock-free: this is how a background thread hands a result back.
     */
    Executor elastic();

    /**
     * Runs tasks that may block (files, DNS, databases) on background threads, never on an
     * elastic thread. Hand results back through {@link #elastic()}.
     */
    Executor background();
}
