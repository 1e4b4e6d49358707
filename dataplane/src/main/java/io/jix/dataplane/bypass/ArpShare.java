package io.jix.dataplane.bypass;

/**
 * What the stacks of one port learn from ARP, shared between them. With a stack per queue, the
 * answer to one stack's ARP request is steered to whichever queue the NIC picks (on the test
 * network: queue 0), so every stack publishes what it learns here and every backend applies what
 * the others published at the start of its next iteration.
 *
 * <p>This is control traffic — a few entries a minute — so publishing takes a monitor; the data
 * path pays one volatile read per iteration to see that nothing changed.
 */
final class ArpShare {

    private static final int CAPACITY = 256;

    private final int[] addresses = new int[CAPACITY];
    private final long[] macs = new long[CAPACITY];
    private volatile long published;

    /** Adds a mapping for every backend of the port to apply. */
    synchronized void publish(int address, long mac) {
        int i = (int) (published % CAPACITY);
        addresses[i] = address;
        macs[i] = mac;
        published = published + 1; // single writer at a time (the monitor); readers see it through the volatile
    }

    /** How many mappings have been published so far. */
    long published() {
        return published;
    }

    /**
     * Applies the mappings published since {@code seen} to {@code lanes} (the oldest ones are lost
     * if more than the ring holds arrived meanwhile: they are refreshed by ARP traffic anyway).
     *
     * @return the new count to pass next time
     */
    synchronized long applySince(long seen, Lane[] lanes) {
        long from = Math.max(seen, published - CAPACITY);
        for (long k = from; k < published; k++) {
            int i = (int) (k % CAPACITY);
            for (Lane lane : lanes) {
                lane.stack.arpLearned(addresses[i], macs[i]);
            }
        }
        return published;
    }
}
