package io.jix.api;

/**
 * A jix application: the dataplane calls {@link #start} once for each flow group, on the elastic
 * thread that first runs it, and from then on delivers that group's event conditions to what it
 * returns — on whichever elastic thread owns the group at the time, never on two at once.
 */
@FunctionalInterface
public interface Application {

    /**
     * Creates the per-group half of the application. Nothing is shared between flow groups unless
     * the application shares it itself (and then it must be thread-safe: two groups may run on two
     * threads).
     *
     * @param context the flow group's calls, identity and hand-off points
     * @return the receiver of this group's event conditions
     */
    EventConditions start(ElasticContext context);
}
