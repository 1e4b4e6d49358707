package io.jix.bench;

import io.jix.nic.Frame;
import io.jix.nic.FramePool;
import io.jix.stack.Checksum;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The other end of the benchmarked connection, reduced to what a Linux sender puts on the wire:
 * it writes Ethernet + IPv4 + TCP frames straight into the {@link BenchQueue}'s pool (as a NIC
 * would DMA them) and reads back what the stack transmits. Its segments look like Linux's: MSS,
 * SACK-permitted, timestamps and window scale 7 in the SYN; {@code NOP NOP TS} on every later
 * segment; DF, TTL 64 and an incrementing IP identification; correct IPv4 and TCP checksums;
 * sequence numbers that advance with the data; a timestamp clock of 1 ms that advances with the
 * benchmark's virtual clock and echoes the stack's latest TSval.
 *
 * <p>Cheap on purpose, so that it adds little to what is measured: the payload is copied from a
 * template whose checksum partial sum is computed once, so each segment costs one copy and a
 * checksum over its 52 bytes of headers. Everything the stack transmits is parsed (sequence,
 * length, flags, acknowledgement, TSval) to know what to acknowledge and echo; with
 * {@link #verify} on, its checksums are checked too (for the tests, off while measuring).
 */
public final class Peer {

    /** The peer's addresses. */
    public static final long MAC = 0x02_00_00_00_00_04L;
    public static final String IP = "198.18.0.4";
    /** The port the peer sends from. */
    public static final int PORT = 40_000;
    /** The largest payload the peer's template holds (a 1500-byte MTU with timestamps). */
    public static final int MAX_PAYLOAD = 1448;

    private static final int ETH = 14;
    private static final int IP_HEADER = 20;
    private static final int L4 = ETH + IP_HEADER;
    private static final int TCP_DATA_HEADER = 32;   // 20 + NOP NOP TS
    private static final int TCP_SYN_HEADER = 40;    // 20 + MSS, SACKOK + TS, NOP WS
    private static final int TS_OPTION = 0x0101_080a; // NOP NOP kind 8 length 10
    private static final int WINDOW_SCALE = 7;
    private static final int ISS = 0x1000_0000;
    private static final int TS_OFFSET = 0x2345_6789;

    private final BenchQueue queue;
    private final FramePool pool;
    private final long stackMac;
    private final int ip;
    private final int stackIp;
    private final int stackPort;
    private final Frame out = new Frame();
    private final Frame in = new Frame();
    private final MemorySegment template;
    private int templateSumLength = -1;
    private long templateSum;

    private int seq = ISS;
    private short ipId;
    private int window = 4096;                // scaled by 2^7: 512 KiB, more than the stack's send buffer

    // What the stack has sent, as the peer saw it.
    private boolean synAckSeen;
    private int stackIss;
    private int stackMax;                     // highest sequence number sent + 1 (what the peer ACKs)
    private int stackTsVal;
    private int stackAck;

    /** Check the checksums of every transmitted frame (counted in {@link #badFrames}). */
    public boolean verify;
    /** Segments the peer has injected, and of those, segments carrying data. */
    public long segmentsIn;
    public long dataSegmentsIn;
    /** Frames the stack transmitted, of which data segments and pure ACKs (no data, no SYN/FIN). */
    public long framesOut;
    public long dataSegmentsOut;
    public long pureAcksOut;
    /** Payload bytes the stack transmitted. */
    public long bytesOut;
    /** Transmitted frames that were not TCP over IPv4 to the peer, or (with {@link #verify}) failed a checksum. */
    public long badFrames;

    Peer(BenchQueue queue, Arena arena, long stackMac, int ip, int stackIp, int stackPort) {
        this.queue = queue;
        this.pool = queue.pool();
        this.stackMac = stackMac;
        this.ip = ip;
        this.stackIp = stackIp;
        this.stackPort = stackPort;
        this.template = arena.allocate(MAX_PAYLOAD, 8);
        for (int i = 0; i < MAX_PAYLOAD; i++) {
            template.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
        }
        queue.observer(this::transmitted);
    }

    // ------------------------------------------------------------------ what the peer sends

    /** The opening SYN, with the options Linux puts in it. */
    void syn(long nowNanos) {
        Frame f = begin(TCP_SYN_HEADER, 0);
        int o = L4 + 20;
        f.u32(o, 0x0204_0000 | 1460);            // MSS 1460
        f.u32(o + 4, 0x0402_080a);               // SACK-permitted, timestamps
        f.u32(o + 8, tsVal(nowNanos));
        f.u32(o + 12, 0);
        f.u32(o + 16, 0x0103_0300 | WINDOW_SCALE); // NOP, window scale
        finish(f, ISS, 0, 0x02, 64_240, TCP_SYN_HEADER, 0);
        seq = ISS + 1;
    }

    /**
     * A segment with {@code payload} bytes (0 for a pure ACK) at the next sequence number,
     * acknowledging everything the stack has sent.
     */
    public void segment(int payload, long nowNanos) {
        Frame f = begin(TCP_DATA_HEADER, payload);
        int o = L4 + 20;
        f.u32(o, TS_OPTION);
        f.u32(o + 4, tsVal(nowNanos));
        f.u32(o + 8, stackTsVal);
        if (payload > 0) {
            MemorySegment.copy(template, 0, f.region(), f.base() + L4 + TCP_DATA_HEADER, payload);
        }
        finish(f, seq, stackMax, payload > 0 ? 0x18 : 0x10, window, TCP_DATA_HEADER, payload); // PSH|ACK or ACK
        seq += payload;
        if (payload > 0) {
            dataSegmentsIn++;
        }
    }

    /** Takes back the last {@link #segment} of {@code payload} bytes, which the caller discarded unreceived. */
    public void rewind(int payload) {
        seq -= payload;
        segmentsIn--;
        if (payload > 0) {
            dataSegmentsIn--;
        }
    }

    private Frame begin(int tcpHeader, int payload) {
        if (payload < 0 || payload > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload " + payload);
        }
        int id = pool.allocate();
        if (id < 0) {
            throw new IllegalStateException("the benchmark's frame pool is empty: frames are leaking");
        }
        return out.wrap(pool, id, queue.headroom(), L4 + tcpHeader + payload);
    }

    private void finish(Frame f, int seqNo, int ack, int flags, int win, int tcpHeader, int payload) {
        // Ethernet
        f.u32(0, (int) (stackMac >>> 16));
        f.u16(4, (int) stackMac);
        f.u32(6, (int) (MAC >>> 16));
        f.u16(10, (int) MAC);
        f.u16(12, 0x0800);
        // IPv4: no options, DF, TTL 64
        int l4Length = tcpHeader + payload;
        f.u32(ETH, 0x4500_0000 | (IP_HEADER + l4Length));
        f.u32(ETH + 4, (ipId++ & 0xffff) << 16 | 0x4000);
        f.u32(ETH + 8, 64 << 24 | 6 << 16);
        f.u32(ETH + 12, ip);
        f.u32(ETH + 16, stackIp);
        f.u16(ETH + 10, Checksum.of(f.region(), f.base() + ETH, IP_HEADER));
        // TCP
        f.u32(L4, PORT << 16 | stackPort);
        f.u32(L4 + 4, seqNo);
        f.u32(L4 + 8, ack);
        f.u32(L4 + 12, (tcpHeader / 4) << 28 | flags << 16 | win);
        f.u32(L4 + 16, 0);
        long sum = Checksum.pseudoHeader(ip, stackIp, 6, l4Length);
        sum = Checksum.add(sum, f.region(), f.base() + L4, tcpHeader);
        if (payload > 0) {
            sum += payloadSum(payload); // the payload starts at an even offset: partial sums compose
        }
        f.u16(L4 + 16, Checksum.finish(sum));
        queue.inject(f.id(), queue.headroom(), f.length());
        segmentsIn++;
    }

    private long payloadSum(int n) {
        if (n != templateSumLength) {
            templateSum = Checksum.add(0, template, 0, n);
            templateSumLength = n;
        }
        return templateSum;
    }

    private static int tsVal(long nowNanos) {
        return (int) (nowNanos / 1_000_000L) + TS_OFFSET;
    }

    // ------------------------------------------------------------------ what the stack sends

    private void transmitted(FramePool p, int frame, int offset, int length) {
        Frame f = in.wrap(p, frame, offset, length);
        framesOut++;
        if (length < L4 + 20 || f.u16(12) != 0x0800 || f.u8(ETH) != 0x45 || f.u8(ETH + 9) != 6
                || f.u32(ETH + 16) != ip) {
            badFrames++;
            return;
        }
        int l4Length = f.u16(ETH + 2) - IP_HEADER;
        int hl = (f.u8(L4 + 12) >>> 4) * 4;
        int flags = f.u8(L4 + 13);
        int s = f.u32(L4 + 4);
        int len = l4Length - hl;
        if (verify && (!Checksum.verifies(Checksum.add(0, f.region(), f.base() + ETH, IP_HEADER))
                || !Checksum.verifies(Checksum.add(Checksum.pseudoHeader(stackIp, ip, 6, l4Length), f.region(),
                        f.base() + L4, l4Length)))) {
            badFrames++;
        }
        // Find the timestamps option (the stack writes NOP NOP TS first, but walk to be sure).
        for (int at = L4 + 20, end = L4 + hl; at < end; ) {
            int kind = f.u8(at);
            if (kind == 0) {
                break;
            }
            if (kind == 1) {
                at++;
                continue;
            }
            if (kind == 8) {
                stackTsVal = f.u32(at + 2);
                break;
            }
            at += Math.max(2, f.u8(at + 1));
        }
        int next = s + len + ((flags & 0x02) != 0 ? 1 : 0) + ((flags & 0x01) != 0 ? 1 : 0);
        if ((flags & 0x02) != 0) {
            synAckSeen = true;
            stackIss = s;
            stackMax = next;
        } else if (next - stackMax > 0) {
            stackMax = next;
        }
        stackAck = f.u32(L4 + 8);
        if (len > 0) {
            dataSegmentsOut++;
            bytesOut += len;
        } else if ((flags & 0x03) == 0) {
            pureAcksOut++;
        }
    }

    /** Whether the stack's SYN-ACK has been seen. */
    public boolean synAckSeen() {
        return synAckSeen;
    }

    /** The stack's initial sequence number (from its SYN-ACK). */
    public int stackIss() {
        return stackIss;
    }

    /** One past the highest sequence number the stack has sent. */
    public int stackMax() {
        return stackMax;
    }

    /** The acknowledgement number of the stack's latest segment. */
    public int stackAck() {
        return stackAck;
    }

    /** The peer's next sequence number. */
    public int seq() {
        return seq;
    }
}
