package io.jix.sys;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/** Network interfaces by name. */
public final class Interfaces {

    private Interfaces() {
    }

    /**
     * The interface's Ethernet address, from {@code /sys/class/net/<name>/address}.
     *
     * @throws IllegalArgumentException when there is no such interface or it has no 6-byte address
     */
    public static byte[] mac(String name) {
        if (name.isEmpty() || name.contains("/") || name.startsWith(".")) {
            throw new IllegalArgumentException("not an interface name: '" + name + "'");
        }
        String text;
        try {
            text = Files.readString(Path.of("/sys/class/net", name, "address")).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException("no interface " + name + " (" + e.getMessage() + ")", e);
        }
        byte[] mac;
        try {
            mac = HexFormat.ofDelimiter(":").parseHex(text);
        } catch (IllegalArgumentException e) {
            mac = new byte[0];
        }
        if (mac.length != 6) {
            throw new IllegalArgumentException("interface " + name + " has no Ethernet address ('" + text + "')");
        }
        return mac;
    }

    /** if_nametoindex(3): the interface's index; throws {@link SysException} if there is none. */
    public static int index(String name) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(Libc.CAPTURE_LAYOUT);
            MemorySegment cname = arena.allocateFrom(name);
            int index;
            try {
                index = (int) Libc.IF_NAMETOINDEX.invokeExact(capture, cname.address());
            } catch (Throwable t) {
                throw Libc.unexpected(t);
            }
            if (index == 0) {
                throw new SysException("if_nametoindex", Libc.errnoOf(capture), name);
            }
            return index;
        }
    }
}
