package io.jix.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Network interfaces by name. */
public final class Interfaces {

    private Interfaces() {
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
