/**
 * Driver-independent tools over any {@link io.jix.nic.NicQueue}: the
 * {@link io.jix.nic.tools.Responder} (ARP, ICMP echo, UDP reflection) that drivers' tests and
 * {@code ./jix nic bench} use.
 */
package io.jix.nic.tools;
