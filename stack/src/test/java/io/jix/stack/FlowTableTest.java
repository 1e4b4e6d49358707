package io.jix.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FlowTableTest {

    @Test
    void behavesLikeAMapUnderRandomChurn() {
        FlowTable table = new FlowTable(5_000);
        Map<java.util.List<Long>, Integer> reference = new HashMap<>();
        SplittableRandom r = new SplittableRandom(4);
        for (int op = 0; op < 1_000_000; op++) {
            // Few distinct peers and ports, so probe runs collide and deletions shift.
            int remote = 0xc6120000 | r.nextInt(64);
            int remotePort = 1024 + r.nextInt(128);
            long a = FlowTable.key1(0xc6120001, remote);
            long b = FlowTable.key2(80, remotePort);
            java.util.List<Long> key = java.util.List.of(a, b);
            switch (r.nextInt(3)) {
                case 0 -> {
                    int v = r.nextInt(1 << 20);
                    boolean added = table.put(a, b, v);
                    boolean expected = !reference.containsKey(key) && reference.size() < 5_000;
                    assertThat(added).isEqualTo(expected);
                    if (added) {
                        reference.put(key, v);
                    }
                }
                case 1 -> assertThat(table.remove(a, b))
                        .isEqualTo(java.util.Objects.requireNonNullElse(reference.remove(key), FlowTable.MISSING));
                default -> assertThat(table.get(a, b)).isEqualTo(reference.getOrDefault(key, FlowTable.MISSING));
            }
            assertThat(table.size()).isEqualTo(reference.size());
        }
    }

    @Test
    void fullTableRefusesThenAcceptsAfterRemoval() {
        FlowTable table = new FlowTable(3);
        assertThat(table.put(1, 1, 1)).isTrue();
        assertThat(table.put(2, 2, 2)).isTrue();
        assertThat(table.put(3, 3, 3)).isTrue();
        assertThat(table.put(4, 4, 4)).isFalse();
        assertThat(table.remove(2, 2)).isEqualTo(2);
        assertThat(table.put(4, 4, 4)).isTrue();
        assertThat(table.get(1, 1)).isEqualTo(1);
        assertThat(table.get(3, 3)).isEqualTo(3);
        assertThat(table.get(4, 4)).isEqualTo(4);
    }
}
