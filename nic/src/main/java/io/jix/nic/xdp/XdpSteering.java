package io.jix.nic.xdp;

import static io.jix.sys.BpfAssembler.AND;
import static io.jix.sys.BpfAssembler.B;
import static io.jix.sys.BpfAssembler.H;
import static io.jix.sys.BpfAssembler.JGT;
import static io.jix.sys.BpfAssembler.JEQ;
import static io.jix.sys.BpfAssembler.JNE;
import static io.jix.sys.BpfAssembler.R0;
import static io.jix.sys.BpfAssembler.R1;
import static io.jix.sys.BpfAssembler.R2;
import static io.jix.sys.BpfAssembler.R3;
import static io.jix.sys.BpfAssembler.R4;
import static io.jix.sys.BpfAssembler.R5;
import static io.jix.sys.BpfAssembler.W;
import static io.jix.sys.BpfAssembler.ADD;

import io.jix.sys.Bpf;
import io.jix.sys.BpfAssembler;
import java.net.Inet4Address;

/**
 * The XDP program that shares a NIC between jix and the kernel, assembled here instruction by
 * instruction. It steers to the AF_XDP socket of the frame's receive queue only what is jix's:
 * <ul>
 * <li>IPv4 (version 4) whose destination is jix's address, and</li>
 * <li>ARP (Ethernet/IPv4, hardware length 6, protocol length 4) whose target protocol address is
 * jix's address;</li>
 * </ul>
 * every other frame (other addresses, IPv6, VLAN tags, anything shorter than the headers it would
 * need) returns {@code XDP_PASS}, so the kernel keeps serving the machine on the same NIC. The
 * redirect is {@code bpf_redirect_map(xskmap, rx_queue_index, XDP_PASS)}: a queue without a
 * socket in the map falls back to the kernel too. Every packet read is preceded by a bounds check
 * against {@code data_end}, as the verifier demands.
 *
 * <pre>
 *   r2 = ctx->data; r3 = ctx->data_end
 *   if data + 34 > data_end: pass          Ethernet (14) + minimal IPv4 header (20)
 *   ethertype == 0x0800 (IPv4): version == 4 && daddr == ours ? redirect : pass
 *   ethertype == 0x0806 (ARP):  data + 42 <= data_end && htype 1 && ptype 0x0800 && hlen 6 && plen 4
 *                               && target protocol address == ours ? redirect : pass
 *   redirect: return bpf_redirect_map(&amp;xsks, ctx->rx_queue_index, XDP_PASS)
 *   pass:     return XDP_PASS
 * </pre>
 *
 * Packet loads are little-endian on x86_64, so each network-order constant is compared as the
 * little-endian value of its bytes, with 32-bit compares (an immediate is then not sign-extended).
 */
public final class XdpSteering {

    /** {@code bpf_redirect_map}. */
    static final int HELPER_REDIRECT_MAP = 51;
    /** {@code struct xdp_md} offsets. */
    static final int MD_DATA = 0;
    static final int MD_DATA_END = 4;
    static final int MD_RX_QUEUE_INDEX = 16;
    /** Name the kernel shows for the program. */
    public static final String PROGRAM_NAME = "jix_steer";
    /** License string handed to the kernel (bpf_redirect_map is not GPL-only; the program is jix's own). */
    static final String LICENSE = "Dual MIT/GPL";

    private XdpSteering() {
    }

    /** The program for {@code address}, steering through the XSKMAP with descriptor {@code xskMapFd}. */
    public static long[] program(int xskMapFd, Inet4Address address) {
        byte[] a = address.getAddress();
        // The four address bytes as one little-endian load sees them.
        int ours = (a[0] & 0xff) | (a[1] & 0xff) << 8 | (a[2] & 0xff) << 16 | (a[3] & 0xff) << 24;
        BpfAssembler asm = new BpfAssembler();
        BpfAssembler.Label ipv4 = asm.label("ipv4");
        BpfAssembler.Label redirect = asm.label("redirect");
        BpfAssembler.Label pass = asm.label("pass");

        asm.load(W, R2, R1, MD_DATA)
                .load(W, R3, R1, MD_DATA_END)
                .mov(R4, R2).aluImm(ADD, R4, 34).jump(JGT, R4, R3, pass)
                .load(H, R5, R2, 12)
                .jump32Imm(JEQ, R5, 0x0008, ipv4)          // 08 00
                .jump32Imm(JNE, R5, 0x0608, pass)          // 08 06
                // ARP
                .mov(R4, R2).aluImm(ADD, R4, 42).jump(JGT, R4, R3, pass)
                .load(H, R5, R2, 14).jump32Imm(JNE, R5, 0x0100, pass)   // htype 00 01
                .load(H, R5, R2, 16).jump32Imm(JNE, R5, 0x0008, pass)   // ptype 08 00
                .load(H, R5, R2, 18).jump32Imm(JNE, R5, 0x0406, pass)   // hlen 6, plen 4
                .load(W, R5, R2, 38).jump32Imm(JNE, R5, ours, pass)     // target protocol address
                .jump(redirect)
                // IPv4
                .bind(ipv4)
                .load(B, R5, R2, 14).aluImm(AND, R5, 0xf0).jump32Imm(JNE, R5, 0x40, pass)
                .load(W, R5, R2, 30).jump32Imm(JNE, R5, ours, pass)     // destination address
                .bind(redirect)
                .load(W, R2, R1, MD_RX_QUEUE_INDEX)
                .loadMapFd(R1, xskMapFd)
                .movImm(R3, Bpf.XDP_PASS)
                .call(HELPER_REDIRECT_MAP)
                .exit()
                .bind(pass)
                .movImm(R0, Bpf.XDP_PASS)
                .exit();
        return asm.assemble();
    }

    /**
     * Loads the program for {@code address} over {@code xskMapFd} and returns its descriptor. On a
     * verifier rejection the {@link io.jix.sys.SysException}'s message holds the verifier log.
     */
    public static int load(int xskMapFd, Inet4Address address) {
        return Bpf.progLoad(Bpf.PROG_TYPE_XDP, program(xskMapFd, address), LICENSE, PROGRAM_NAME, Bpf.ATTACH_XDP);
    }
}
