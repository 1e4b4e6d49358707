/**
 * The in-memory wire: two {@link io.jix.nic.NicQueue} endpoints in one JVM joined by lock-free
 * rings, with seeded fault injection (drop, duplicate, reorder, corrupt, delay) for stack tests
 * and privilege-free demos. Start at {@link io.jix.nic.wire.Wire}.
 */
package io.jix.nic.wire;
