package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SeqTest {

    @Test
    void ordersAcrossZero() {
        assertThat(Seq.lt(0xffff_fff0, 5)).isTrue();
        assertThat(Seq.gt(5, 0xffff_fff0)).isTrue();
        assertThat(Seq.lt(-1, 0)).isTrue();
        assertThat(Seq.leq(-1, 0)).isTrue();
        assertThat(Seq.geq(0, -1)).isTrue();
        assertThat(Seq.gt(0, -1)).isTrue();
        assertThat(Seq.lt(0, -1)).isFalse();
    }

    @Test
    void ordersAcrossTwoToThe31() {
        int a = Integer.MAX_VALUE; // 2^31 - 1
        int b = Integer.MIN_VALUE; // 2^31
        assertThat(Seq.lt(a, b)).isTrue();
        assertThat(Seq.gt(b, a)).isTrue();
        assertThat(Seq.lt(a - 100, b + 100)).isTrue();
        // signed comparison would get these wrong
        assertThat(a < b).isFalse();
    }

    @Test
    void equalIsLeqAndGeqButNotLtOrGt() {
        for (int x : new int[] {0, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 12345}) {
            assertThat(Seq.leq(x, x)).isTrue();
            assertThat(Seq.geq(x, x)).isTrue();
            assertThat(Seq.lt(x, x)).isFalse();
            assertThat(Seq.gt(x, x)).isFalse();
        }
    }

    @Test
    void largestForwardDistanceIsTwoToThe31MinusOne() {
        int a = 0x1234_5678;
        assertThat(Seq.lt(a, a + Integer.MAX_VALUE)).isTrue();
        assertThat(Seq.gt(a, a + Integer.MAX_VALUE + 2)).isTrue(); // 2^31 + 1 ahead is behind
    }

    @Test
    void betweenIsHalfOpenAndWraps() {
        int lo = 0xffff_fff0;
        int hi = lo + 0x20; // 0x10
        assertThat(Seq.between(lo, lo, hi)).isTrue();
        assertThat(Seq.between(lo, 0, hi)).isTrue();
        assertThat(Seq.between(lo, 0x0f, hi)).isTrue();
        assertThat(Seq.between(lo, hi, hi)).isFalse();
        assertThat(Seq.between(lo, lo - 1, hi)).isFalse();
        assertThat(Seq.between(lo, lo, lo)).isFalse();
        assertThat(Seq.inClosed(lo, hi, hi)).isTrue();
        assertThat(Seq.inClosed(lo, lo, lo)).isTrue();
        assertThat(Seq.inClosed(lo, hi + 1, hi)).isFalse();
        assertThat(Seq.inClosed(lo, lo - 1, hi)).isFalse();
    }

    @Test
    void maxMinWrap() {
        assertThat(Seq.max(-5, 3)).isEqualTo(3);
        assertThat(Seq.min(-5, 3)).isEqualTo(-5);
        assertThat(Seq.max(Integer.MAX_VALUE, Integer.MIN_VALUE)).isEqualTo(Integer.MIN_VALUE);
        assertThat(Seq.min(Integer.MAX_VALUE, Integer.MIN_VALUE)).isEqualTo(Integer.MAX_VALUE);
        assertThat(Seq.distance(-2, 3)).isEqualTo(5);
        assertThat(Seq.distance(3, -2)).isEqualTo(0xffff_fffbL);
    }

    @Test
    void agreesWithLongArithmeticForRandomPairsWithinHalfTheSpace() {
        SplittableRandom r = new SplittableRandom(1982);
        for (int i = 0; i < 100_000; i++) {
            long base = r.nextLong(1L << 32);
            long delta = r.nextLong(-(1L << 31) + 1, 1L << 31);
            int a = (int) base;
            int b = (int) (base + delta);
            assertThat(Seq.lt(a, b)).isEqualTo(delta > 0);
            assertThat(Seq.gt(a, b)).isEqualTo(delta < 0);
            assertThat(Seq.leq(a, b)).isEqualTo(delta >= 0);
            assertThat(Seq.max(a, b)).isEqualTo(delta >= 0 ? b : a);
            long len = r.nextLong(1L << 31);
            long off = r.nextLong(1L << 32);
            assertThat(Seq.between(a, (int) (base + off), (int) (base + len))).isEqualTo(off < len);
        }
    }
}
