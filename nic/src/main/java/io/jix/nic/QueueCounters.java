package io.jix.nic;

/** One queue's counters: single writer (the queue's thread); other threads read a recent value. */
public final class QueueCounters {

    private final long[] values = new long[QueueCounter.values().length];

    /** All counters at zero. */
    public QueueCounters() {
    }

    public void add(QueueCounter c, long n) {
        values[c.ordinal()] += n;
    }

    public void increment(QueueCounter c) {
        values[c.ordinal()]++;
    }

    /** Sets a counter the kernel keeps (copied from its statistics). */
    public void set(QueueCounter c, long n) {
        values[c.ordinal()] = n;
    }

    public long get(QueueCounter c) {
        return values[c.ordinal()];
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (QueueCounter c : QueueCounter.values()) {
            if (values[c.ordinal()] != 0) {
                b.append(b.isEmpty() ? "" : ", ").append(c.name().toLowerCase()).append('=').append(values[c.ordinal()]);
            }
        }
        return b.isEmpty() ? "(all zero)" : b.toString();
    }
}
