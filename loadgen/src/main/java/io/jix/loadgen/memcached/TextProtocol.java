package io.jix.loadgen.memcached;

import java.nio.ByteBuffer;

/**
 * The memcached text protocol as the open-loop client speaks it: {@code get <key>} and
 * {@code set <key> <flags> 0 <bytes>}, and their replies read in place from a receive buffer,
 * checked against the {@link KeyValueMix} (no allocation).
 *
 * <p>A reply is {@link #NEED_MORE} until it is whole; {@link #HIT}, {@link #MISS},
 * {@link #STORED}, {@link #MISMATCH} (a well-formed reply that is wrong: another key, other bytes,
 * an error line such as {@code SERVER_ERROR ...}) advance the buffer past it; {@link #GARBAGE}
 * (bytes that are no reply at all) leaves the buffer alone, and the stream cannot be trusted after it.
 */
public final class TextProtocol {

    /** Not a whole reply yet. */
    public static final int NEED_MORE = 0;
    /** A GET found the key and its value checked. */
    public static final int HIT = 1;
    /** A GET found nothing ({@code END}). */
    public static final int MISS = 2;
    /** A SET was stored. */
    public static final int STORED = 3;
    /** A whole reply, but a wrong one (counted as an error). */
    public static final int MISMATCH = 4;
    /** Not a reply. */
    public static final int GARBAGE = 5;

    /** Longest reply line accepted before its {@code \r\n}. */
    static final int MAX_LINE = 512;

    private static final byte[] GET = {'g', 'e', 't', ' '};
    private static final byte[] SET = {'s', 'e', 't', ' '};
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] END = {'E', 'N', 'D', '\r', '\n'};
    private static final byte[] VALUE = {'V', 'A', 'L', 'U', 'E', ' '};
    private static final byte[] STORED_LINE = {'S', 'T', 'O', 'R', 'E', 'D', '\r', '\n'};
    private static final byte[] SET_TAIL = {' ', '0', ' '};

    private TextProtocol() {
    }

    /** The longest request for {@code mix}: a SET of its longest key and value. */
    public static int maxRequestBytes(KeyValueMix mix) {
        return SET.length + mix.maxKeyLength() + 1 + 10 + SET_TAIL.length + 4 + CRLF.length
                + mix.maxValueLength() + CRLF.length;
    }

    /** The longest reply for {@code mix}: a GET hit of its longest key and value (or an error line). */
    public static int maxReplyBytes(KeyValueMix mix) {
        return Math.max(MAX_LINE, VALUE.length + mix.maxKeyLength() + 1 + 10 + 1 + 4 + CRLF.length
                + mix.maxValueLength() + CRLF.length + END.length);
    }

    /** Puts {@code get <key>\r\n}. */
    public static void putGet(ByteBuffer out, KeyValueMix mix, int key) {
        out.put(GET);
        mix.putKey(out, key);
        out.put(CRLF);
    }

    /** Puts {@code set <key> <flags> 0 <bytes>\r\n<value>\r\n}. */
    public static void putSet(ByteBuffer out, KeyValueMix mix, int key, int flags) {
        out.put(SET);
        mix.putKey(out, key);
        out.put((byte) ' ');
        putDecimal(out, flags & 0xffffffffL);
        out.put(SET_TAIL);
        putDecimal(out, mix.valueLength(key));
        out.put(CRLF);
        mix.putValue(out, key, flags);
        out.put(CRLF);
    }

    /** Reads the reply to a SET at {@code in}'s position. */
    public static int readSet(ByteBuffer in) {
        int start = in.position();
        int eol = lineEnd(in, start);
        if (eol < 0) {
            return in.remaining() > MAX_LINE ? GARBAGE : NEED_MORE;
        }
        if (startsWith(in, start, STORED_LINE) && eol == start + STORED_LINE.length - 2) {
            in.position(eol + 2);
            return STORED;
        }
        return errorLine(in, start, eol);
    }

    /** Reads the reply to {@code get <key>} at {@code in}'s position. */
    public static int readGet(ByteBuffer in, KeyValueMix mix, int key) {
        int start = in.position();
        int eol = lineEnd(in, start);
        if (eol < 0) {
            return in.remaining() > MAX_LINE ? GARBAGE : NEED_MORE;
        }
        if (eol == start + 3 && startsWith(in, start, END)) {
            in.position(eol + 2);
            return MISS;
        }
        if (!startsWith(in, start, VALUE)) {
            return errorLine(in, start, eol);
        }
        // VALUE <key> <flags> <bytes>[ <cas>]
        int keyAt = start + VALUE.length;
        int keyEnd = indexOf(in, keyAt, eol, (byte) ' ');
        if (keyEnd <= keyAt) {
            return GARBAGE;
        }
        int flagsAt = keyEnd + 1;
        int flagsEnd = indexOf(in, flagsAt, eol, (byte) ' ');
        if (flagsEnd < 0) {
            return GARBAGE;
        }
        long flags = parseDecimal(in, flagsAt, flagsEnd);
        int bytesAt = flagsEnd + 1;
        int bytesEnd = indexOf(in, bytesAt, eol, (byte) ' ');
        long bytes = parseDecimal(in, bytesAt, bytesEnd < 0 ? eol : bytesEnd);
        if (flags < 0 || flags > 0xffffffffL || bytes < 0 || bytes > Integer.MAX_VALUE / 2) {
            return GARBAGE;
        }
        long whole = (long) eol + 2 + bytes + CRLF.length + END.length - start;
        if (in.remaining() < whole) {
            return whole > in.capacity() ? GARBAGE : NEED_MORE;
        }
        int dataAt = eol + 2;
        int dataEnd = dataAt + (int) bytes;
        if (in.get(dataEnd) != '\r' || in.get(dataEnd + 1) != '\n' || !startsWith(in, dataEnd + 2, END)) {
            return GARBAGE;
        }
        boolean right = mix.keyEquals(in, keyAt, keyEnd - keyAt, key)
                && mix.valueEquals(in, dataAt, (int) bytes, key, (int) flags);
        in.position(dataEnd + 2 + END.length);
        return right ? HIT : MISMATCH;
    }

    /** {@code ERROR}, {@code CLIENT_ERROR ...}, {@code SERVER_ERROR ...} and other known words: a wrong reply. */
    private static int errorLine(ByteBuffer in, int start, int eol) {
        for (int p = start; p < eol; p++) {
            byte b = in.get(p);
            if (b < 0x20 || b > 0x7e) {
                return GARBAGE;
            }
        }
        byte first = eol > start ? in.get(start) : 0;
        if (first != 'E' && first != 'C' && first != 'S' && first != 'N') { // ERROR, CLIENT_/SERVER_ERROR, NOT_*
            return GARBAGE;
        }
        in.position(eol + 2);
        return MISMATCH;
    }

    /** Absolute index of the {@code \r} of the first {@code \r\n} at or after {@code from}, or -1. */
    private static int lineEnd(ByteBuffer in, int from) {
        int limit = Math.min(in.limit(), from + MAX_LINE + 2);
        for (int p = from; p + 1 < limit; p++) {
            if (in.get(p) == '\r' && in.get(p + 1) == '\n') {
                return p;
            }
        }
        return -1;
    }

    private static int indexOf(ByteBuffer in, int from, int to, byte b) {
        for (int p = from; p < to; p++) {
            if (in.get(p) == b) {
                return p;
            }
        }
        return -1;
    }

    private static boolean startsWith(ByteBuffer in, int at, byte[] prefix) {
        if (in.limit() - at < prefix.length) {
            return false;
        }
        for (int k = 0; k < prefix.length; k++) {
            if (in.get(at + k) != prefix[k]) {
                return false;
            }
        }
        return true;
    }

    /** The decimal number in {@code [from, to)}, or -1 when it is empty, too long or not digits. */
    private static long parseDecimal(ByteBuffer in, int from, int to) {
        if (to <= from || to - from > 18) {
            return -1;
        }
        long v = 0;
        for (int p = from; p < to; p++) {
            int d = in.get(p) - '0';
            if (d < 0 || d > 9) {
                return -1;
            }
            v = v * 10 + d;
        }
        return v;
    }

    private static void putDecimal(ByteBuffer out, long v) {
        if (v == 0) {
            out.put((byte) '0');
            return;
        }
        long div = 1;
        while (div <= v / 10) {
            div *= 10;
        }
        for (; div > 0; div /= 10) {
            out.put((byte) ('0' + (v / div) % 10));
        }
    }
}
