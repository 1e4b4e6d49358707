package io.jix.nic.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/** Ethernet addresses: reading an interface's, parsing and printing {@code aa:bb:cc:dd:ee:ff}. */
public final class Macs {

    private static final HexFormat COLONS = HexFormat.ofDelimiter(":");

    private Macs() {
    }

    /** The MAC address of {@code ifname} (in this process's network namespace), from sysfs. */
    public static byte[] read(String ifname) {
        Path p = Path.of("/sys/class/net", ifname, "address");
        try {
            return parse(Files.readString(p).strip());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the MAC address of " + ifname + " from " + p, e);
        }
    }

    /** Parses {@code aa:bb:cc:dd:ee:ff}. */
    public static byte[] parse(String text) {
        byte[] mac;
        try {
            mac = COLONS.parseHex(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a MAC address (aa:bb:cc:dd:ee:ff): " + text, e);
        }
        if (mac.length != 6) {
            throw new IllegalArgumentException("not a MAC address (aa:bb:cc:dd:ee:ff): " + text);
        }
        return mac;
    }

    /** {@code aa:bb:cc:dd:ee:ff}. */
    public static String format(byte[] mac) {
        return COLONS.formatHex(mac);
    }
}
