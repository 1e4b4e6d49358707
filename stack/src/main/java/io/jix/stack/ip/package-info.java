/** The network layer of a {@link io.jix.stack.NetStack}: IPv4 constants and address helpers, fragment reassembly. */
package io.jix.stack.ip;
