package io.jix.control.tenant;

import java.time.Duration;

/**
 * When to restart a tenant that died, and when to stop trying. A run shorter than
 * {@code stableAfter} is a <i>fast failure</i>; consecutive fast failures wait {@code initialDelay},
 * then twice that, and so on up to {@code maxDelay} before the next start, and after
 * {@code maxFastFailures} of them in a row the tenant is given up. A run that lasted at least
 * {@code stableAfter} (a tenant that served, then crashed or was killed) resets the count: it is
 * restarted after {@code initialDelay}.
 *
 * @param initialDelay wait before the first restart
 * @param maxDelay longest wait
 * @param stableAfter how long a run must last not to count as a fast failure
 * @param maxFastFailures fast failures in a row after which the tenant is given up
 */
public record RestartPolicy(Duration initialDelay, Duration maxDelay, Duration stableAfter, int maxFastFailures) {

    /** 100 ms doubling to 10 s; runs under 10 s are fast failures; give up after 5 in a row. */
    public static final RestartPolicy DEFAULT =
            new RestartPolicy(Duration.ofMillis(100), Duration.ofSeconds(10), Duration.ofSeconds(10), 5);

    /** Checks the bounds. */
    public RestartPolicy {
        if (initialDelay.isNegative() || maxDelay.compareTo(initialDelay) < 0 || stableAfter.isNegative()
                || maxFastFailures < 1) {
            throw new IllegalArgumentException("restart policy: need 0 <= initialDelay <= maxDelay, stableAfter >= 0"
                    + " and maxFastFailures >= 1");
        }
    }

    /**
     * What to do after a run.
     *
     * @param restart whether to start the tenant again
     * @param delay how long to wait first (zero when giving up)
     * @param fastFailures consecutive fast failures, this run included
     */
    public record Decision(boolean restart, Duration delay, int fastFailures) {
    }

    /**
     * The decision after a run that lasted {@code ranFor}, given {@code fastFailuresBefore}
     * consecutive fast failures before it.
     */
    public Decision afterExit(Duration ranFor, int fastFailuresBefore) {
        if (ranFor.compareTo(stableAfter) >= 0) {
            return new Decision(true, initialDelay, 0);
        }
        int fast = fastFailuresBefore + 1;
        if (fast >= maxFastFailures) {
            return new Decision(false, Duration.ZERO, fast);
        }
        Duration delay = initialDelay;
        for (int i = 1; i < fast && delay.compareTo(maxDelay) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return new Decision(true, delay.compareTo(maxDelay) > 0 ? maxDelay : delay, fast);
    }
}
