package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IsnGeneratorTest {

    private static final int A = 0xc612_0001;
    private static final int B = 0xc612_0002;

    @Test
    void advancesWithTheFourMicrosecondClock() {
        IsnGenerator g = new IsnGenerator(11, 22);
        int base = g.isn(0, A, 7007, B, 40000);
        assertThat(g.isn(3_999, A, 7007, B, 40000)).isEqualTo(base);
        assertThat(g.isn(4_000, A, 7007, B, 40000)).isEqualTo(base + 1);
        assertThat(g.isn(1_000_000_000L, A, 7007, B, 40000)).isEqualTo(base + 250_000);
        // M wraps after 2^32 ticks (about 4.77 hours), as RFC 9293 §3.4.1 describes
        assertThat(g.isn((1L << 32) * IsnGenerator.TICK_NANOS, A, 7007, B, 40000)).isEqualTo(base);
        assertThat(g.isn(-4_000, A, 7007, B, 40000)).isEqualTo(base - 1);
    }

    @Test
    void isMPlusTheKeyedHashOfTheTuple() {
        IsnGenerator g = new IsnGenerator(11, 22);
        SipHash f = new SipHash(11, 22);
        long m0 = (A & 0xffff_ffffL) | ((long) B << 32);
        long m1 = 7007 | (40000L << 16);
        assertThat(g.isn(8_000, A, 7007, B, 40000)).isEqualTo(2 + (int) f.hash(m0, m1));
    }

    @Test
    void everyTupleFieldAndTheKeyChangeTheIsn() {
        IsnGenerator g = new IsnGenerator(11, 22);
        int base = g.isn(0, A, 7007, B, 40000);
        assertThat(g.isn(0, A + 1, 7007, B, 40000)).isNotEqualTo(base);
        assertThat(g.isn(0, A, 7008, B, 40000)).isNotEqualTo(base);
        assertThat(g.isn(0, A, 7007, B + 1, 40000)).isNotEqualTo(base);
        assertThat(g.isn(0, A, 7007, B, 40001)).isNotEqualTo(base);
        assertThat(g.isn(0, B, 40000, A, 7007)).isNotEqualTo(base);
        assertThat(new IsnGenerator(11, 23).isn(0, A, 7007, B, 40000)).isNotEqualTo(base);
        assertThat(new IsnGenerator().isn(0, A, 7007, B, 40000)).isNotEqualTo(new IsnGenerator().isn(0, A, 7007, B, 40000));
    }

    @Test
    void neighbouringPortsGiveUnrelatedIsns() {
        IsnGenerator g = new IsnGenerator(5, 6);
        Set<Integer> seen = new HashSet<>();
        int collisionsOfTopByte = 0;
        int previous = g.isn(0, A, 7007, B, 1024);
        for (int port = 1025; port < 11025; port++) {
            int isn = g.isn(0, A, 7007, B, port);
            seen.add(isn);
            if ((isn >>> 24) == (previous >>> 24)) {
                collisionsOfTopByte++;
            }
            previous = isn;
        }
        assertThat(seen).hasSize(10_000);
        assertThat(collisionsOfTopByte).isLessThan(200); // ~10000/256 = 39 expected at random
    }
}
