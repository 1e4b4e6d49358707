/**
 * Tenants: several dataplanes under one supervisor ({@code ./jix control}), each a separate
 * process with its own CPUs ({@link io.jix.control.tenant.CoreBudget}), link and address, restarted
 * when it dies ({@link io.jix.control.tenant.Supervisor}).
 */
package io.jix.control.tenant;
