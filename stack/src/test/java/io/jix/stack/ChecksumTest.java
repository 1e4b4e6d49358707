package io.jix.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ChecksumTest {

    private static MemorySegment bytes(String hex) {
        return MemorySegment.ofArray(HexFormat.of().parseHex(hex));
    }

    /** The plain 16-bit definition, to check the word-at-a-time one against. */
    private static int reference(byte[] b, int off, int len) {
        long sum = 0;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += ((b[off + i] & 0xff) << 8) | (b[off + i + 1] & 0xff);
        }
        if ((len & 1) == 1) {
            sum += (b[off + len - 1] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return ~(int) sum & 0xffff;
    }

    @Test
    void rfc1071Example() {
        // RFC 1071 section 3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
        assertThat(Checksum.fold(Checksum.add(0, bytes("0001f203f4f5f6f7"), 0, 8))).isEqualTo(0xddf2);
    }

    @Test
    void ipv4HeaderVerifies() {
        MemorySegment header = bytes("450000730000400040110000c0a80001c0a800c7");
        int c = Checksum.of(header, 0, 20);
        assertThat(c).isEqualTo(0xb861);
        header.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 10, (short) c);
        assertThat(Checksum.verifies(Checksum.add(0, header, 0, 20))).isTrue();
    }

    @Test
    void matchesTheDefinitionOnRandomDataOffsetsAndLengths() {
        SplittableRandom r = new SplittableRandom(1071);
        MemorySegment native_ = Arena.ofAuto().allocate(4096);
        for (int round = 0; round < 20_000; round++) {
            byte[] data = new byte[1 + r.nextInt(3000)];
            r.nextBytes(data);
            int off = r.nextInt(data.length);
            int len = r.nextInt(data.length - off + 1);
            MemorySegment.copy(data, 0, native_, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, data.length);
            assertThat(Checksum.of(native_, off, len)).as("round %d len %d", round, len).isEqualTo(reference(data, off, len));
            int split = len == 0 ? 0 : (r.nextInt(len + 1) & ~1);
            long partial = Checksum.add(Checksum.add(0, native_, off, split), native_, off + split, len - split);
            assertThat(Checksum.finish(partial)).isEqualTo(reference(data, off, len));
        }
    }

    @Test
    void pseudoHeaderAddsUp() {
        long ph = Checksum.pseudoHeader(0xc6120002, 0xc6120001, 17, 12);
        long byHand = 0xc612 + 0x0002 + 0xc612 + 0x0001 + 17 + 12;
        assertThat(Checksum.fold(ph)).isEqualTo(Checksum.fold(byHand));
    }
}
