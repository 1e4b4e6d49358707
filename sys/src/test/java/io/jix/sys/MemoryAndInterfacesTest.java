package io.jix.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class MemoryAndInterfacesTest {

    @Test
    void anonymousMappingIsUsableAndUnmappedWithItsArena() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = Memory.map(1 << 20, Memory.PROT_READ | Memory.PROT_WRITE,
                    Memory.MAP_PRIVATE | Memory.MAP_ANONYMOUS, -1, 0, arena);
            assertThat(m.byteSize()).isEqualTo(1 << 20);
            m.set(ValueLayout.JAVA_LONG, (1 << 20) - 8, 42);
            assertThat(m.get(ValueLayout.JAVA_LONG, (1 << 20) - 8)).isEqualTo(42);
        }
    }

    @Test
    void badMappingSaysWhy() {
        assertThatThrownBy(() -> Memory.map(4096, Memory.PROT_READ, Memory.MAP_SHARED, 1_000_000, 0, Arena.ofAuto()))
                .isInstanceOf(SysException.class).hasMessageContaining("EBADF");
    }

    @Test
    void loopbackHasAnIndexAndNonsenseDoesNot() {
        assertThat(Interfaces.index("lo")).isPositive();
        assertThatThrownBy(() -> Interfaces.index("no-such-if0")).isInstanceOf(SysException.class)
                .hasMessageContaining("if_nametoindex");
    }
}
