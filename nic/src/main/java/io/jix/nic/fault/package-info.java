/**
 * Fault injection at the boundary of any {@link io.jix.nic.NicQueue}:
 * {@link io.jix.nic.fault.LossyQueue} drops frames by seeded or chosen rules, for tests of a real
 * driver under loss (the in-memory wire has its own, richer faults).
 */
package io.jix.nic.fault;
