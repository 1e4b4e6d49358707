/** UDP (RFC 768) sockets of a {@link io.jix.stack.NetStack}: the receive callback; sending is {@link io.jix.stack.NetStack#sendUdp}. */
package io.jix.stack.udp;
