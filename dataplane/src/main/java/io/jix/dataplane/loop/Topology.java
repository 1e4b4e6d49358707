package io.jix.dataplane.loop;

/**
 * Where elastic threads publish who owns what — the stats file's topology area, which
 * {@code ./jix stats} and the metrics endpoint read. Called by the thread whose ownership changed.
 */
public interface Topology {

    /** Flow group {@code group} is now owned by thread {@code thread}, or moving ({@code -1}). */
    void groupOwner(int group, int thread);

    /** Thread {@code thread} now runs at least one group, or none (it parks). */
    void threadRunning(int thread, boolean running);
}
