/** The link layer of a {@link io.jix.stack.NetStack}: Ethernet II constants and the ARP cache (RFC 826). */
package io.jix.stack.link;
