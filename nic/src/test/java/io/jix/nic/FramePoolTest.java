package io.jix.nic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

class FramePoolTest {

    private final FramePool pool = new FramePool(Arena.ofAuto().allocate(4 * 2048, 4096), 2048, 4);

    @Test
    void allocatesEveryFrameOnceAndRefusesWhenEmpty() {
        boolean[] seen = new boolean[4];
        for (int i = 0; i < 4; i++) {
            int f = pool.allocate();
            assertThat(seen[f]).isFalse();
            seen[f] = true;
        }
        assertThat(pool.allocate()).isEqualTo(-1);
        pool.release(2);
        assertThat(pool.allocate()).isEqualTo(2);
    }

    @Test
    void doubleFreeAndForeignFramesAreBugs() {
        int f = pool.allocate();
        pool.release(f);
        assertThatThrownBy(() -> pool.release(f)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> pool.release(99)).isInstanceOf(IllegalStateException.class);
        assertThat(pool.frameAt(4 * 2048)).isEqualTo(-1);
        assertThat(pool.frameAt(2048 + 5)).isEqualTo(1);
    }

    @Test
    void frameReadsAndWritesNetworkOrderWithinItsDataOnly() {
        int f = pool.allocate();
        Frame frame = new Frame().wrap(pool, f, 256, 60);
        frame.u16(12, 0x0800);
        frame.u32(26, 0xc6120001);
        assertThat(frame.u8(12)).isEqualTo(0x08);
        assertThat(frame.u16(12)).isEqualTo(0x0800);
        assertThat(frame.u32(26)).isEqualTo(0xc6120001);
        assertThat(pool.region().get(java.lang.foreign.ValueLayout.JAVA_BYTE, pool.offset(f) + 256 + 13)).isEqualTo((byte) 0);
        assertThatThrownBy(() -> frame.u32(58)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> frame.u8(-1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> new Frame().wrap(pool, f, 2000, 100)).isInstanceOf(IndexOutOfBoundsException.class);
        frame.length(1792);
        assertThatThrownBy(() -> frame.length(1793)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void burstDropsWhatWasTaken() {
        FrameBurst b = new FrameBurst(4);
        b.add(1, 0, 60);
        b.add(2, 0, 61);
        b.add(3, 0, 62);
        b.dropFirst(2);
        assertThat(b.count()).isEqualTo(1);
        assertThat(b.frame(0)).isEqualTo(3);
        assertThat(b.length(0)).isEqualTo(62);
    }
}
