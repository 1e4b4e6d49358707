package io.jix.stack.tcp;

import io.jix.nic.Frame;
import io.jix.nic.FramePool;
import java.lang.foreign.Arena;
import java.util.HexFormat;

/** Test frames over a small native pool. */
final class Frames {

    private Frames() {
    }

    static FramePool pool(int count) {
        return new FramePool(Arena.ofAuto().allocate(2048L * count), 2048, count);
    }

    /** A frame whose data is {@code hex}. */
    static Frame of(String hex) {
        byte[] b = HexFormat.of().parseHex(hex.replace(" ", ""));
        Frame f = new Frame().wrap(pool(1), 0, 0, b.length);
        for (int i = 0; i < b.length; i++) {
            f.u8(i, b[i]);
        }
        return f;
    }

    /** A zeroed frame of {@code length} bytes. */
    static Frame zeroed(int length) {
        return new Frame().wrap(pool(1), 0, 0, length);
    }

    static String hex(Frame f, int from, int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append(String.format("%02x", f.u8(from + i)));
        }
        return s.toString();
    }
}
