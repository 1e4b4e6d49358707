package io.jix.nic.wire;

/**
 * The fault decisions for one frame, computed by {@link #decide} from the seed, the frame's
 * sequence number and its length alone (SplitMix64 over {@code seed}, {@code k} and a draw index),
 * so they never depend on what happened before. One instance per direction, reused: its fields
 * are the last frame's decisions.
 */
final class FaultPlan {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final double TWO_53 = 0x1p53;

    private final long key;
    private final long dropT;
    private final long corruptT;
    private final long duplicateT;
    private final long reorderT;
    private final int maxDistance;
    private final long delay;
    private final long jitter;

    boolean drop;
    boolean corrupt;
    int corruptAt;
    int corruptXor;
    boolean duplicate;
    boolean reorder;
    int distance;
    long delayNanos;

    /** {@code salt} separates the two directions of a wire that share one {@link Faults}. */
    FaultPlan(Faults f, long salt) {
        key = mix(f.seed() ^ salt);
        dropT = threshold(f.dropRate());
        corruptT = threshold(f.corruptRate());
        duplicateT = threshold(f.duplicateRate());
        reorderT = threshold(f.reorderRate());
        maxDistance = f.maxReorderDistance();
        delay = f.delayNanos();
        jitter = f.jitterNanos();
    }

    /** A 53-bit draw below this happens; 1.0 becomes 2^53, above every draw. */
    private static long threshold(double rate) {
        return (long) (rate * TWO_53);
    }

    /** Decides the faults of frame number {@code k}, {@code length} (> 0) bytes long. */
    void decide(long k, int length) {
        long frameKey = mix(key + k * GOLDEN);
        drop = dropT > 0 && draw(frameKey, 1) >>> 11 < dropT;
        if (drop) {
            corrupt = duplicate = reorder = false;
            return;
        }
        corrupt = corruptT > 0 && draw(frameKey, 2) >>> 11 < corruptT;
        if (corrupt) {
            long x = draw(frameKey, 3);
            corruptAt = below(x >>> 32, length);
            corruptXor = 1 + below(x & 0xffff_ffffL, 255);
        }
        duplicate = duplicateT > 0 && draw(frameKey, 4) >>> 11 < duplicateT;
        reorder = reorderT > 0 && draw(frameKey, 5) >>> 11 < reorderT;
        if (reorder) {
            distance = 1 + below(draw(frameKey, 6) >>> 32, maxDistance);
        }
        delayNanos = jitter == 0 ? delay : delay + Math.unsignedMultiplyHigh(draw(frameKey, 7), jitter + 1);
    }

    /** Uniform in [0, n) from 32 random bits (Lemire's multiply-shift). */
    private static int below(long bits32, int n) {
        return (int) ((bits32 * n) >>> 32);
    }

    private static long draw(long frameKey, int i) {
        return mix(frameKey + i * GOLDEN);
    }

    /** SplitMix64's finalizer. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
