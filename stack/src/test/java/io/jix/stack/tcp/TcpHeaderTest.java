package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jix.nic.Frame;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TcpHeaderTest {

    // 198.18.0.1:51234 -> 198.18.0.2:7007 SYN, seq 0x01020304, MSS 1460, SACKOK, TS, WS 7
    private static final String SYN = "c822 1b5f 01020304 00000000 a0 02 faf0 0000 0000"
            + "020405b4 0402080a 11223344 00000000 01030307";
    private static final int SRC = 0xc612_0001;
    private static final int DST = 0xc612_0002;

    /** The checksum by the plain 16-bit definition, with the pseudo-header spelled out. */
    private static int reference(Frame f, int off, int len, int src, int dst) {
        long sum = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + len;
        for (int i = 0; i < len; i += 2) {
            int hi = f.u8(off + i);
            int lo = i + 1 < len ? f.u8(off + i + 1) : 0;
            sum += (hi << 8) | lo;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return ~(int) sum & 0xffff;
    }

    @Test
    void readsEveryField() {
        TcpHeader h = new TcpHeader().wrap(Frames.of("ffff" + SYN), 2);
        assertThat(h.validate(40)).isEqualTo(TcpHeader.VALID);
        assertThat(h.sourcePort()).isEqualTo(51234);
        assertThat(h.destinationPort()).isEqualTo(7007);
        assertThat(h.seq()).isEqualTo(0x01020304);
        assertThat(h.ack()).isZero();
        assertThat(h.dataOffset()).isEqualTo(10);
        assertThat(h.headerLength()).isEqualTo(40);
        assertThat(h.optionsOffset()).isEqualTo(22);
        assertThat(h.optionsLength()).isEqualTo(20);
        assertThat(h.flags()).isEqualTo(TcpHeader.SYN);
        assertThat(h.has(TcpHeader.SYN)).isTrue();
        assertThat(h.has(TcpHeader.SYN | TcpHeader.ACK)).isFalse();
        assertThat(h.window()).isEqualTo(0xfaf0);
        assertThat(h.checksum()).isZero();
        assertThat(h.urgentPointer()).isZero();
    }

    @Test
    void writesEveryFieldAtTheOffset() {
        Frame f = Frames.zeroed(64);
        TcpHeader h = new TcpHeader().wrap(f, 4);
        h.sourcePort(0xfedc).destinationPort(80).seq(0xdeadbeef).ack(0x80000001).headerLength(24)
                .flags(TcpHeader.ACK | TcpHeader.PSH | TcpHeader.FIN | TcpHeader.CWR | TcpHeader.ECE | TcpHeader.URG
                        | TcpHeader.RST | TcpHeader.SYN)
                .window(65535).checksum(0x1234).urgentPointer(0xabcd);
        assertThat(Frames.hex(f, 0, 24)).isEqualTo("00000000" + "fedc0050deadbeef8000000160ff" + "ffff1234abcd");
        assertThat(h.seq()).isEqualTo(0xdeadbeef);
        assertThat(h.ack()).isEqualTo(0x80000001);
        assertThat(h.headerLength()).isEqualTo(24);
        assertThat(h.flags()).isEqualTo(0xff);
        assertThatThrownBy(() -> h.headerLength(22)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> h.headerLength(64)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> h.headerLength(16)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void flagBitsAreTheRfcOnes() {
        assertThat(new int[] {TcpHeader.FIN, TcpHeader.SYN, TcpHeader.RST, TcpHeader.PSH, TcpHeader.ACK, TcpHeader.URG,
            TcpHeader.ECE, TcpHeader.CWR}).containsExactly(1, 2, 4, 8, 16, 32, 64, 128);
    }

    @Test
    void validateRejectsShortSegmentsAndBadOffsets() {
        Frame f = Frames.of(SYN);
        TcpHeader h = new TcpHeader().wrap(f, 0);
        assertThat(h.validate(19)).isEqualTo(TcpHeader.TRUNCATED);
        assertThat(h.validate(41)).isEqualTo(TcpHeader.TRUNCATED); // beyond the frame
        assertThat(h.validate(39)).isEqualTo(TcpHeader.BAD_DATA_OFFSET); // offset 40 > 39
        f.u8(12, 0x40);
        assertThat(h.validate(40)).isEqualTo(TcpHeader.BAD_DATA_OFFSET); // 4 words
        f.u8(12, 0x00);
        assertThat(h.validate(40)).isEqualTo(TcpHeader.BAD_DATA_OFFSET);
        f.u8(12, 0xf0);
        assertThat(h.validate(40)).isEqualTo(TcpHeader.BAD_DATA_OFFSET); // 60 > 40
        f.u8(12, 0x50);
        assertThat(h.validate(40)).isEqualTo(TcpHeader.VALID);
        assertThat(h.validate(20)).isEqualTo(TcpHeader.VALID);
        assertThat(new TcpHeader().wrap(f, 30).validate(20)).isEqualTo(TcpHeader.TRUNCATED);
    }

    @Test
    void checksumMatchesTheDefinitionAndVerifies() {
        Frame f = Frames.of(SYN);
        TcpHeader h = new TcpHeader().wrap(f, 0);
        assertThat(h.checksumOk(SRC, DST, 40)).isFalse();
        h.computeChecksum(SRC, DST, 40);
        assertThat(h.checksum()).isEqualTo(reference(Frames.of(SYN), 0, 40, SRC, DST));
        assertThat(h.checksumOk(SRC, DST, 40)).isTrue();
        assertThat(h.checksumOk(DST, SRC + 1, 40)).isFalse();
        f.u8(39, 8); // window scale changed
        assertThat(h.checksumOk(SRC, DST, 40)).isFalse();
        assertThatThrownBy(() -> h.checksumOk(SRC, DST, 41)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void checksumOfRandomSegmentsWithOddLengthsAtOddOffsets() {
        SplittableRandom r = new SplittableRandom(9293);
        Frame f = Frames.zeroed(1600);
        TcpHeader h = new TcpHeader();
        for (int round = 0; round < 2000; round++) {
            int off = r.nextInt(50);
            int len = 20 + r.nextInt(1500);
            for (int i = 0; i < len; i++) {
                f.u8(off + i, r.nextInt(256));
            }
            int src = r.nextInt();
            int dst = r.nextInt();
            h.wrap(f, off).checksum(0);
            int expected = reference(f, off, len, src, dst);
            h.computeChecksum(src, dst, len);
            assertThat(h.checksum()).isEqualTo(expected);
            assertThat(h.checksumOk(src, dst, len)).isTrue();
            int flip = off + r.nextInt(len);
            f.u8(flip, f.u8(flip) ^ (1 << r.nextInt(8)));
            assertThat(h.checksumOk(src, dst, len)).isFalse();
        }
    }
}
