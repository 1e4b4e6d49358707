package io.jix.testnet;

import static io.jix.sys.BpfAssembler.ADD;
import static io.jix.sys.BpfAssembler.AND;
import static io.jix.sys.BpfAssembler.B;
import static io.jix.sys.BpfAssembler.H;
import static io.jix.sys.BpfAssembler.JEQ;
import static io.jix.sys.BpfAssembler.JGT;
import static io.jix.sys.BpfAssembler.JNE;
import static io.jix.sys.BpfAssembler.R0;
import static io.jix.sys.BpfAssembler.R1;
import static io.jix.sys.BpfAssembler.R2;
import static io.jix.sys.BpfAssembler.R3;
import static io.jix.sys.BpfAssembler.R4;
import static io.jix.sys.BpfAssembler.R5;
import static io.jix.sys.BpfAssembler.R6;
import static io.jix.sys.BpfAssembler.W;
import static io.jix.sys.BpfAssembler.RSH;
import static io.jix.sys.BpfAssembler.XOR;

import io.jix.sys.Bpf;
import io.jix.sys.BpfAssembler;

/**
 * The tc program that makes the peer's transmit queue, and so the dataplane's receive queue, a
 * function of the flow, as a NIC's RSS makes its receive queue one: for IPv4 without options, not
 * a fragment, carrying TCP or UDP,
 *
 * <pre>   x = low byte of (source port ^ destination port);  queue = (x ^ x &gt;&gt; 4) &amp; (queues - 1)</pre>
 *
 * (at most 256 queues; the fold matters because Linux gives connect() even ports, so the low
 * bit alone would send every connection to one queue), and queue 0 for every other
 * frame (ARP, ICMP, IPv6, fragments). jix's {@code io.jix.nic.FlowSteering#PORT_XOR} is the same
 * function seen from the receiving side, where source and destination swap: XOR does not care.
 *
 * <p>Why a program and not {@code u32} filters with {@code action skbedit queue_mapping}: the
 * kernels this runs on need not have {@code act_skbedit} (the test machine's 6.18 is built without
 * it and without modules), while {@code cls_bpf} and {@code clsact} are there. A classifier on
 * {@code clsact} egress runs before the kernel picks the transmit queue; it cannot pick the queue
 * itself (only skbedit may tell the kernel to skip its choice), but it can record the wanted queue
 * as {@code skb->queue_mapping = queue + 1}, which the kernel's choice
 * ({@code netdev_pick_tx -> skb_tx_hash}) honours as a recorded receive queue as long as no XPS map
 * is set on the device (veth sets none) — and a socket that caches its queue caches this one,
 * which is the same for every packet of the flow.
 *
 * <pre>
 *   r2 = skb->data; r3 = skb->data_end; r0 = 0
 *   if data + 38 > data_end: set                 Ethernet 14 + IPv4 20 + both ports 4
 *   ethertype 0x0800, version/IHL 0x45, fragment offset and MF zero, protocol 6 or 17, else set
 *   r0 = data[35] ^ data[37]; r0 ^= r0 &gt;&gt; 4; r0 &amp;= queues - 1    low bytes of the two ports
 *   set: skb->queue_mapping = r0 + 1; return TC_ACT_OK
 * </pre>
 */
final class RssEmulation {

    /** Name the kernel shows for the program ({@code tc filter show}). */
    static final String PROGRAM_NAME = "jix_rss";
    private static final String LICENSE = "Dual MIT/GPL";
    /** {@code struct __sk_buff} offsets. */
    private static final int SKB_QUEUE_MAPPING = 12;
    private static final int SKB_DATA = 76;
    private static final int SKB_DATA_END = 80;

    private RssEmulation() {
    }

    /** The program for {@code queues} transmit queues (a power of two, 1..256). */
    static long[] program(int queues) {
        if (queues < 1 || queues > 256 || Integer.bitCount(queues) != 1) {
            throw new IllegalArgumentException("queues must be a power of two in 1..256: " + queues);
        }
        BpfAssembler asm = new BpfAssembler();
        BpfAssembler.Label ports = asm.label("ports");
        BpfAssembler.Label set = asm.label("set");
        asm.mov(R6, R1)
                .load(W, R2, R1, SKB_DATA)
                .load(W, R3, R1, SKB_DATA_END)
                .movImm(R0, 0)
                .mov(R4, R2).aluImm(ADD, R4, 38).jump(JGT, R4, R3, set)
                .load(H, R5, R2, 12).jump32Imm(JNE, R5, 0x0008, set)        // ethertype 08 00
                .load(B, R5, R2, 14).jump32Imm(JNE, R5, 0x45, set)          // IPv4, no options
                .load(H, R5, R2, 20).aluImm(AND, R5, 0xff3f)                // MF and offset: 3f ff
                .jump32Imm(JNE, R5, 0, set)
                .load(B, R5, R2, 23).jump32Imm(JEQ, R5, 6, ports)           // TCP
                .jump32Imm(JNE, R5, 17, set)                                // UDP
                .bind(ports)
                .load(B, R0, R2, 35)                                        // source port, low byte
                .load(B, R5, R2, 37)                                        // destination port, low byte
                .alu(XOR, R0, R5)
                .mov(R5, R0).aluImm(RSH, R5, 4).alu(XOR, R0, R5)              // fold the high nibble in
                .aluImm(AND, R0, queues - 1)
                .bind(set)
                .aluImm(ADD, R0, 1)
                .store(W, R6, R0, SKB_QUEUE_MAPPING)
                .movImm(R0, Bpf.TC_ACT_OK)
                .exit();
        return asm.assemble();
    }

    /** Loads the program; returns its descriptor (the verifier log in the exception on rejection). */
    static int load(int queues) {
        return Bpf.progLoad(Bpf.PROG_TYPE_SCHED_CLS, program(queues), LICENSE, PROGRAM_NAME, 0);
    }
}
