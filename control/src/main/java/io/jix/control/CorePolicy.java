package io.jix.control;

/**
 * Decides how many elastic threads a dataplane should run. It sees one {@link LoadSample} per
 * control interval and answers with a thread count; the control loop clamps the answer to the
 * configured range and moves flow groups to match. Implementations run on the control-plane
 * thread, never on the data path, and may keep state between samples (averages, hysteresis).
 */
public interface CorePolicy {

    /** The thread count wanted after {@code sample}. */
    int decide(LoadSample sample);

    /**
     * How long idle threads should poll before they park, after {@code sample} (called after
     * {@link #decide}); negative leaves it as it is.
     */
    default long spinNanos(LoadSample sample) {
        return -1;
    }
}
