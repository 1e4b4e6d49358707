package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SynCookiesTest {

    private static final int L = 0xc612_0001;
    private static final int R = 0xc612_0002;
    private static final long T0 = 1_000 * SynCookies.SLOT_NANOS + 5;

    private final SynCookies cookies = new SynCookies(0x1234, 0x5678);

    @Test
    void acceptsTheAckOfItsOwnSynAckAndReturnsTheMss() {
        int peerIsn = 0xfffffff0;
        for (int mss : new int[] {1460, 9000, 1440, 1400, 1300, 1000, 536, 100}) {
            int isn = cookies.cookie(T0, L, 7007, R, 50000, peerIsn, mss);
            assertThat(cookies.check(T0 + 1, L, 7007, R, 50000, peerIsn + 1, isn + 1))
                    .as("mss %d", mss).isEqualTo(SynCookies.encodedMss(mss));
        }
        assertThat(SynCookies.encodedMss(9000)).isEqualTo(1460);
        assertThat(SynCookies.encodedMss(1459)).isEqualTo(1440);
        assertThat(SynCookies.encodedMss(1300)).isEqualTo(1300);
        assertThat(SynCookies.encodedMss(1299)).isEqualTo(536);
        assertThat(SynCookies.encodedMss(0)).isEqualTo(536);
    }

    @Test
    void acceptsThePreviousSlotAndRejectsOlderAndFuture() {
        int isn = cookies.cookie(T0, L, 7007, R, 50000, 77, 1460);
        long slotStart = Math.floorDiv(T0, SynCookies.SLOT_NANOS) * SynCookies.SLOT_NANOS;
        assertThat(cookies.check(slotStart + SynCookies.SLOT_NANOS - 1, L, 7007, R, 50000, 78, isn + 1)).isEqualTo(1460);
        assertThat(cookies.check(slotStart + SynCookies.SLOT_NANOS, L, 7007, R, 50000, 78, isn + 1)).isEqualTo(1460);
        assertThat(cookies.check(slotStart + 2 * SynCookies.SLOT_NANOS - 1, L, 7007, R, 50000, 78, isn + 1)).isEqualTo(1460);
        assertThat(cookies.check(slotStart + 2 * SynCookies.SLOT_NANOS, L, 7007, R, 50000, 78, isn + 1))
                .isEqualTo(SynCookies.REJECT);
        assertThat(cookies.check(slotStart - 1, L, 7007, R, 50000, 78, isn + 1)).isEqualTo(SynCookies.REJECT);
        // 256 slots later the counter byte is the same, but H2 covers the full counter
        assertThat(cookies.check(T0 + 256 * SynCookies.SLOT_NANOS, L, 7007, R, 50000, 78, isn + 1))
                .isEqualTo(SynCookies.REJECT);
    }

    @Test
    void rejectsAnotherTupleAnotherPeerIsnAndAnotherKey() {
        int isn = cookies.cookie(T0, L, 7007, R, 50000, 77, 1460);
        assertThat(cookies.check(T0, L, 7007, R, 50001, 78, isn + 1)).isEqualTo(SynCookies.REJECT);
        assertThat(cookies.check(T0, L, 7008, R, 50000, 78, isn + 1)).isEqualTo(SynCookies.REJECT);
        assertThat(cookies.check(T0, L, 7007, R + 1, 50000, 78, isn + 1)).isEqualTo(SynCookies.REJECT);
        assertThat(cookies.check(T0, L + 1, 7007, R, 50000, 78, isn + 1)).isEqualTo(SynCookies.REJECT);
        assertThat(cookies.check(T0, L, 7007, R, 50000, 78 + 1000, isn + 1)).isEqualTo(SynCookies.REJECT);
        assertThat(cookies.check(T0, L, 7007, R, 50000, 78, isn + 1 + (5 << 24))).isEqualTo(SynCookies.REJECT);
        assertThat(cookies.check(T0, L, 7007, R, 50000, 78, isn + 1 + 1000)).isEqualTo(SynCookies.REJECT);
        assertThat(new SynCookies(0x1234, 0x5679).check(T0, L, 7007, R, 50000, 78, isn + 1)).isEqualTo(SynCookies.REJECT);
    }

    @Test
    void forgedAcksAlmostNeverPass() {
        SplittableRandom r = new SplittableRandom(4987);
        int accepted = 0;
        for (int i = 0; i < 200_000; i++) {
            if (cookies.check(T0, L, 7007, R, r.nextInt(65536), r.nextInt(), r.nextInt()) != SynCookies.REJECT) {
                accepted++;
            }
        }
        // expected 200000 * 2 slots * 4 / 2^24 ~ 0.1
        assertThat(accepted).isLessThanOrEqualTo(3);
    }

    @Test
    void manyRandomHandshakesValidate() {
        SplittableRandom r = new SplittableRandom(6528);
        for (int i = 0; i < 20_000; i++) {
            int l = r.nextInt();
            int rem = r.nextInt();
            int lp = r.nextInt(65536);
            int rp = r.nextInt(65536);
            int peerIsn = r.nextInt();
            int mss = r.nextInt(10_000);
            long t = r.nextLong(1L << 62);
            int isn = cookies.cookie(t, l, lp, rem, rp, peerIsn, mss);
            long later = t + r.nextLong(SynCookies.SLOT_NANOS);
            assertThat(cookies.check(later, l, lp, rem, rp, peerIsn + 1, isn + 1)).isEqualTo(SynCookies.encodedMss(mss));
        }
    }
}
