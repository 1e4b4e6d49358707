package io.jix.control.tenant;

/**
 * One tenant as the supervisor last saw it.
 *
 * @param name the tenant's name
 * @param app the application ({@code echo}, ...)
 * @param backend the network stack ({@code xdp}, ...)
 * @param state where it is in its life
 * @param pid its current (or last) process id, 0 before the first start
 * @param restarts how often it was started again after dying
 * @param cpus its CPU set ({@code 0-1})
 * @param interfaceName its interface, or {@code -} for the kernel backend without a link of its own
 * @param address its address with prefix
 * @param port its port
 * @param sinceMillis when it entered {@code state} (epoch milliseconds)
 * @param lastExit how its last process ended ({@code -} when none has)
 * @param log the file its output goes to
 */
public record TenantStatus(String name, String app, String backend, TenantState state, long pid, int restarts,
                           String cpus, String interfaceName, String address, int port, long sinceMillis,
                           String lastExit, String log) {
}
