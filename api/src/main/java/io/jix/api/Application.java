package io.jix.api;

/**
 * A jix application: the dataplane calls {@link #start} once on each elastic thread, on that
 * thread, and from then on delivers that thread's event conditions to what it returns.
 */
@FunctionalInterface
public interface Application {

    /**
     * Creates the per-thread half of the application. Nothing is shared between elastic threads
     * unless the application shares it itself.
     *
     * @param context the elastic thread's calls, identity and hand-off points
     * @return the receiver of this thread's event conditions
     */
    EventConditions start(ElasticContext context);
}
