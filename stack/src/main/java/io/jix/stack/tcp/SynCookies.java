package io.jix.stack.tcp;

import java.security.SecureRandom;

/**
 * SYN cookies (RFC 4987 §3.6), laid out as Linux does: when the listen backlog is full the
 * listener keeps no state for a SYN and instead encodes it in the ISN of its SYN-ACK,
 *
 * <pre>
 *   ISN = H1(tuple) + peerIsn + (count &lt;&lt; 24) + ((H2(tuple, count) + mssIndex) mod 2^24)
 * </pre>
 *
 * where {@code count} is a coarse time counter ({@link #SLOT_NANOS}, 64 s per slot),
 * {@code mssIndex} picks an entry of {@link #MSS_TABLE} and H1/H2 are SipHash-2-4 with a secret
 * key ({@link SipHash}; H1 over the 4-tuple, H2 over the 4-tuple and the full counter). The ACK
 * completing the handshake carries {@code ack = ISN + 1} and {@code seq = peerIsn + 1}; from
 * those {@link #check} recovers the counter's low byte and accepts it only for the current or the
 * previous slot (so a cookie lives 64–128 s), then recovers the MSS index, which must be one of
 * the four — a blind forged ACK passes with probability about 4 / 2^24 per try. (As in Linux, an
 * ACK a few units off a real cookie may decode to a neighbouring MSS index; only a peer that saw
 * the SYN-ACK can send one, and it could complete the handshake anyway.)
 *
 * <p>What a cookie cannot carry: window scale, SACK-permitted and timestamps are lost unless the
 * caller also encodes them (Linux puts them in the low bits of TSval); the state machine must
 * treat a cookie-established connection as having negotiated none of them unless it does so.
 */
public final class SynCookies {

    /** Length of one time slot: 64 s. */
    public static final long SLOT_NANOS = 64_000_000_000L;
    /** The MSS values a cookie can encode (Linux's IPv4 table). */
    private static final int[] MSS_TABLE = {536, 1300, 1440, 1460};
    /** Returned by {@link #check} for an ACK that is not a valid cookie. */
    public static final int REJECT = -1;

    private final SipHash prf;

    /** Cookies with a fresh secret key from {@link SecureRandom}. */
    public SynCookies() {
        this(new SecureRandom());
    }

    /** Cookies with a key drawn from {@code random}. */
    public SynCookies(SecureRandom random) {
        this(random.nextLong(), random.nextLong());
    }

    /** Cookies with the given 128-bit key. */
    public SynCookies(long k0, long k1) {
        this.prf = new SipHash(k0, k1);
    }

    /** The MSS values that can be encoded, ascending. */
    public static int mssTableEntry(int index) {
        return MSS_TABLE[index];
    }

    /** Number of MSS table entries. */
    public static int mssTableSize() {
        return MSS_TABLE.length;
    }

    /** The index of the largest table MSS not above {@code peerMss} (0, i.e. 536, when all are). */
    public static int mssIndex(int peerMss) {
        int i = MSS_TABLE.length - 1;
        while (i > 0 && peerMss < MSS_TABLE[i]) {
            i--;
        }
        return i;
    }

    /** The MSS a cookie for a SYN advertising {@code peerMss} will yield (the SYN-ACK should advertise ours as usual). */
    public static int encodedMss(int peerMss) {
        return MSS_TABLE[mssIndex(peerMss)];
    }

    /**
     * The ISN for a SYN-ACK answering the SYN with sequence number {@code peerIsn} and MSS option
     * {@code peerMss} (536 when absent, RFC 9293 §3.7.1) from {@code remoteIp:remotePort} to
     * {@code localIp:localPort}, at {@code nowNanos}.
     */
    public int cookie(long nowNanos, int localIp, int localPort, int remoteIp, int remotePort, int peerIsn,
            int peerMss) {
        long count = Math.floorDiv(nowNanos, SLOT_NANOS);
        int h1 = h1(localIp, localPort, remoteIp, remotePort);
        int h2 = h2(localIp, localPort, remoteIp, remotePort, count);
        return h1 + peerIsn + ((int) count << 24) + ((h2 + mssIndex(peerMss)) & 0xff_ffff);
    }

    /**
     * Validates the ACK (sequence number {@code seq}, acknowledgment {@code ack}) that completes a
     * handshake answered with a cookie.
     *
     * @return the MSS encoded in the cookie, or {@link #REJECT}
     */
    public int check(long nowNanos, int localIp, int localPort, int remoteIp, int remotePort, int seq, int ack) {
        long count = Math.floorDiv(nowNanos, SLOT_NANOS);
        int peerIsn = seq - 1;
        int x = (ack - 1) - h1(localIp, localPort, remoteIp, remotePort) - peerIsn;
        int age = ((int) count - (x >>> 24)) & 0xff;
        if (age > 1) {
            return REJECT;
        }
        int index = (x - h2(localIp, localPort, remoteIp, remotePort, count - age)) & 0xff_ffff;
        return index < MSS_TABLE.length ? MSS_TABLE[index] : REJECT;
    }

    private int h1(int localIp, int localPort, int remoteIp, int remotePort) {
        return (int) prf.hash(addresses(localIp, remoteIp), ports(localPort, remotePort));
    }

    private int h2(int localIp, int localPort, int remoteIp, int remotePort, long count) {
        return (int) prf.hash(addresses(localIp, remoteIp), ports(localPort, remotePort), count);
    }

    private static long addresses(int localIp, int remoteIp) {
        return (localIp & 0xffff_ffffL) | ((long) remoteIp << 32);
    }

    private static long ports(int localPort, int remotePort) {
        return (localPort & 0xffffL) | ((remotePort & 0xffffL) << 16);
    }
}
