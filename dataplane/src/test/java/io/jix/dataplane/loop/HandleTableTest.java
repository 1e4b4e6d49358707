package io.jix.dataplane.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jix.api.BadHandleException;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HandleTableTest {

    @Test
    void handlesArePositiveAndNameTheirSlot() {
        HandleTable t = new HandleTable(3, 8);
        long h = t.allocate();
        assertThat(h).isPositive();
        assertThat(t.isLive(h)).isTrue();
        assertThat(t.slot(h)).isEqualTo((int) (h & 0xffffff));
        assertThat(h >>> 24 & 0xff).isEqualTo(3);
    }

    @Test
    void aFreedSlotsOldHandleStaysStaleAfterReuse() {
        HandleTable t = new HandleTable(0, 1);
        long first = t.allocate();
        t.release(t.slot(first));
        long second = t.allocate();
        assertThat(t.slot(second)).isEqualTo((int) (first & 0xffffff));
        assertThat(second).isNotEqualTo(first);
        assertThat(t.isLive(first)).isFalse();
        assertThatThrownBy(() -> t.slot(first)).isInstanceOf(BadHandleException.class).hasMessageContaining("stale");
    }

    @Test
    void fullTableSaysSo() {
        HandleTable t = new HandleTable(0, 2);
        t.allocate();
        t.allocate();
        assertThat(t.allocate()).isEqualTo(-1);
        assertThat(t.used()).isEqualTo(2);
    }

    @Test
    void randomForgeriesNeverPass() {
        HandleTable t = new HandleTable(1, 64);
        Set<Long> issued = new HashSet<>();
        for (int i = 0; i < 32; i++) {
            issued.add(t.allocate());
        }
        SplittableRandom r = new SplittableRandom(42);
        for (int i = 0; i < 100_000; i++) {
            long forged = r.nextLong();
            if (!issued.contains(forged)) {
                assertThat(t.isLive(forged)).as("forged 0x%x", forged).isFalse();
            }
        }
        // Near misses: right slot and thread, wrong generation; right generation, wrong thread.
        for (long h : issued) {
            assertThat(t.isLive(h + (1L << 32))).isFalse();
            assertThat(t.isLive(h ^ (1L << 24))).isFalse();
        }
    }

    @Test
    void doubleReleaseIsABug() {
        HandleTable t = new HandleTable(0, 2);
        int slot = t.slot(t.allocate());
        t.release(slot);
        assertThatThrownBy(() -> t.release(slot)).isInstanceOf(IllegalStateException.class);
    }
}
