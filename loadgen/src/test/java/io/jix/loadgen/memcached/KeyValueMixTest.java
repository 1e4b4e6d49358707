package io.jix.loadgen.memcached;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KeyValueMixTest {

    @Test
    void etcKeysAre20To70BytesAndValues1To1024SkewedSmall() {
        KeyValueMix etc = KeyValueMix.etc(100_000, 1);
        int[] values = new int[etc.keys()];
        int[] keyLengths = new int[etc.keys()];
        for (int k = 0; k < etc.keys(); k++) {
            keyLengths[k] = etc.keyLength(k);
            values[k] = etc.valueLength(k);
        }
        Arrays.sort(values);
        Arrays.sort(keyLengths);
        assertThat(keyLengths[0]).isGreaterThanOrEqualTo(20);
        assertThat(keyLengths[keyLengths.length - 1]).isLessThanOrEqualTo(70);
        assertThat(keyLengths[keyLengths.length / 2]).isBetween(28, 40); // the GEV's mode is near 31
        assertThat(values[0]).isGreaterThanOrEqualTo(1);
        assertThat(values[values.length - 1]).isLessThanOrEqualTo(1024);
        // Skewed: the median is small, a tail reaches towards 1 KB.
        assertThat(values[values.length / 2]).isBetween(100, 220);
        assertThat(values[values.length * 99 / 100]).isGreaterThan(700);
        assertThat(etc.maxValueLength()).isEqualTo(values[values.length - 1]);
        assertThat(etc.getFraction()).isEqualTo(0.75);
    }

    @Test
    void usrKeysAreUnder20BytesWithTwoByteValues() {
        KeyValueMix usr = KeyValueMix.usr(50_000, 1);
        for (int k = 0; k < usr.keys(); k++) {
            assertThat(usr.keyLength(k)).isBetween(16, 19);
            assertThat(usr.valueLength(k)).isEqualTo(2);
        }
        assertThat(usr.getFraction()).isEqualTo(0.99);
    }

    @Test
    void theGetSetMixAndTheKeyChoiceFollowTheWorkload() {
        for (KeyValueMix mix : new KeyValueMix[] {KeyValueMix.etc(1000, 3), KeyValueMix.usr(1000, 3)}) {
            SplittableRandom r = new SplittableRandom(9);
            int n = 200_000;
            int gets = 0;
            int[] hits = new int[mix.keys()];
            for (int i = 0; i < n; i++) {
                gets += mix.nextIsGet(r) ? 1 : 0;
                hits[mix.nextKey(r)]++;
            }
            assertThat((double) gets / n).as(mix.name()).isCloseTo(mix.getFraction(), within(0.005));
            // Uniform keys: every key is picked about n / keys = 200 times.
            assertThat(Arrays.stream(hits).min().orElseThrow()).isGreaterThan(120);
            assertThat(Arrays.stream(hits).max().orElseThrow()).isLessThan(290);
        }
    }

    @Test
    void keysAreDistinctPrintableAndTheSameForTheSameSeed() {
        KeyValueMix a = KeyValueMix.etc(20_000, 5);
        KeyValueMix b = KeyValueMix.etc(20_000, 5);
        Set<String> seen = new HashSet<>();
        for (int k = 0; k < a.keys(); k++) {
            String key = a.keyText(k);
            assertThat(key).matches("k" + k + "\\.[a-z0-9]*");
            assertThat(seen.add(key)).isTrue();
            assertThat(b.keyText(k)).isEqualTo(key);
            assertThat(b.valueLength(k)).isEqualTo(a.valueLength(k));
        }
        assertThat(KeyValueMix.etc(20_000, 6).keyText(1)).isNotEqualTo(a.keyText(1));
    }

    @Test
    void valuesDependOnKeyAndFlagsAndCheckThemselves() {
        KeyValueMix etc = KeyValueMix.etc(1000, 1);
        ByteBuffer buf = ByteBuffer.allocate(4096);
        for (int key : new int[] {0, 1, 17, 999}) {
            buf.clear();
            etc.putValue(buf, key, 12345);
            int length = buf.position();
            assertThat(length).isEqualTo(etc.valueLength(key));
            assertThat(etc.valueEquals(buf, 0, length, key, 12345)).isTrue();
            assertThat(etc.valueEquals(buf, 0, length, key, 12346)).isFalse();
            assertThat(etc.valueEquals(buf, 0, length - 1, key, 12345)).isFalse();
            buf.put(length - 1, (byte) (buf.get(length - 1) ^ 1));
            assertThat(etc.valueEquals(buf, 0, length, key, 12345)).isFalse();
        }
    }

    @Test
    void boundsAreChecked() {
        assertThatThrownBy(() -> KeyValueMix.etc(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeyValueMix.named("xyz", 10, 1)).hasMessageContaining("etc or usr");
        assertThat(KeyValueMix.named("USR", 10, 1).name()).isEqualTo("usr");
    }
}
