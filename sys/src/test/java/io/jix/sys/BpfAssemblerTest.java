package io.jix.sys;

import static io.jix.sys.BpfAssembler.ADD;
import static io.jix.sys.BpfAssembler.H;
import static io.jix.sys.BpfAssembler.JEQ;
import static io.jix.sys.BpfAssembler.JGT;
import static io.jix.sys.BpfAssembler.R0;
import static io.jix.sys.BpfAssembler.R1;
import static io.jix.sys.BpfAssembler.R2;
import static io.jix.sys.BpfAssembler.R3;
import static io.jix.sys.BpfAssembler.W;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class BpfAssemblerTest {

    /** The bytes of a program as the kernel reads {@code struct bpf_insn[]}. */
    private static byte[] bytes(long[] insns) {
        MemorySegment m = Arena.ofAuto().allocate(8L * insns.length);
        for (int i = 0; i < insns.length; i++) {
            m.set(BpfAssembler.INSN, 8L * i, insns[i]);
        }
        return m.toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void encodesFieldsInKernelLayout() {
        // r2 = *(u32 *)(r1 + 4): opcode 0x61, dst 2 | src 1 << 4, off 4, imm 0
        long[] p = new BpfAssembler().load(W, R2, R1, 4).assemble();
        assertThat(bytes(p)).containsExactly(0x61, 0x12, 4, 0, 0, 0, 0, 0);
        // r0 = 2 (mov64 imm): 0xb7
        assertThat(bytes(new BpfAssembler().movImm(R0, 2).exit().assemble()))
                .containsExactly(0xb7, 0x00, 0, 0, 2, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0);
        // Negative offsets and immediates keep their two's complement bytes.
        long insn = BpfAssembler.encode(0x07, 10, 0, -8, -1);
        assertThat(BpfAssembler.off(insn)).isEqualTo(-8);
        assertThat(BpfAssembler.imm(insn)).isEqualTo(-1);
        assertThat(bytes(new long[] {insn})).containsExactly(0x07, 0x0a, 0xf8, 0xff, 0xff, 0xff, 0xff, 0xff);
    }

    @Test
    void mapFdLoadIsTwoSlotsWithPseudoSource() {
        long[] p = new BpfAssembler().loadMapFd(R1, 7).assemble();
        assertThat(p).hasSize(2);
        assertThat(BpfAssembler.opcode(p[0])).isEqualTo(0x18);
        assertThat(BpfAssembler.dst(p[0])).isEqualTo(R1);
        assertThat(BpfAssembler.src(p[0])).isEqualTo(BpfAssembler.PSEUDO_MAP_FD);
        assertThat(BpfAssembler.imm(p[0])).isEqualTo(7);
        assertThat(p[1]).isZero();
        assertThat(bytes(p)).containsExactly(0x18, 0x11, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    @Test
    void jumpsResolveRelativeToTheNextInstructionAndCountTwoSlotLoads() {
        BpfAssembler a = new BpfAssembler();
        BpfAssembler.Label end = a.label("end");
        BpfAssembler.Label back = a.label("back");
        a.bind(back)
                .jump(JGT, R2, R3, end)          // 0 -> 5: off 4
                .loadMapFd(R1, 3)                // 1, 2
                .jump32Imm(JEQ, R2, 0x0008, end) // 3 -> 5: off 1
                .jump(back)                      // 4 -> 0: off -5
                .bind(end)
                .exit();
        long[] p = a.assemble();
        assertThat(BpfAssembler.off(p[0])).isEqualTo(4);
        assertThat(BpfAssembler.opcode(p[0])).isEqualTo(0x2d); // jgt reg
        assertThat(BpfAssembler.off(p[3])).isEqualTo(1);
        assertThat(BpfAssembler.opcode(p[3])).isEqualTo(0x16); // jmp32 jeq imm
        assertThat(BpfAssembler.imm(p[3])).isEqualTo(8);
        assertThat(BpfAssembler.off(p[4])).isEqualTo(-5);
        assertThat(BpfAssembler.opcode(p[4])).isEqualTo(0x05);
    }

    @Test
    void unboundLabelsAndBadRegistersAreRefused() {
        BpfAssembler a = new BpfAssembler();
        a.jump(a.label("nowhere"));
        assertThatThrownBy(a::assemble).hasMessageContaining("nowhere");
        assertThatThrownBy(() -> new BpfAssembler().aluImm(ADD, 11, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BpfAssembler().load(H, R0, R1, 40000)).isInstanceOf(IllegalArgumentException.class);
    }
}
