package io.jix.dataplane;

/** What an elastic thread does when a loop iteration finds nothing to do. */
public enum Idle {
    /** Poll without pause: the lowest latency, and one core at 100 % for good. */
    SPIN,
    /**
     * Spin briefly, then yield, then park in the backend's wait (epoll or poll on the queue) until
     * traffic, a timer or a hand-off wakes it: an idle dataplane costs almost no CPU.
     */
    BACKOFF
}
