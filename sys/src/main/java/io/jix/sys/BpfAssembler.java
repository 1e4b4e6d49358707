package io.jix.sys;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A minimal eBPF assembler: appends instructions and resolves forward jumps to labels. An
 * instruction is 8 bytes, {@code opcode:8 dst:4 src:4 off:16 imm:32} in little-endian order
 * (the x86_64 byte order), which {@link #encode} packs into one {@code long} so that writing it
 * with {@link #INSN} yields the kernel's {@code struct bpf_insn}. A 64-bit immediate load takes
 * two slots. Only what jix's programs need is here; everything is checked when
 * {@link #assemble()} resolves the labels.
 */
public final class BpfAssembler {

    /** How {@link #assemble()}'s longs are stored for the kernel. */
    public static final ValueLayout.OfLong INSN = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN);

    // Instruction classes.
    public static final int LD = 0x00;
    public static final int LDX = 0x01;
    public static final int ST = 0x02;
    public static final int STX = 0x03;
    public static final int ALU = 0x04;
    public static final int JMP = 0x05;
    public static final int JMP32 = 0x06;
    public static final int ALU64 = 0x07;

    // Sizes (loads and stores).
    public static final int W = 0x00;
    public static final int H = 0x08;
    public static final int B = 0x10;
    public static final int DW = 0x18;

    // Modes.
    public static final int IMM = 0x00;
    public static final int MEM = 0x60;

    // Operand source.
    public static final int K = 0x00;
    public static final int X = 0x08;

    // ALU operations.
    public static final int ADD = 0x00;
    public static final int SUB = 0x10;
    public static final int OR = 0x40;
    public static final int AND = 0x50;
    public static final int LSH = 0x60;
    public static final int RSH = 0x70;
    public static final int XOR = 0xa0;
    public static final int MOV = 0xb0;

    // Jump operations.
    public static final int JA = 0x00;
    public static final int JEQ = 0x10;
    public static final int JGT = 0x20;
    public static final int JGE = 0x30;
    public static final int JNE = 0x50;
    public static final int JLT = 0xa0;
    public static final int JLE = 0xb0;
    public static final int CALL = 0x80;
    public static final int EXIT = 0x90;

    /** src register value marking a 64-bit immediate load as a map file descriptor. */
    public static final int PSEUDO_MAP_FD = 1;

    // Registers.
    public static final int R0 = 0;
    public static final int R1 = 1;
    public static final int R2 = 2;
    public static final int R3 = 3;
    public static final int R4 = 4;
    public static final int R5 = 5;
    public static final int R6 = 6;
    public static final int R7 = 7;
    public static final int R8 = 8;
    public static final int R9 = 9;
    public static final int R10 = 10;

    /** A jump target; bind it once with {@link #bind}. */
    public static final class Label {
        private final String name;
        private int position = -1;

        private Label(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return name + (position < 0 ? " (unbound)" : " @" + position);
        }
    }

    private record Fixup(int at, Label target) {
    }

    private long[] code = new long[32];
    private int size;
    private final List<Fixup> fixups = new ArrayList<>();

    /** An empty program. */
    public BpfAssembler() {
    }

    /** Packs one instruction. */
    public static long encode(int opcode, int dst, int src, int off, int imm) {
        if ((opcode & ~0xff) != 0 || dst < 0 || dst > R10 || src < 0 || src > R10 || off < Short.MIN_VALUE
                || off > Short.MAX_VALUE) {
            throw new IllegalArgumentException("bad instruction: opcode 0x" + Integer.toHexString(opcode) + ", dst "
                    + dst + ", src " + src + ", off " + off);
        }
        return (opcode & 0xffL) | (long) (dst | src << 4) << 8 | (off & 0xffffL) << 16 | (imm & 0xffffffffL) << 32;
    }

    public static int opcode(long insn) {
        return (int) (insn & 0xff);
    }

    public static int dst(long insn) {
        return (int) (insn >>> 8) & 0xf;
    }

    public static int src(long insn) {
        return (int) (insn >>> 12) & 0xf;
    }

    public static int off(long insn) {
        return (short) (insn >>> 16);
    }

    public static int imm(long insn) {
        return (int) (insn >>> 32);
    }

    /** A new, unbound label; the name is for error messages. */
    public Label label(String name) {
        return new Label(name);
    }

    /** Binds {@code label} to the next instruction. */
    public BpfAssembler bind(Label label) {
        if (label.position >= 0) {
            throw new IllegalStateException("label bound twice: " + label);
        }
        label.position = size;
        return this;
    }

    /** Appends a raw instruction. */
    public BpfAssembler insn(int opcode, int dst, int src, int off, int imm) {
        if (size == code.length) {
            code = Arrays.copyOf(code, size * 2);
        }
        code[size++] = encode(opcode, dst, src, off, imm);
        return this;
    }

    /** dst = src (64-bit). */
    public BpfAssembler mov(int dst, int src) {
        return insn(ALU64 | MOV | X, dst, src, 0, 0);
    }

    /** dst = imm (sign-extended to 64 bits). */
    public BpfAssembler movImm(int dst, int imm) {
        return insn(ALU64 | MOV | K, dst, 0, 0, imm);
    }

    /** dst op= imm (64-bit ALU). */
    public BpfAssembler aluImm(int op, int dst, int imm) {
        return insn(ALU64 | op | K, dst, 0, 0, imm);
    }

    /** dst op= src (64-bit ALU). */
    public BpfAssembler alu(int op, int dst, int src) {
        return insn(ALU64 | op | X, dst, src, 0, 0);
    }

    /** *(size *)(dst + off) = src. */
    public BpfAssembler store(int size, int dst, int src, int off) {
        return insn(STX | MEM | size, dst, src, off, 0);
    }

    /** dst = *(size *)(src + off). */
    public BpfAssembler load(int size, int dst, int src, int off) {
        return insn(LDX | MEM | size, dst, src, off, 0);
    }

    /** dst = the map with file descriptor {@code fd} (a two-slot {@code ld_imm64}, src {@link #PSEUDO_MAP_FD}). */
    public BpfAssembler loadMapFd(int dst, int fd) {
        insn(LD | DW | IMM, dst, PSEUDO_MAP_FD, 0, fd);
        return insn(0, 0, 0, 0, 0);
    }

    /** if (dst op src) goto target (64-bit compare). */
    public BpfAssembler jump(int op, int dst, int src, Label target) {
        fixups.add(new Fixup(size, target));
        return insn(JMP | op | X, dst, src, 0, 0);
    }

    /** if ((u32) dst op imm) goto target (32-bit compare: an immediate is not sign-extended). */
    public BpfAssembler jump32Imm(int op, int dst, int imm, Label target) {
        fixups.add(new Fixup(size, target));
        return insn(JMP32 | op | K, dst, 0, 0, imm);
    }

    /** goto target. */
    public BpfAssembler jump(Label target) {
        fixups.add(new Fixup(size, target));
        return insn(JMP | JA, 0, 0, 0, 0);
    }

    /** Calls kernel helper {@code helper}: arguments in r1..r5, result in r0. */
    public BpfAssembler call(int helper) {
        return insn(JMP | CALL, 0, 0, 0, helper);
    }

    /** return r0. */
    public BpfAssembler exit() {
        return insn(JMP | EXIT, 0, 0, 0, 0);
    }

    /** Instructions so far (a slot count: {@code ld_imm64} counts two). */
    public int size() {
        return size;
    }

    /** The program, jumps resolved (offsets count from the instruction after the jump). */
    public long[] assemble() {
        long[] out = Arrays.copyOf(code, size);
        for (Fixup f : fixups) {
            if (f.target.position < 0) {
                throw new IllegalStateException("jump at " + f.at + " to unbound label " + f.target);
            }
            int off = f.target.position - (f.at + 1);
            long insn = out[f.at];
            out[f.at] = encode(opcode(insn), dst(insn), src(insn), off, imm(insn));
        }
        return out;
    }
}
