/**
 * TCP building blocks: sequence arithmetic, the header and options flyweights, initial sequence
 * numbers, SYN cookies, the retransmission timer estimator, congestion control, the SACK
 * scoreboard and the out-of-order queue. Each is single-threaded (owned by one elastic thread)
 * and allocates nothing after construction; the TCP state machine is assembled from them.
 */
package io.jix.stack.tcp;
