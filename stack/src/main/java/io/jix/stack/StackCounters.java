package io.jix.stack;

/** One stack's counters: single writer (its elastic thread); other threads read a recent value. */
public final class StackCounters {

    private final long[] values = new long[StackCounter.values().length];

    /** All counters at zero. */
    public StackCounters() {
    }

    public void increment(StackCounter c) {
        values[c.ordinal()]++;
    }

    public void add(StackCounter c, long n) {
        values[c.ordinal()] += n;
    }

    public long get(StackCounter c) {
        return values[c.ordinal()];
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (StackCounter c : StackCounter.values()) {
            if (values[c.ordinal()] != 0) {
                b.append(b.isEmpty() ? "" : ", ").append(c.name().toLowerCase()).append('=').append(values[c.ordinal()]);
            }
        }
        return b.isEmpty() ? "(all zero)" : b.toString();
    }
}
