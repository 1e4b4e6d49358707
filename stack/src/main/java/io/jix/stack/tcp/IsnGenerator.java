package io.jix.stack.tcp;

import java.security.SecureRandom;

/**
 * Initial sequence numbers per RFC 6528 §3: {@code ISN = M + F(localip, localport, remoteip,
 * remoteport, secretkey)}, where M is a timer ticking every 4 microseconds (RFC 9293 §3.4.1's
 * ISN clock) and F is SipHash-2-4 ({@link SipHash}) keyed with a 128-bit secret drawn from
 * {@link SecureRandom} at construction. An off-path attacker cannot predict F, so cannot guess a
 * connection's ISN (RFC 6528 §2); successive incarnations of one 4-tuple still get increasing
 * ISNs from M, which keeps old duplicates out of new connections (RFC 9293 §3.4.1).
 *
 * <p>Share one key between the elastic threads of a process ({@link #IsnGenerator(long, long)})
 * if a 4-tuple can move between threads; each thread still owns its own instance. Time is passed
 * in as nanoseconds from one monotonic clock ({@link System#nanoTime()}), so the generator can
 * be driven by tests and by the dataplane's cached batch clock.
 */
public final class IsnGenerator {

    /** Nanoseconds per tick of M (RFC 9293 §3.4.1: "bound to a (possibly fictitious) 32 bit clock" of 4 µs). */
    public static final long TICK_NANOS = 4_000;

    private final SipHash prf;

    /** A generator with a fresh secret key from {@link SecureRandom}. */
    public IsnGenerator() {
        this(new SecureRandom());
    }

    /** A generator with a key drawn from {@code random}. */
    public IsnGenerator(SecureRandom random) {
        this(random.nextLong(), random.nextLong());
    }

    /** A generator with the given 128-bit secret key. */
    public IsnGenerator(long k0, long k1) {
        this.prf = new SipHash(k0, k1);
    }

    /**
     * The ISN for a connection, at time {@code nowNanos}. Addresses are IPv4 addresses as ints
     * (network order, most significant byte first), ports 0–65535.
     */
    public int isn(long nowNanos, int localIp, int localPort, int remoteIp, int remotePort) {
        int m = (int) Math.floorDiv(nowNanos, TICK_NANOS);
        return m + f(localIp, localPort, remoteIp, remotePort);
    }

    /** F(): the keyed hash of the connection identifier, truncated to 32 bits. */
    int f(int localIp, int localPort, int remoteIp, int remotePort) {
        long m0 = (localIp & 0xffff_ffffL) | ((long) remoteIp << 32);
        long m1 = (localPort & 0xffffL) | ((remotePort & 0xffffL) << 16);
        return (int) prf.hash(m0, m1);
    }
}
