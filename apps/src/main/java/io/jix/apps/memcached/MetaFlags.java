package io.jix.apps.memcached;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * The flags of one meta command (mg, ms, md, ma), parsed as memcached 1.6 does: every command
 * accepts the same set of flags and ignores those it has no use for; an unknown letter or a
 * repeated one is an error, and so is a flag whose token does not parse. mg and ms name the
 * error; md and ma answer {@code invalid or duplicate flag} for all of them. One per elastic
 * thread, refilled by each command; nothing here allocates after construction.
 */
final class MetaFlags {

    private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    static final MemorySegment R_INVALID_FLAG = text("CLIENT_ERROR invalid flag\r\n"),
            R_DUPLICATE_FLAG = text("CLIENT_ERROR duplicate flag\r\n"),
            R_INVALID_OR_DUPLICATE = text("CLIENT_ERROR invalid or duplicate flag\r\n"),
            R_BAD_TOKEN = text("CLIENT_ERROR bad token in command line format\r\n"),
            R_BAD_FORMAT = text("CLIENT_ERROR bad command line format\r\n"),
            R_DECODING_KEY = text("CLIENT_ERROR error decoding key\r\n"),
            R_M_LENGTH = text("CLIENT_ERROR incorrect length for M token\r\n"),
            R_BAD_INITIAL = text("CLIENT_ERROR invalid numeric initial value\r\n"),
            R_BAD_DELTA = text("CLIENT_ERROR invalid numeric delta value\r\n"),
            R_OPAQUE_TOO_LONG = text("CLIENT_ERROR opaque token too long\r\n");

    /** memcached's longest opaque token, its O included. */
    private static final int MAX_OPAQUE = 32;

    // What was asked.
    boolean value;       // v
    boolean quiet;       // q
    boolean noBump;      // u
    boolean base64;      // b
    boolean invalidate;  // I
    boolean hasTtl;      // T
    long ttl;
    boolean hasVivify;   // N
    long vivify;
    boolean hasRecache;  // R
    long recache;
    boolean hasCas;      // C
    long cas;
    long clientFlags;    // F
    long delta;          // D, default 1
    long initial;        // J
    int mode;            // M's character, or 0

    /** The key: where it lies in the line, or, with b, its decoded bytes. */
    MemorySegment keySegment;
    long keyOffset;
    int keyLength;
    private final MemorySegment decoded = Arena.ofAuto().allocate(MemcachedStore.MAX_KEY, 8);

    // The command's tokens, for the return flags.
    private MemorySegment line;
    private long[] tokenAt;
    private int[] tokenLength;
    private int first;
    private int count;

    private static MemorySegment text(String s) {
        return MemorySegment.ofArray(s.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Parses tokens {@code [first, n)} of the line in {@code d} (token 1 is the key).
     *
     * @param strict md and ma: every error is {@code invalid or duplicate flag}
     * @return null when valid, else the error reply
     */
    MemorySegment parse(MemorySegment d, long[] at, int[] length, int first, int n, boolean strict) {
        this.line = d;
        this.tokenAt = at;
        this.tokenLength = length;
        this.first = first;
        this.count = n;
        value = quiet = noBump = base64 = invalidate = hasTtl = hasVivify = hasRecache = hasCas = false;
        clientFlags = initial = cas = ttl = vivify = recache = 0;
        delta = 1;
        mode = 0;
        keySegment = d;
        keyOffset = at[1];
        keyLength = length[1];
        long seen = 0;
        MemorySegment error = null;
        boolean opaqueTooLong = false;
        for (int i = first; i < n; i++) {
            long token = at[i];
            char flag = (char) d.get(BYTE, token);
            long arg = token + 1;
            int argLength = length[i] - 1;
            long bit = letterBit(flag);
            if (bit == 0) {
                return strict ? R_INVALID_OR_DUPLICATE : R_INVALID_FLAG;
            }
            if ((seen & bit) != 0) {
                return strict ? R_INVALID_OR_DUPLICATE : R_DUPLICATE_FLAG;
            }
            seen |= bit;
            switch (flag) {
                case 'b' -> {
                    int n64 = decodeBase64(d, keyOffset, keyLength, decoded);
                    if (n64 <= 0) {
                        error = R_DECODING_KEY;
                    } else {
                        base64 = true;
                        keySegment = decoded;
                        keyOffset = 0;
                        keyLength = n64;
                    }
                }
                case 'N', 'T', 'R' -> {
                    if (!Numbers.okSigned(d, arg, argLength)) {
                        error = R_BAD_TOKEN;
                        break;
                    }
                    long seconds = Numbers.parseSigned(d, arg, argLength);
                    if (flag == 'N') {
                        hasVivify = true;
                        vivify = seconds;
                    } else if (flag == 'T') {
                        hasTtl = true;
                        ttl = seconds;
                    } else {
                        hasRecache = true;
                        recache = seconds;
                    }
                }
                case 'O' -> opaqueTooLong |= length[i] > MAX_OPAQUE;
                case 'l', 'h', 'P', 'L', 'k', 's', 't', 'c', 'f' -> {
                    // returned, or ignored (P and L are for proxies), by the command
                }
                case 'v' -> value = true;
                case 'u' -> noBump = true;
                case 'q' -> quiet = true;
                case 'I' -> invalidate = true;
                case 'F' -> {
                    if (Numbers.ok(d, arg, argLength) && Numbers.parseUnsigned(d, arg, argLength) <= 0xffffffffL) {
                        clientFlags = Numbers.parseUnsigned(d, arg, argLength);
                    } else {
                        error = R_BAD_FORMAT;
                    }
                }
                case 'C' -> {
                    if (Numbers.ok(d, arg, argLength)) {
                        hasCas = true;
                        cas = Numbers.parseUnsigned(d, arg, argLength);
                    } else {
                        error = R_BAD_TOKEN;
                    }
                }
                case 'M' -> {
                    if (argLength != 1) {
                        error = R_M_LENGTH;
                    } else {
                        mode = d.get(BYTE, arg);
                    }
                }
                case 'J' -> {
                    if (Numbers.ok(d, arg, argLength)) {
                        initial = Numbers.parseUnsigned(d, arg, argLength);
                    } else {
                        error = R_BAD_INITIAL;
                    }
                }
                case 'D' -> {
                    if (Numbers.ok(d, arg, argLength)) {
                        delta = Numbers.parseUnsigned(d, arg, argLength);
                    } else {
                        error = R_BAD_DELTA;
                    }
                }
                default -> {
                    return strict ? R_INVALID_OR_DUPLICATE : R_INVALID_FLAG;
                }
            }
        }
        if (error != null) {
            return strict ? R_INVALID_OR_DUPLICATE : error;
        }
        return opaqueTooLong ? R_OPAQUE_TOO_LONG : null;
    }

    private static long letterBit(char c) {
        if (c >= 'A' && c <= 'Z') {
            return 1L << (c - 'A');
        }
        if (c >= 'a' && c <= 'z') {
            return 1L << (26 + c - 'a');
        }
        return 0;
    }

    /** The return flags named in {@code which}, as a mask for {@link #returnFlags}. */
    static long returning(String which) {
        long mask = 0;
        for (int i = 0; i < which.length(); i++) {
            mask |= letterBit(which.charAt(i));
        }
        return mask;
    }

    /**
     * Appends the return flags asked for and named in {@code which}, in the order asked, to
     * {@code l} at {@code at}: c f s t from {@code found}, h and l from before the command, k
     * (base64 and a b when {@code binaryKey}), O copied.
     *
     * @return where the line goes on
     */
    int returnFlags(MemorySegment l, int at, long which, MemcachedStore.Found found, boolean binaryKey, long now) {
        for (int i = first; i < count; i++) {
            long token = tokenAt[i];
            char flag = (char) line.get(BYTE, token);
            if ((which & letterBit(flag)) == 0) {
                continue;
            }
            switch (flag) {
                case 'c' -> {
                    at = put(l, at, " c");
                    at += Numbers.format(found.cas, l, at);
                }
                case 'f' -> {
                    at = put(l, at, " f");
                    at += Numbers.format(found.flags & 0xffffffffL, l, at);
                }
                case 's' -> {
                    at = put(l, at, " s");
                    at += Numbers.format(found.length, l, at);
                }
                case 't' -> {
                    at = put(l, at, " t");
                    if (found.deadline == 0) {
                        at = put(l, at, "-1");
                    } else {
                        at += Numbers.format(Math.max(0, (found.deadline - now + 999) / 1000), l, at);
                    }
                }
                case 'h' -> at = put(l, at, found.fetched ? " h1" : " h0");
                case 'l' -> {
                    at = put(l, at, " l");
                    at += Numbers.format(Math.max(0, (now - found.lastAccess) / 1000), l, at);
                }
                case 'k' -> {
                    at = put(l, at, " k");
                    if (binaryKey) {
                        at += encodeBase64(keySegment, keyOffset, keyLength, l, at);
                        at = put(l, at, " b");
                    } else {
                        MemorySegment.copy(keySegment, keyOffset, l, at, keyLength);
                        at += keyLength;
                    }
                }
                case 'O' -> {
                    l.set(BYTE, at++, (byte) ' ');
                    MemorySegment.copy(line, token, l, at, tokenLength[i]);
                    at += tokenLength[i];
                }
                default -> {
                }
            }
        }
        return at;
    }

    static int put(MemorySegment l, int at, String ascii) {
        for (int i = 0; i < ascii.length(); i++) {
            l.set(BYTE, at + i, (byte) ascii.charAt(i));
        }
        return at + ascii.length();
    }

    // ---- base64 (RFC 4648, padded), for keys ----

    private static final byte[] ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".getBytes(StandardCharsets.US_ASCII);

    private static int sextet(byte c) {
        if (c >= 'A' && c <= 'Z') {
            return c - 'A';
        } else if (c >= 'a' && c <= 'z') {
            return c - 'a' + 26;
        } else if (c >= '0' && c <= '9') {
            return c - '0' + 52;
        } else if (c == '+') {
            return 62;
        } else if (c == '/') {
            return 63;
        }
        return -1;
    }

    /**
     * Decodes padded base64 into {@code out} at 0.
     *
     * @return the bytes decoded, or 0 when the text is not padded base64 or decodes to nothing
     */
    static int decodeBase64(MemorySegment in, long offset, int length, MemorySegment out) {
        if (length == 0 || length % 4 != 0 || length / 4 * 3 > out.byteSize()) {
            return 0;
        }
        int pad = in.get(BYTE, offset + length - 1) == '=' ? (in.get(BYTE, offset + length - 2) == '=' ? 2 : 1) : 0;
        int n = 0;
        for (int i = 0; i < length; i += 4) {
            int bits = 0;
            for (int j = 0; j < 4; j++) {
                int v;
                if (i + j >= length - pad) {
                    v = 0;
                } else if ((v = sextet(in.get(BYTE, offset + i + j))) < 0) {
                    return 0;
                }
                bits = bits << 6 | v;
            }
            int bytes = i + 4 < length ? 3 : 3 - pad;
            for (int j = 0; j < bytes; j++) {
                out.set(BYTE, n++, (byte) (bits >> (16 - 8 * j)));
            }
        }
        return n;
    }

    /** Encodes {@code length} bytes as padded base64 into {@code out} at {@code at}; returns the characters written. */
    static int encodeBase64(MemorySegment in, long offset, int length, MemorySegment out, int at) {
        int n = 0;
        for (int i = 0; i < length; i += 3) {
            int left = Math.min(3, length - i);
            int bits = 0;
            for (int j = 0; j < 3; j++) {
                bits = bits << 8 | (j < left ? in.get(BYTE, offset + i + j) & 0xff : 0);
            }
            for (int j = 0; j < 4; j++) {
                out.set(BYTE, at + n++, j <= left ? ALPHABET[bits >> (18 - 6 * j) & 63] : (byte) '=');
            }
        }
        return n;
    }
}
