package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReassemblyQueueTest {

    private static final int NXT = 0xffff_ff00; // sequence space wraps inside the tests

    private final List<Integer> released = new ArrayList<>();
    private final List<int[]> delivered = new ArrayList<>();
    private final ReassemblyQueue q = new ReassemblyQueue(8, 10_000, released::add);

    private int drain(int rcvNxt) {
        return q.drainInOrder(rcvNxt, (f, off, s, l) -> delivered.add(new int[] {f, off, s, l}));
    }

    @Test
    void holdsOutOfOrderSegmentsAndDrainsThemWhenTheHoleFills() {
        assertThat(q.add(NXT + 200, 100, 2, 54)).isTrue();
        assertThat(q.add(NXT + 100, 100, 1, 54)).isTrue();
        assertThat(q.segments()).isEqualTo(2);
        assertThat(q.bytes()).isEqualTo(200);
        assertThat(drain(NXT)).isEqualTo(NXT); // hole at NXT still open
        assertThat(delivered).isEmpty();
        assertThat(drain(NXT + 100)).isEqualTo(NXT + 300);
        assertThat(delivered).containsExactly(new int[] {1, 54, NXT + 100, 100}, new int[] {2, 54, NXT + 200, 100});
        assertThat(q.isEmpty()).isTrue();
        assertThat(q.bytes()).isZero();
        assertThat(released).isEmpty();
    }

    @Test
    void drainTrimsAPartlyReceivedHeadAndReleasesStaleEntries() {
        q.add(NXT + 100, 100, 1, 54);
        q.add(NXT + 300, 100, 3, 54);
        assertThat(drain(NXT + 150)).isEqualTo(NXT + 200);
        assertThat(delivered).containsExactly(new int[] {1, 104, NXT + 150, 50});
        assertThat(drain(NXT + 500)).isEqualTo(NXT + 500); // all of entry 3 already received another way
        assertThat(released).containsExactly(3);
    }

    @Test
    void exactAndContainedDuplicatesAreReleased() {
        q.add(NXT + 100, 100, 1, 54);
        assertThat(q.add(NXT + 100, 100, 2, 54)).isFalse();
        assertThat(q.add(NXT + 120, 30, 3, 54)).isFalse();
        assertThat(released).containsExactly(2, 3);
        assertThat(q.duplicates()).isEqualTo(2);
        assertThat(q.segments()).isEqualTo(1);
    }

    @Test
    void overlapsAreTrimmedOffTheArrivingSegment() {
        q.add(NXT + 100, 100, 1, 0); // [100, 200)
        q.add(NXT + 150, 100, 2, 0); // head trimmed: [200, 250) at offset 50
        assertThat(q.entrySeq(1)).isEqualTo(NXT + 200);
        assertThat(q.entryLength(1)).isEqualTo(50);
        assertThat(q.entryOffset(1)).isEqualTo(50);
        q.add(NXT + 50, 100, 3, 0); // tail trimmed: [50, 100)
        assertThat(q.entrySeq(0)).isEqualTo(NXT + 50);
        assertThat(q.entryLength(0)).isEqualTo(50);
        assertThat(q.entryOffset(0)).isZero();
        assertThat(q.bytes()).isEqualTo(200);
        q.add(NXT + 300, 50, 4, 0);
        q.add(NXT + 240, 70, 5, 0); // both ends: [250, 300)
        assertThat(q.entrySeq(3)).isEqualTo(NXT + 250);
        assertThat(q.entryLength(3)).isEqualTo(50);
        assertThat(q.entryOffset(3)).isEqualTo(10);
        assertThat(q.add(NXT + 60, 230, 6, 0)).isFalse(); // spans abutting entries: all already queued
        assertThat(q.add(NXT + 60, 290, 7, 0)).isFalse();
        assertThat(released).containsExactly(6, 7);
        assertThat(drain(NXT + 50)).isEqualTo(NXT + 350);
        int total = 0;
        for (int[] d : delivered) {
            total += d[3];
        }
        assertThat(total).isEqualTo(300);
    }

    @Test
    void aSegmentCoveringQueuedEntriesReplacesThem() {
        q.add(NXT + 100, 10, 1, 0);
        q.add(NXT + 120, 10, 2, 0);
        q.add(NXT + 200, 10, 3, 0);
        assertThat(q.add(NXT + 90, 60, 4, 0)).isTrue(); // covers 1 and 2
        assertThat(released).containsExactly(1, 2);
        assertThat(q.segments()).isEqualTo(2);
        assertThat(q.entryFrame(0)).isEqualTo(4);
        assertThat(q.bytes()).isEqualTo(70);
    }

    @Test
    void boundsOnSegmentsAndBytesDropAndCount() {
        for (int i = 0; i < 8; i++) {
            assertThat(q.add(NXT + 100 + 20 * i, 10, i, 0)).isTrue();
        }
        assertThat(q.add(NXT + 1000, 10, 99, 0)).isFalse();
        assertThat(q.dropped()).isEqualTo(1);
        assertThat(released).containsExactly(99);
        // a segment that replaces two entries fits even when full
        assertThat(q.add(NXT + 95, 35, 50, 0)).isTrue();
        assertThat(q.segments()).isEqualTo(7);
        ReassemblyQueue small = new ReassemblyQueue(8, 1000, released::add);
        assertThat(small.add(NXT + 10, 600, 60, 0)).isTrue();
        assertThat(small.add(NXT + 1000, 401, 61, 0)).isFalse();
        assertThat(small.add(NXT + 1000, 400, 62, 0)).isTrue();
        assertThat(small.bytes()).isEqualTo(1000);
        small.clear();
        assertThat(released).contains(60, 61, 62);
        assertThat(small.bytes()).isZero();
    }

    @Test
    void sackBlocksPutTheMostRecentRunFirst() {
        int[] l = new int[4];
        int[] r = new int[4];
        q.add(NXT + 100, 100, 1, 0);
        q.add(NXT + 300, 100, 2, 0);
        q.add(NXT + 500, 100, 3, 0);
        assertThat(q.sackBlocks(NXT, l, r, 4)).isEqualTo(3);
        assertThat(new int[] {l[0], r[0], l[1], r[1], l[2], r[2]}).containsExactly(NXT + 500, NXT + 600, NXT + 300,
                NXT + 400, NXT + 100, NXT + 200);
        q.add(NXT + 200, 100, 4, 0); // joins runs 1 and 2
        assertThat(q.sackBlocks(NXT, l, r, 4)).isEqualTo(2);
        assertThat(new int[] {l[0], r[0], l[1], r[1]}).containsExactly(NXT + 100, NXT + 400, NXT + 500, NXT + 600);
        assertThat(q.sackBlocks(NXT, l, r, 1)).isEqualTo(1);
        assertThat(l[0]).isEqualTo(NXT + 100);
        // a duplicate arrival is reported first too (its run)
        q.add(NXT + 520, 10, 5, 0);
        assertThat(q.sackBlocks(NXT, l, r, 4)).isEqualTo(2);
        assertThat(l[0]).isEqualTo(NXT + 500);
        // blocks never reach below RCV.NXT
        assertThat(q.sackBlocks(NXT + 150, l, r, 4)).isEqualTo(2);
        assertThat(l[1]).isEqualTo(NXT + 150);
    }

    @Test
    void randomArrivalsDeliverEveryOctetOnceAndReleaseEveryFrameOnce() {
        SplittableRandom rnd = new SplittableRandom(793);
        for (int round = 0; round < 200; round++) {
            Set<Integer> owned = new HashSet<>();
            List<Integer> rel = new ArrayList<>();
            ReassemblyQueue queue = new ReassemblyQueue(16, 4000, rel::add);
            int base = rnd.nextInt();
            int rcvNxt = base;
            int total = 3000;
            BitSet got = new BitSet();
            int frameId = 0;
            int[] sl = new int[4];
            int[] sr = new int[4];
            for (int step = 0; step < 400 && rcvNxt - base < total; step++) {
                int start = (rcvNxt - base) + rnd.nextInt(-50, 600);
                int len = 1 + rnd.nextInt(120);
                start = Math.max(start, rcvNxt - base);
                len = Math.min(len, total - start);
                if (len <= 0) {
                    continue;
                }
                int f = frameId++;
                owned.add(f);
                if (start == rcvNxt - base) {
                    // in order: the state machine delivers directly, then drains
                    got.set(start, start + len);
                    owned.remove(f);
                    rcvNxt = base + start + len;
                } else {
                    queue.add(base + start, len, f, 1000 + start);
                }
                int before = rcvNxt;
                rcvNxt = queue.drainInOrder(rcvNxt, (fid, off, s, l) -> {
                    int at = s - base;
                    assertThat(off).isEqualTo(1000 + at); // the data offset tracks the first octet
                    for (int k = at; k < at + l; k++) {
                        assertThat(got.get(k)).as("octet %d delivered twice", k).isFalse();
                    }
                    got.set(at, at + l);
                    assertThat(owned.remove(fid)).isTrue();
                });
                assertThat(Seq.geq(rcvNxt, before)).isTrue();
                int n = queue.sackBlocks(rcvNxt, sl, sr, 4);
                for (int k = 0; k < n; k++) {
                    assertThat(Seq.gt(sl[k], rcvNxt)).isTrue();
                    assertThat(Seq.lt(sl[k], sr[k])).isTrue();
                }
                for (int id : rel) {
                    assertThat(owned.remove(id)).as("frame %d released twice or not owned", id).isTrue();
                }
                rel.clear();
                assertThat(queue.bytes()).isLessThanOrEqualTo(4000);
                assertThat(queue.segments()).isLessThanOrEqualTo(16);
            }
            assertThat(got.nextClearBit(0)).isEqualTo(rcvNxt - base);
            queue.clear();
            for (int id : rel) {
                assertThat(owned.remove(id)).isTrue();
            }
            assertThat(owned).as("frames neither delivered nor released").isEmpty();
        }
    }
}
