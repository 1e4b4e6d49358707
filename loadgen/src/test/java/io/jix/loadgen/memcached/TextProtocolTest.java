package io.jix.loadgen.memcached;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TextProtocolTest {

    private final KeyValueMix mix = KeyValueMix.etc(100, 1);

    private static ByteBuffer bytes(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        buf.put(b).flip();
        return buf;
    }

    private static String text(ByteBuffer b, int from, int to) {
        byte[] out = new byte[to - from];
        b.get(from, out);
        return new String(out, StandardCharsets.ISO_8859_1);
    }

    /** The reply a correct server gives to a GET of {@code key} set with {@code flags}. */
    private String hit(int key, int flags) {
        ByteBuffer v = ByteBuffer.allocate(2048);
        mix.putValue(v, key, flags);
        return "VALUE " + mix.keyText(key) + " " + Integer.toUnsignedString(flags) + " " + v.position() + "\r\n"
                + text(v, 0, v.position()) + "\r\nEND\r\n";
    }

    @Test
    void requestsAreTheTextProtocol() {
        ByteBuffer out = ByteBuffer.allocate(4096);
        TextProtocol.putGet(out, mix, 3);
        assertThat(text(out, 0, out.position())).isEqualTo("get " + mix.keyText(3) + "\r\n");
        out.clear();
        TextProtocol.putSet(out, mix, 3, -1);
        String head = "set " + mix.keyText(3) + " 4294967295 0 " + mix.valueLength(3) + "\r\n";
        assertThat(text(out, 0, head.length())).isEqualTo(head);
        assertThat(out.position()).isEqualTo(head.length() + mix.valueLength(3) + 2);
        assertThat(mix.valueEquals(out, head.length(), mix.valueLength(3), 3, -1)).isTrue();
        assertThat(TextProtocol.maxRequestBytes(mix)).isGreaterThanOrEqualTo(out.position());
    }

    @Test
    void aHitIsCheckedAgainstKeyAndFlags() {
        ByteBuffer in = bytes(hit(5, 77) + hit(5, -2) + "END\r\n");
        assertThat(TextProtocol.readGet(in, mix, 5)).isEqualTo(TextProtocol.HIT);
        assertThat(TextProtocol.readGet(in, mix, 5)).isEqualTo(TextProtocol.HIT);
        assertThat(TextProtocol.readGet(in, mix, 5)).isEqualTo(TextProtocol.MISS);
        assertThat(in.hasRemaining()).isFalse();
    }

    @Test
    void anotherKeysValueOrChangedBytesAreAMismatchAndTheStreamStaysAligned() {
        String other = hit(6, 77);
        String corrupted = hit(5, 77);
        int at = corrupted.indexOf("\r\n") + 3;
        corrupted = corrupted.substring(0, at) + (char) (corrupted.charAt(at) ^ 0x20) + corrupted.substring(at + 1);
        // The value of key 6 carrying key 5's name: the bytes do not match key 5's.
        String renamed = hit(6, 77).replace(mix.keyText(6), mix.keyText(5));
        ByteBuffer in = bytes(other + corrupted + renamed + "STORED\r\n");
        assertThat(TextProtocol.readGet(in, mix, 5)).isEqualTo(TextProtocol.MISMATCH);
        assertThat(TextProtocol.readGet(in, mix, 5)).isEqualTo(TextProtocol.MISMATCH);
        assertThat(TextProtocol.readGet(in, mix, 5)).isEqualTo(TextProtocol.MISMATCH);
        assertThat(TextProtocol.readSet(in)).isEqualTo(TextProtocol.STORED);
    }

    @Test
    void partialRepliesNeedMoreAtEveryCut() {
        String whole = hit(9, 1);
        for (int cut = 0; cut < whole.length(); cut++) {
            ByteBuffer in = bytes(whole.substring(0, cut));
            assertThat(TextProtocol.readGet(in, mix, 9)).as("cut at %d", cut).isEqualTo(TextProtocol.NEED_MORE);
            assertThat(in.position()).isZero();
        }
        assertThat(TextProtocol.readSet(bytes("STORE"))).isEqualTo(TextProtocol.NEED_MORE);
    }

    @Test
    void errorLinesAreWrongRepliesThatKeepTheStream() {
        ByteBuffer in = bytes("SERVER_ERROR out of memory storing object\r\nERROR\r\nNOT_STORED\r\n"
                + "CLIENT_ERROR bad data chunk\r\nEND\r\n");
        assertThat(TextProtocol.readSet(in)).isEqualTo(TextProtocol.MISMATCH);
        assertThat(TextProtocol.readGet(in, mix, 1)).isEqualTo(TextProtocol.MISMATCH);
        assertThat(TextProtocol.readSet(in)).isEqualTo(TextProtocol.MISMATCH);
        assertThat(TextProtocol.readGet(in, mix, 1)).isEqualTo(TextProtocol.MISMATCH);
        assertThat(TextProtocol.readGet(in, mix, 1)).isEqualTo(TextProtocol.MISS);
    }

    @Test
    void garbageIsRecognisedAndLeftInPlace() {
        String[] garbage = {
            "HTTP/1.1 200 OK\r\n",                          // not a memcached word
            "VALUE\r\n",                                     // no key
            "VALUE k1 x 3\r\nabc\r\nEND\r\n",               // flags not a number
            "VALUE k1 0 -3\r\n",                             // negative length
            "VALUE k1 0 3\r\nabcXYEND\r\n",                  // data not followed by \r\n
            "VALUE k1 0 3\r\nabc\r\nENX\r\n",               // no END
            "VALUE k1 0 999999999\r\n",                      // longer than any buffer
            "STORED\u0000\u0001\r\n",                        // control bytes
            "x".repeat(TextProtocol.MAX_LINE + 10),         // a line without end
        };
        for (String g : garbage) {
            ByteBuffer in = bytes(g);
            int status = g.startsWith("STORED") ? TextProtocol.readSet(in) : TextProtocol.readGet(in, mix, 1);
            assertThat(status).as("%s", g.length() > 40 ? g.substring(0, 40) : g).isEqualTo(TextProtocol.GARBAGE);
            assertThat(in.position()).isZero();
        }
        assertThat(TextProtocol.readSet(bytes("y".repeat(TextProtocol.MAX_LINE + 10)))).isEqualTo(TextProtocol.GARBAGE);
    }
}
