package io.jix.loadgen;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * Where a load generator may send: loopback, or the benchmarking range 198.18.0.0/15 of RFC 2544
 * (the test network lives there). Everything else is refused before a single packet leaves.
 */
public final class Targets {

    private Targets() {
    }

    /** Whether {@code address} is loopback or in 198.18.0.0/15. */
    public static boolean allowed(InetAddress address) {
        if (address.isLoopbackAddress()) {
            return true;
        }
        if (address instanceof Inet4Address) {
            byte[] b = address.getAddress();
            return (b[0] & 0xff) == 198 && (b[1] & 0xfe) == 18;
        }
        return false;
    }

    /** Throws {@link IllegalArgumentException} unless {@link #allowed}. */
    public static InetAddress check(InetAddress address) {
        if (!allowed(address)) {
            throw new IllegalArgumentException("refusing to load " + address.getHostAddress()
                    + ": only loopback and the benchmarking range 198.18.0.0/15 are allowed");
        }
        return address;
    }
}
