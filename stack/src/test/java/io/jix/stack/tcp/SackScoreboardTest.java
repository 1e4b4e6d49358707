package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SackScoreboardTest {

    private static final int MSS = 1000;
    private static final int B = 0xffff_f000; // the window wraps past 2^32
    private static final int NXT = B + 10 * MSS;

    private final SackScoreboard sb = new SackScoreboard(8, MSS);

    private long sack(int una, int... segs) {
        // pairs of segment indexes [from, to)
        int[] l = new int[segs.length / 2];
        int[] r = new int[segs.length / 2];
        for (int i = 0; i < l.length; i++) {
            l[i] = B + segs[2 * i] * MSS;
            r[i] = B + segs[2 * i + 1] * MSS;
        }
        return sb.update(l, r, l.length, una, NXT);
    }

    @Test
    void mergesOverlappingAndAdjacentBlocks() {
        assertThat(sack(B, 1, 2)).isEqualTo(1000);
        assertThat(sack(B, 3, 4)).isEqualTo(1000);
        assertThat(sb.ranges()).isEqualTo(2);
        assertThat(sack(B, 2, 3)).isEqualTo(1000); // bridges the two
        assertThat(sb.ranges()).isEqualTo(1);
        assertThat(sb.rangeLeft(0)).isEqualTo(B + 1000);
        assertThat(sb.rangeRight(0)).isEqualTo(B + 4000);
        assertThat(sack(B, 1, 4)).isZero(); // repeated
        assertThat(sack(B, 6, 7, 8, 9, 5, 10)).isEqualTo(5000 - 0); // 6-7, 8-9 then 5-10 swallows them
        assertThat(sb.ranges()).isEqualTo(2);
        assertThat(sb.rangeLeft(1)).isEqualTo(B + 5000);
        assertThat(sb.isSacked(B + 999)).isFalse();
        assertThat(sb.isSacked(B + 1000)).isTrue();
        assertThat(sb.isSacked(B + 3999)).isTrue();
        assertThat(sb.isSacked(B + 4000)).isFalse();
        assertThat(sb.highestSacked(B)).isEqualTo(NXT);
    }

    @Test
    void ignoresBlocksOutsideTheWindowAndDsack() {
        assertThat(sb.update(new int[] {B - 500}, new int[] {B}, 1, B, NXT)).isZero(); // D-SACK below una
        assertThat(sb.update(new int[] {B + 9000}, new int[] {NXT + 1}, 1, B, NXT)).isZero(); // beyond SND.NXT
        assertThat(sb.update(new int[] {B + 3000}, new int[] {B + 2000}, 1, B, NXT)).isZero(); // inverted
        assertThat(sb.update(new int[] {B + 3000}, new int[] {B + 3000}, 1, B, NXT)).isZero(); // empty
        assertThat(sb.update(new int[] {B + 3000 + Integer.MIN_VALUE}, new int[] {B + 4000 + Integer.MIN_VALUE}, 1, B,
                NXT)).isZero(); // half the space away
        assertThat(sb.ranges()).isZero();
    }

    @Test
    void cumulativeAckPrunesSackedData() {
        sack(B, 1, 3, 5, 6);
        sb.update(new int[0], new int[0], 0, B + 2000, NXT); // ACK passes into the first range
        assertThat(sb.ranges()).isEqualTo(2);
        assertThat(sb.rangeLeft(0)).isEqualTo(B + 2000);
        sb.prune(B + 5500);
        assertThat(sb.ranges()).isEqualTo(1);
        assertThat(sb.rangeLeft(0)).isEqualTo(B + 5500);
        sb.prune(B + 7000);
        assertThat(sb.ranges()).isZero();
        // a peer that reneges: SACKed data not acknowledged stays outstanding, never assumed delivered
        sack(B + 7000, 8, 9);
        sb.clear();
        assertThat(sb.isSacked(B + 8000)).isFalse();
    }

    @Test
    void isLostByBytesAndByDiscontiguousRanges() {
        sack(B, 1, 2);
        assertThat(sb.isLost(B)).isFalse();
        sack(B, 2, 3);
        assertThat(sb.isLost(B)).isFalse(); // 2000 bytes is not more than 2 * SMSS
        sack(B, 3, 4);
        assertThat(sb.isLost(B)).isTrue();
        assertThat(sb.isLost(B + 500)).isTrue();
        assertThat(sb.isLost(B + 4000)).isFalse();
        // three discontiguous small ranges with a large MSS: lost by count
        SackScoreboard big = new SackScoreboard(8, 100_000);
        big.update(new int[] {B + 100, B + 300, B + 500}, new int[] {B + 200, B + 400, B + 600}, 3, B, NXT);
        assertThat(big.isLost(B)).isTrue();
        assertThat(big.isLost(B + 250)).isFalse(); // only two ranges above
    }

    @Test
    void pipeAndNextSegWithOneHole() {
        sack(B, 1, 4); // segment 0 lost, 4..9 in flight
        assertThat(sb.pipe(B, NXT, B)).isEqualTo(6000);
        assertThat(sb.nextSeg(B, NXT, B, true)).isEqualTo(SackScoreboard.RETRANSMIT);
        assertThat(sb.nextSeq()).isEqualTo(B);
        assertThat(sb.nextLength()).isEqualTo(MSS);
        int rxt = B + MSS; // retransmitted segment 0
        assertThat(sb.pipe(B, NXT, rxt)).isEqualTo(7000);
        assertThat(sb.nextSeg(B, NXT, rxt, true)).isEqualTo(SackScoreboard.NEW_DATA);
        assertThat(sb.nextSeq()).isEqualTo(NXT);
        assertThat(sb.nextSeg(B, NXT, rxt, false)).isEqualTo(SackScoreboard.NOTHING);
    }

    @Test
    void nextSegWalksSeveralHolesInOrderAndClipsToTheHole() {
        sack(B, 1, 2, 3, 6); // holes: 0 (lost: 2 ranges, 4000 bytes above), 2 (lost: 3000 above)
        assertThat(sb.nextSeg(B, NXT, B, false)).isEqualTo(SackScoreboard.RETRANSMIT);
        assertThat(sb.nextSeq()).isEqualTo(B);
        assertThat(sb.nextSeg(B, NXT, B + 400, false)).isEqualTo(SackScoreboard.RETRANSMIT);
        assertThat(sb.nextSeq()).isEqualTo(B + 400);
        assertThat(sb.nextLength()).isEqualTo(600); // to the end of the hole
        assertThat(sb.nextSeg(B, NXT, B + MSS, false)).isEqualTo(SackScoreboard.RETRANSMIT);
        assertThat(sb.nextSeq()).isEqualTo(B + 2 * MSS);
        // pipe: holes 0 and 2 lost, 6..9 in flight; retransmitted 0 counts
        assertThat(sb.pipe(B, NXT, B)).isEqualTo(4000);
        assertThat(sb.pipe(B, NXT, B + MSS)).isEqualTo(5000);
        assertThat(sb.pipe(B, NXT, B + 3 * MSS)).isEqualTo(6000); // both holes retransmitted; SACKed octets never count
    }

    @Test
    void rescueEndsWithTheHighestUnsackedOctetWithinItsHole() {
        assertThat(sb.rescue(B, NXT)).isTrue(); // nothing SACKed: the last MSS before SND.NXT
        assertThat(sb.nextSeq()).isEqualTo(NXT - MSS);
        assertThat(sb.nextLength()).isEqualTo(MSS);
        sack(B, 1, 4, 9, 10); // the top segment SACKed: the highest unSACKed octet is in segment 8
        assertThat(sb.rescue(B, NXT)).isTrue();
        assertThat(sb.nextSeq()).isEqualTo(B + 8 * MSS);
        assertThat(sb.nextLength()).isEqualTo(MSS);
        sack(B, 5, 8); // holes 0, 4 and 8: still segment 8
        assertThat(sb.rescue(B, NXT)).isTrue();
        assertThat(sb.nextSeq()).isEqualTo(B + 8 * MSS);
        int[] l = {B + 8 * MSS + 600};
        int[] r = {NXT};
        sb.update(l, r, 1, B, NXT); // segment 8's last 400 bytes SACKed: the hole is 600 bytes
        assertThat(sb.rescue(B, NXT)).isTrue();
        assertThat(sb.nextSeq()).isEqualTo(B + 8 * MSS);
        assertThat(sb.nextLength()).isEqualTo(600);
        sack(B, 4, 5);
        sack(B, 8, 9); // everything from segment 1 up SACKed: the hole is segment 0
        assertThat(sb.rescue(B, NXT)).isTrue();
        assertThat(sb.nextSeq()).isEqualTo(B);
        assertThat(sb.nextLength()).isEqualTo(MSS);
        sack(B, 0, 1); // all of it SACKed: nothing to rescue
        assertThat(sb.rescue(B, NXT)).isFalse();
        sb.clear();
        assertThat(sb.rescue(NXT, NXT)).isFalse(); // nothing outstanding
    }

    @Test
    void ruleThreeRetransmitsAnUnsackedSegmentThatIsNotYetLost() {
        sack(B, 1, 2); // only one segment SACKed: segment 0 is not lost
        assertThat(sb.isLost(B)).isFalse();
        assertThat(sb.nextSeg(B, NXT, B, true)).isEqualTo(SackScoreboard.NEW_DATA);
        assertThat(sb.nextSeg(B, NXT, B, false)).isEqualTo(SackScoreboard.RETRANSMIT);
        assertThat(sb.nextSeq()).isEqualTo(B);
    }

    @Test
    void boundedByCapacityForgettingTheHighest() {
        for (int i = 0; i < 9; i += 1) {
            // nine disjoint single-byte ranges, one per segment
            sb.update(new int[] {B + i * MSS + 1}, new int[] {B + i * MSS + 2}, 1, B, NXT);
        }
        assertThat(sb.ranges()).isEqualTo(8);
        assertThat(sb.overflows()).isEqualTo(1);
        assertThat(sb.rangeLeft(7)).isEqualTo(B + 7 * MSS + 1);
        // a new low range pushes out the highest
        sb.update(new int[] {B + 500}, new int[] {B + 501}, 1, B, NXT);
        assertThat(sb.ranges()).isEqualTo(8);
        assertThat(sb.overflows()).isEqualTo(2);
        assertThat(sb.rangeLeft(1)).isEqualTo(B + 500);
        assertThat(sb.rangeLeft(7)).isEqualTo(B + 6 * MSS + 1);
    }

    @Test
    void agreesWithAnOctetBitmapModel() {
        SplittableRandom r = new SplittableRandom(6675);
        int mss = 10;
        int window = 300;
        for (int round = 0; round < 300; round++) {
            SackScoreboard s = new SackScoreboard(200, mss);
            boolean[] sacked = new boolean[window];
            int una = r.nextInt();
            int nxt = una + window;
            int lo = 0;
            for (int step = 0; step < 20; step++) {
                if (r.nextInt(5) == 0) {
                    lo = Math.min(window, lo + r.nextInt(30));
                }
                int blocks = r.nextInt(5);
                int[] l = new int[blocks];
                int[] rr = new int[blocks];
                for (int b = 0; b < blocks; b++) {
                    int a = r.nextInt(window + 20) - 10;
                    int len = r.nextInt(40) - 2;
                    l[b] = una + a;
                    rr[b] = una + a + len;
                    if (len > 0 && a >= lo && a + len <= window) {
                        for (int k = a; k < a + len; k++) {
                            sacked[k] = true;
                        }
                    }
                }
                s.update(l, rr, blocks, una + lo, nxt);
                int rxt = lo + r.nextInt(window - lo + 1);
                long expectedPipe = 0;
                for (int k = lo; k < window; k++) {
                    assertThat(s.isSacked(una + k)).as("round %d octet %d", round, k).isEqualTo(sacked[k]);
                    boolean lost = lostModel(sacked, k, mss);
                    assertThat(s.isLost(una + k)).as("round %d isLost %d", round, k).isEqualTo(lost);
                    if (!sacked[k]) {
                        expectedPipe += (lost ? 0 : 1) + (k < rxt ? 1 : 0);
                    }
                }
                assertThat(s.pipe(una + lo, nxt, una + rxt)).as("round %d pipe", round).isEqualTo(expectedPipe);
            }
        }
    }

    /** RFC 6675 IsLost by its definition over octets. */
    private static boolean lostModel(boolean[] sacked, int seq, int mss) {
        int bytes = 0;
        int ranges = 0;
        for (int k = seq + 1; k < sacked.length; k++) {
            if (sacked[k]) {
                bytes++;
                if (!sacked[k - 1]) {
                    ranges++;
                }
            }
        }
        return ranges >= 3 || bytes > 2 * mss;
    }
}
