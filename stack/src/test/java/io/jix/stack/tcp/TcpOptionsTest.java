package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jix.nic.Frame;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TcpOptionsTest {

    private final TcpOptions o = new TcpOptions();

    private boolean parse(String hex) {
        Frame f = Frames.of(hex);
        return o.parse(f, 0, f.length());
    }

    @Test
    void parsesALinuxSyn() {
        assertThat(parse("020405b4 0402080a 11223344 00000000 01030307")).isTrue();
        assertThat(o.mss()).isEqualTo(1460);
        assertThat(o.sackPermitted()).isTrue();
        assertThat(o.hasTimestamps()).isTrue();
        assertThat(o.tsVal()).isEqualTo(0x11223344);
        assertThat(o.tsEcr()).isZero();
        assertThat(o.windowScale()).isEqualTo(7);
        assertThat(o.sackCount()).isZero();
        assertThat(o.malformed()).isFalse();
    }

    @Test
    void parsesTimestampsAndSackBlocks() {
        assertThat(parse("0101080a 00000001 fffffffe 0101051a 00000010 00000020 80000000 80000010 fffffff0 00000005"))
                .isTrue();
        assertThat(o.hasTimestamps()).isTrue();
        assertThat(o.tsVal()).isEqualTo(1);
        assertThat(o.tsEcr()).isEqualTo(-2);
        assertThat(o.sackCount()).isEqualTo(3);
        assertThat(o.sackLeft(0)).isEqualTo(0x10);
        assertThat(o.sackRight(0)).isEqualTo(0x20);
        assertThat(o.sackLeft(1)).isEqualTo(0x80000000);
        assertThat(o.sackRight(2)).isEqualTo(5);
        assertThat(o.mss()).isEqualTo(-1);
        assertThat(o.windowScale()).isEqualTo(-1);
        assertThatThrownBy(() -> o.sackLeft(3)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void parseForgetsThePreviousSegment() {
        parse("020405b4 0402080a 11223344 00000000 01030307");
        assertThat(parse("01010101")).isTrue();
        assertThat(o.mss()).isEqualTo(-1);
        assertThat(o.sackPermitted()).isFalse();
        assertThat(o.hasTimestamps()).isFalse();
        assertThat(o.windowScale()).isEqualTo(-1);
    }

    @Test
    void eolEndsTheListAndUnknownKindsAreSkipped() {
        assertThat(parse("1e06aabbccdd 020405dc 00 030307")).isTrue(); // kind 30 (MPTCP) skipped, WS after EOL ignored
        assertThat(o.mss()).isEqualTo(1500);
        assertThat(o.windowScale()).isEqualTo(-1);
    }

    @Test
    void badLengthsAreMalformed() {
        assertThat(parse("0200")).isFalse(); // length 0
        assertThat(parse("0201 0000")).isFalse(); // length 1
        assertThat(o.malformed()).isTrue();
        assertThat(parse("0204 05")).isFalse(); // overruns
        assertThat(parse("02")).isFalse(); // no length byte
        assertThat(parse("020405b4 1e09 0000")).isFalse(); // unknown kind overruns, MSS kept
        assertThat(o.mss()).isEqualTo(1460);
        assertThat(parse("020305 0101 030307")).isFalse(); // MSS of length 3 ignored, parse goes on
        assertThat(o.mss()).isEqualTo(-1);
        assertThat(o.windowScale()).isEqualTo(7);
        assertThat(parse("050a 00000001 00000002 0000")).isTrue(); // trailing EOL padding
        assertThat(parse("050a 00000001 00000002")).isTrue();
        assertThat(parse("050b 00000001 00000002 00")).isFalse(); // 2 + 9
        assertThat(o.sackCount()).isZero();
        assertThat(parse("0502")).isFalse(); // no blocks
        assertThat(parse("0809 0000000100000002")).isFalse();
        assertThat(o.hasTimestamps()).isFalse();
        assertThat(parse("0403 00")).isFalse();
        assertThat(o.sackPermitted()).isFalse();
    }

    @Test
    void windowScaleIsClampedTo14() {
        assertThat(parse("010303ff")).isTrue();
        assertThat(o.windowScale()).isEqualTo(14);
        assertThat(parse("0103030e")).isTrue();
        assertThat(o.windowScale()).isEqualTo(14);
        assertThat(parse("01030300")).isTrue();
        assertThat(o.windowScale()).isZero();
    }

    @Test
    void moreThanFourSackBlocksKeepTheFirstFour() {
        // 5 blocks = 42 bytes, more than fits in a header, but a parser given such bytes must not overflow
        StringBuilder s = new StringBuilder("052a");
        for (int i = 1; i <= 5; i++) {
            s.append(String.format("%08x%08x", i * 100, i * 100 + 10));
        }
        assertThat(parse(s.toString())).isTrue();
        assertThat(o.sackCount()).isEqualTo(4);
        assertThat(o.sackLeft(3)).isEqualTo(400);
    }

    @Test
    void writesSynOptionsAsLinuxDoes() {
        Frame f = Frames.zeroed(40);
        int n = TcpOptions.writeSyn(f, 0, 1460, true, true, 0x11223344, 0x55667788, 7);
        assertThat(n).isEqualTo(20).isEqualTo(TcpOptions.synLength(true, true, 7));
        assertThat(Frames.hex(f, 0, n)).isEqualTo("020405b4" + "0402080a" + "11223344" + "55667788" + "01030307");

        n = TcpOptions.writeSyn(f, 0, 536, false, true, 1, 2, -1);
        assertThat(n).isEqualTo(16).isEqualTo(TcpOptions.synLength(false, true, -1));
        assertThat(Frames.hex(f, 0, n)).isEqualTo("02040218" + "0101080a" + "00000001" + "00000002");

        n = TcpOptions.writeSyn(f, 0, 1460, true, false, 0, 0, 0);
        assertThat(n).isEqualTo(12).isEqualTo(TcpOptions.synLength(true, false, 0));
        assertThat(Frames.hex(f, 0, n)).isEqualTo("020405b4" + "01010402" + "01030300");

        n = TcpOptions.writeSyn(f, 0, 1460, false, false, 0, 0, -1);
        assertThat(n).isEqualTo(4);
        assertThatThrownBy(() -> TcpOptions.writeSyn(f, 0, 1460, false, false, 0, 0, 15))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void synOptionsRoundTrip() {
        Frame f = Frames.zeroed(40);
        for (int mask = 0; mask < 8; mask++) {
            boolean sack = (mask & 1) != 0;
            boolean ts = (mask & 2) != 0;
            int ws = (mask & 4) != 0 ? 9 : -1;
            int n = TcpOptions.writeSyn(f, 0, 8960, sack, ts, 0xcafebabe, 0, ws);
            assertThat(o.parse(f, 0, n)).isTrue();
            assertThat(o.mss()).isEqualTo(8960);
            assertThat(o.sackPermitted()).isEqualTo(sack);
            assertThat(o.hasTimestamps()).isEqualTo(ts);
            assertThat(o.tsVal()).isEqualTo(ts ? 0xcafebabe : 0);
            assertThat(o.windowScale()).isEqualTo(ws);
            assertThat(n % 4).isZero();
        }
    }

    @Test
    void writesDataOptionsAsLinuxDoesAndRoundTrips() {
        Frame f = Frames.zeroed(40);
        int[] left = {100, 300, 500, 700};
        int[] right = {200, 400, 600, 800};
        int n = TcpOptions.writeData(f, 0, true, 7, 8, left, right, 2);
        assertThat(n).isEqualTo(32).isEqualTo(TcpOptions.dataLength(true, 2));
        assertThat(Frames.hex(f, 0, n)).isEqualTo("0101080a0000000700000008" + "01010512" + "00000064000000c8"
                + "0000012c00000190");
        for (boolean ts : new boolean[] {false, true}) {
            for (int blocks = 0; blocks <= 4; blocks++) {
                n = TcpOptions.writeData(f, 0, ts, -7, -8, left, right, blocks);
                int kept = Math.min(blocks, TcpOptions.maxSackBlocks(ts));
                assertThat(n).isEqualTo(TcpOptions.dataLength(ts, blocks)).isLessThanOrEqualTo(40);
                assertThat(o.parse(f, 0, n)).isTrue();
                assertThat(o.hasTimestamps()).isEqualTo(ts);
                assertThat(o.sackCount()).isEqualTo(kept);
                for (int i = 0; i < kept; i++) {
                    assertThat(o.sackLeft(i)).isEqualTo(left[i]);
                    assertThat(o.sackRight(i)).isEqualTo(right[i]);
                }
                if (ts) {
                    assertThat(o.tsVal()).isEqualTo(-7);
                    assertThat(o.tsEcr()).isEqualTo(-8);
                }
            }
        }
        assertThat(TcpOptions.dataLength(true, 4)).isEqualTo(40);
        assertThat(TcpOptions.dataLength(false, 4)).isEqualTo(36);
        assertThat(TcpOptions.dataLength(false, 0)).isZero();
    }

    @Test
    void fuzzedOptionBytesNeverThrowAndStayConsistent() {
        SplittableRandom r = new SplittableRandom(2018);
        Frame f = Frames.zeroed(64);
        int malformed = 0;
        for (int round = 0; round < 200_000; round++) {
            int len = r.nextInt(41);
            int start = r.nextInt(4);
            for (int i = 0; i < len; i++) {
                // bias towards the known kinds and small lengths so the parser's branches are all hit
                int b = r.nextInt(4) == 0 ? r.nextInt(256) : r.nextInt(12);
                f.u8(start + i, b);
            }
            boolean ok = o.parse(f, start, len);
            assertThat(ok).isEqualTo(!o.malformed());
            if (!ok) {
                malformed++;
            }
            assertThat(o.sackCount()).isBetween(0, 4);
            assertThat(o.windowScale()).isBetween(-1, 14);
            assertThat(o.mss()).isBetween(-1, 65535);
        }
        assertThat(malformed).isBetween(10_000, 190_000);
    }
}
