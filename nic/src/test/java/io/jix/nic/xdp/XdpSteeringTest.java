package io.jix.nic.xdp;

import static io.jix.nic.xdp.Frames.MAC_A;
import static io.jix.nic.xdp.Frames.MAC_B;
import static io.jix.nic.xdp.Frames.ip;
import static org.assertj.core.api.Assertions.assertThat;

import io.jix.sys.Bpf;
import io.jix.sys.BpfAssembler;
import io.jix.sys.Interfaces;
import io.jix.sys.Syscalls;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The steering program on real frames through BPF_PROG_TEST_RUN. Test runs happen on queue 0 of
 * the loopback device, so an AF_XDP socket bound to lo's queue 0 sits in the XSKMAP: a frame
 * the program steers returns XDP_REDIRECT (4), one it leaves to the kernel XDP_PASS (2). A
 * second program over an empty map shows that a queue without a socket falls back to XDP_PASS.
 */
class XdpSteeringTest {

    private static final byte[] OURS = ip(198, 18, 0, 3);
    private static final byte[] KERNELS = ip(198, 18, 0, 1);
    private static final byte[] PEER = ip(198, 18, 0, 2);
    private static final XdpConfig SMALL = XdpConfig.DEFAULT.withFrames(64, 32);

    private static XdpQueue socket;
    private static int map;
    private static int emptyMap;
    private static int prog;
    private static int progOverEmpty;
    private static final Syscalls SYS = new Syscalls();

    @BeforeAll
    static void load() throws Exception {
        Privileges.requireRoot();
        Inet4Address us = (Inet4Address) InetAddress.getByAddress(OURS);
        socket = XdpQueue.open(Interfaces.index("lo"), 0, new XdpConfig(2048, 64, 32, 32, 32, 32, false, false,
                true));
        map = Bpf.mapCreate(Bpf.MAP_TYPE_XSKMAP, 4, 4, 1, "jix_t_xsks");
        Bpf.mapUpdate(map, 0, socket.fd());
        emptyMap = Bpf.mapCreate(Bpf.MAP_TYPE_XSKMAP, 4, 4, 1, "jix_t_empty");
        prog = XdpSteering.load(map, us);
        progOverEmpty = XdpSteering.load(emptyMap, us);
    }

    @AfterAll
    static void unload() {
        for (int fd : new int[] {prog, progOverEmpty, map, emptyMap}) {
            if (fd > 0) {
                SYS.close(fd);
            }
        }
        if (socket != null) {
            socket.close();
        }
    }

    private static int run(byte[] frame) {
        return Bpf.progTestRun(prog, frame, null);
    }

    @Test
    void arpForUsIsSteeredArpForOthersIsNot() {
        assertThat(run(Frames.arpRequest(MAC_B, PEER, OURS))).isEqualTo(Bpf.XDP_REDIRECT);
        assertThat(run(Frames.arpRequest(MAC_B, PEER, KERNELS))).isEqualTo(Bpf.XDP_PASS);
        // Our address as the sender (a gratuitous ARP of someone claiming it) is not a question for us.
        assertThat(run(Frames.arpRequest(MAC_B, OURS, KERNELS))).isEqualTo(Bpf.XDP_PASS);
    }

    @Test
    void ipv4ToUsIsSteeredIpv4ToOthersIsNot() {
        byte[] payload = "hello".getBytes();
        assertThat(run(Frames.udp(MAC_B, MAC_A, PEER, OURS, 5000, 7, payload))).isEqualTo(Bpf.XDP_REDIRECT);
        assertThat(run(Frames.udp(MAC_B, MAC_A, PEER, KERNELS, 5000, 7, payload))).isEqualTo(Bpf.XDP_PASS);
        // From us (source == ours) to someone else: not ours.
        assertThat(run(Frames.udp(MAC_B, MAC_A, OURS, PEER, 5000, 7, payload))).isEqualTo(Bpf.XDP_PASS);
        // An address differing only in the last byte, or only in the first.
        assertThat(run(Frames.udp(MAC_B, MAC_A, PEER, ip(198, 18, 0, 4), 1, 2, payload))).isEqualTo(Bpf.XDP_PASS);
        assertThat(run(Frames.udp(MAC_B, MAC_A, PEER, ip(199, 18, 0, 3), 1, 2, payload))).isEqualTo(Bpf.XDP_PASS);
    }

    @Test
    void highAddressBytesCompareCorrectly() throws Exception {
        // An address whose little-endian word is negative: 32-bit compares must not sign-extend.
        byte[] high = ip(198, 19, 255, 200);
        int p = XdpSteering.load(map, (Inet4Address) InetAddress.getByAddress(high));
        try {
            assertThat(Bpf.progTestRun(p, Frames.udp(MAC_B, MAC_A, PEER, high, 1, 2, new byte[8]), null))
                    .isEqualTo(Bpf.XDP_REDIRECT);
            assertThat(Bpf.progTestRun(p, Frames.arpRequest(MAC_B, PEER, high), null)).isEqualTo(Bpf.XDP_REDIRECT);
            assertThat(Bpf.progTestRun(p, Frames.udp(MAC_B, MAC_A, PEER, OURS, 1, 2, new byte[8]), null))
                    .isEqualTo(Bpf.XDP_PASS);
        } finally {
            SYS.close(p);
        }
    }

    @Test
    void truncatedFramesPass() {
        byte[] arp = Frames.arpRequest(MAC_B, PEER, OURS);
        assertThat(run(Arrays.copyOf(arp, 42))).isEqualTo(Bpf.XDP_REDIRECT);
        assertThat(run(Arrays.copyOf(arp, 41))).isEqualTo(Bpf.XDP_PASS);
        assertThat(run(Arrays.copyOf(arp, 20))).isEqualTo(Bpf.XDP_PASS);
        byte[] udp = Frames.udp(MAC_B, MAC_A, PEER, OURS, 5000, 7, new byte[0]);
        assertThat(run(Arrays.copyOf(udp, 34))).isEqualTo(Bpf.XDP_REDIRECT);
        assertThat(run(Arrays.copyOf(udp, 33))).isEqualTo(Bpf.XDP_PASS);
        assertThat(run(Arrays.copyOf(udp, 14))).isEqualTo(Bpf.XDP_PASS);
    }

    @Test
    void otherProtocolsAndMalformedHeadersPass() {
        byte[] v6 = Frames.udp(MAC_B, MAC_A, PEER, OURS, 5000, 7, new byte[8]);
        v6[12] = (byte) 0x86;
        v6[13] = (byte) 0xdd;
        assertThat(run(v6)).isEqualTo(Bpf.XDP_PASS);
        byte[] version6 = Frames.udp(MAC_B, MAC_A, PEER, OURS, 5000, 7, new byte[8]);
        version6[14] = 0x65;
        assertThat(run(version6)).isEqualTo(Bpf.XDP_PASS);
        byte[] rarp = Frames.arpRequest(MAC_B, PEER, OURS);
        rarp[13] = 0x35; // 0x8035
        assertThat(run(rarp)).isEqualTo(Bpf.XDP_PASS);
        byte[] arpIpv6 = Frames.arpRequest(MAC_B, PEER, OURS);
        arpIpv6[16] = (byte) 0x86;
        arpIpv6[17] = (byte) 0xdd;
        assertThat(run(arpIpv6)).isEqualTo(Bpf.XDP_PASS);
        byte[] badHlen = Frames.arpRequest(MAC_B, PEER, OURS);
        badHlen[18] = 8;
        assertThat(run(badHlen)).isEqualTo(Bpf.XDP_PASS);
        byte[] garbage = new byte[1500];
        new java.util.Random(1).nextBytes(garbage);
        assertThat(run(garbage)).isEqualTo(Bpf.XDP_PASS);
    }

    @Test
    void aQueueWithoutASocketFallsBackToTheKernel() {
        assertThat(Bpf.progTestRun(progOverEmpty, Frames.arpRequest(MAC_B, PEER, OURS), null))
                .isEqualTo(Bpf.XDP_PASS);
        assertThat(Bpf.progTestRun(progOverEmpty, Frames.udp(MAC_B, MAC_A, PEER, OURS, 1, 2, new byte[8]), null))
                .isEqualTo(Bpf.XDP_PASS);
    }

    @Test
    void programIsSmallAndItsMapReferenceIsPatched() {
        long[] p = XdpSteering.program(42, (Inet4Address) InetAddress.ofLiteral("198.18.0.3"));
        int lddw = -1;
        for (int i = 0; i < p.length; i++) {
            if (BpfAssembler.opcode(p[i]) == 0x18) {
                lddw = i;
            }
        }
        assertThat(lddw).isNotNegative();
        assertThat(BpfAssembler.src(p[lddw])).isEqualTo(BpfAssembler.PSEUDO_MAP_FD);
        assertThat(BpfAssembler.imm(p[lddw])).isEqualTo(42);
        assertThat(p.length).isLessThan(40);
    }
}
