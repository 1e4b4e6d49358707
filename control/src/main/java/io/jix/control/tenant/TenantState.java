package io.jix.control.tenant;

import java.util.Locale;

/** Where a tenant is in its life under the {@link Supervisor}. */
public enum TenantState {
    /** Its process runs but is not serving yet. */
    STARTING,
    /** Its process serves (its stats file is there). */
    READY,
    /** It died; it will be started again after a backoff delay. */
    RESTARTING,
    /** It failed too often in a row; the supervisor gave up on it. */
    FAILED,
    /** The supervisor stopped it. */
    STOPPED;

    /** The name in lower case, as status shows it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
