package io.jix.nic.wire;

/**
 * Seeded faults for one direction of a {@link Wire}, applied by the sending endpoint as it takes
 * frames in {@link WireQueue#transmit}. Each frame taken is, independently:
 *
 * <ul>
 *   <li><b>dropped</b> with probability {@code dropRate} (nothing else happens to it);</li>
 *   <li>otherwise <b>corrupted</b> with probability {@code corruptRate}: exactly one byte of its data,
 *       at a uniformly random position, is XORed with a random non-zero value;</li>
 *   <li><b>duplicated</b> with probability {@code duplicateRate}: a second, identical copy follows it;</li>
 *   <li><b>reordered</b> with probability {@code reorderRate}: it is held back until exactly
 *       {@code 1..maxReorderDistance} (uniform) later frames have overtaken it (fresh frames,
 *       duplicates, and frames held after it but let go before it all count), or until
 *       {@code reorderTimeoutNanos} have passed on the wire's clock (checked on every
 *       {@code transmit} and {@code reclaim}), so a sender that goes quiet does not strand it;
 *       a duplicate is not held, so the two copies arrive apart;</li>
 *   <li><b>delayed</b> by {@code delayNanos + uniform[0, jitterNanos]}: the receiver sees it only
 *       once the wire's clock has reached its release time. The wire is FIFO, so a frame never
 *       overtakes an earlier one through delay: a frame with a shorter delay waits behind a
 *       longer one (reordering is the job of {@code reorderRate}).</li>
 * </ul>
 *
 * <p><b>Reproducibility.</b> Every decision about the {@code k}-th frame a direction takes
 * (drop, corrupt and where and how, duplicate, reorder and how far, delay) is a pure function of
 * {@code seed}, {@code k} and the frame's length: it does not depend on timing, threads, or what
 * happened to earlier frames. So the same seed and the same sequence of frames taken give the
 * same faults; with a deterministic clock ({@link WireConfig.Builder#clock}) the delivered
 * sequence is identical too. With the system clock only two things may vary between runs: when a
 * held frame is released by its timeout, and how many frames a receive finds due.
 *
 * <p>Frames a transmit does not take (ring full), and frames too long for the peer (dropped as
 * malformed), do not consume a sequence number.
 *
 * @param seed                 seeds every decision
 * @param dropRate             probability in [0, 1]
 * @param duplicateRate        probability in [0, 1]
 * @param reorderRate          probability in [0, 1]
 * @param maxReorderDistance   1..{@value #MAX_REORDER_DISTANCE}: how many later frames may overtake a held one
 * @param reorderTimeoutNanos  a held frame is released after this long even without later frames (> 0)
 * @param corruptRate          probability in [0, 1]
 * @param delayNanos           fixed delay of every frame, >= 0
 * @param jitterNanos          extra uniform delay in [0, jitterNanos], >= 0
 */
public record Faults(long seed, double dropRate, double duplicateRate, double reorderRate, int maxReorderDistance,
                     long reorderTimeoutNanos, double corruptRate, long delayNanos, long jitterNanos) {

    /** No faults at all: the wire delivers every frame once, intact, in order, at once. */
    public static final Faults NONE = new Faults(0, 0, 0, 0, 1, 200_000, 0, 0, 0);

    /** The most frames that may overtake a held one, and the most frames held at once. */
    public static final int MAX_REORDER_DISTANCE = 32;

    /** Validates the rates and bounds. */
    public Faults {
        rate("dropRate", dropRate);
        rate("duplicateRate", duplicateRate);
        rate("reorderRate", reorderRate);
        rate("corruptRate", corruptRate);
        if (maxReorderDistance < 1 || maxReorderDistance > MAX_REORDER_DISTANCE) {
            throw new IllegalArgumentException("maxReorderDistance must be in 1.." + MAX_REORDER_DISTANCE + ": "
                    + maxReorderDistance);
        }
        if (reorderTimeoutNanos <= 0) {
            throw new IllegalArgumentException("reorderTimeoutNanos must be > 0: " + reorderTimeoutNanos);
        }
        if (delayNanos < 0 || jitterNanos < 0) {
            throw new IllegalArgumentException("delay and jitter must be >= 0: " + delayNanos + ", " + jitterNanos);
        }
    }

    private static void rate(String name, double r) {
        if (!(r >= 0 && r <= 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1]: " + r);
        }
    }

    /** Whether any fault can happen. */
    public boolean any() {
        return dropRate > 0 || duplicateRate > 0 || reorderRate > 0 || corruptRate > 0 || delayNanos > 0
                || jitterNanos > 0;
    }

    /** Whether frames carry a release time. */
    public boolean delays() {
        return delayNanos > 0 || jitterNanos > 0;
    }

    /** A builder starting from no faults and seed 0. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link Faults}; every setter returns the builder. */
    public static final class Builder {
        private long seed;
        private double drop;
        private double duplicate;
        private double reorder;
        private int distance = 4;
        private long reorderTimeout = 200_000;
        private double corrupt;
        private long delay;
        private long jitter;

        Builder() {
        }

        public Builder seed(long s) {
            seed = s;
            return this;
        }

        public Builder drop(double rate) {
            drop = rate;
            return this;
        }

        public Builder duplicate(double rate) {
            duplicate = rate;
            return this;
        }

        /** Reorders with probability {@code rate}, letting up to {@code maxDistance} later frames pass. */
        public Builder reorder(double rate, int maxDistance) {
            reorder = rate;
            distance = maxDistance;
            return this;
        }

        /** How long a held frame may wait for later frames to overtake it (default 200 µs). */
        public Builder reorderTimeoutNanos(long nanos) {
            reorderTimeout = nanos;
            return this;
        }

        public Builder corrupt(double rate) {
            corrupt = rate;
            return this;
        }

        /** Delays every frame by {@code fixedNanos} plus a uniform {@code [0, jitterNanos]}. */
        public Builder delay(long fixedNanos, long jitterNanos) {
            delay = fixedNanos;
            jitter = jitterNanos;
            return this;
        }

        public Faults build() {
            return new Faults(seed, drop, duplicate, reorder, distance, reorderTimeout, corrupt, delay, jitter);
        }
    }
}
