package io.jix.stack.tcp;

import io.jix.nic.Frame;
import io.jix.stack.Checksum;

/**
 * A flyweight over a TCP header (RFC 9293 §3.1) in a {@link Frame}, at the L4 offset given to
 * {@link #wrap}. Reads and writes go straight to the frame, big-endian and bounds-checked by the
 * frame; nothing is copied or allocated. Call {@link #validate} before trusting
 * {@link #headerLength()}.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |          Source Port          |       Destination Port        |
 * |                        Sequence Number                        |
 * |                    Acknowledgment Number                      |
 * |  DOff |  Rsrvd|C|E|U|A|P|R|S|F|            Window             |
 * |           Checksum            |         Urgent Pointer        |
 * |                    Options (DOff*4 - 20 bytes)                |
 * </pre>
 */
public final class TcpHeader {

    /** IP protocol number of TCP. */
    public static final int PROTOCOL = 6;
    /** Length of the header without options. */
    public static final int MIN_LENGTH = 20;
    /** Longest header: data offset 15. */
    public static final int MAX_LENGTH = 60;

    /** No more data from sender. */
    public static final int FIN = 0x01;
    /** Synchronize sequence numbers. */
    public static final int SYN = 0x02;
    /** Reset the connection. */
    public static final int RST = 0x04;
    /** Push function. */
    public static final int PSH = 0x08;
    /** Acknowledgment field is significant. */
    public static final int ACK = 0x10;
    /** Urgent pointer field is significant. */
    public static final int URG = 0x20;
    /** ECN-Echo (RFC 3168). */
    public static final int ECE = 0x40;
    /** Congestion Window Reduced (RFC 3168). */
    public static final int CWR = 0x80;

    /** {@link #validate} result: the header may be used. */
    public static final int VALID = 0;
    /** {@link #validate} result: fewer than 20 bytes, or the segment runs past the frame. */
    public static final int TRUNCATED = 1;
    /** {@link #validate} result: data offset below 5 or beyond the segment. */
    public static final int BAD_DATA_OFFSET = 2;

    private static final int SRC_PORT = 0;
    private static final int DST_PORT = 2;
    private static final int SEQ = 4;
    private static final int ACK_NO = 8;
    private static final int DATA_OFFSET = 12;
    private static final int FLAGS = 13;
    private static final int WINDOW = 14;
    private static final int CHECKSUM = 16;
    private static final int URGENT = 18;

    private Frame frame;
    private int offset;

    /** A flyweight pointing nowhere until {@link #wrap}. */
    public TcpHeader() {
    }

    /** Points this flyweight at the TCP header at {@code offset} (relative to the frame's data start). */
    public TcpHeader wrap(Frame frame, int offset) {
        this.frame = frame;
        this.offset = offset;
        return this;
    }

    /** The frame. */
    public Frame frame() {
        return frame;
    }

    /** The header's offset in the frame's data. */
    public int offset() {
        return offset;
    }

    /**
     * Checks the structure of a segment of {@code l4Length} bytes (TCP header, options and
     * payload, as the IP layer computed it): at least 20 bytes and within the frame, and a data
     * offset of at least 5 words that does not run past the segment (RFC 9293 §3.1).
     *
     * @return {@link #VALID}, {@link #TRUNCATED} or {@link #BAD_DATA_OFFSET}
     */
    public int validate(int l4Length) {
        if (l4Length < MIN_LENGTH || offset < 0 || (long) offset + l4Length > frame.length()) {
            return TRUNCATED;
        }
        int words = frame.u8(offset + DATA_OFFSET) >>> 4;
        if (words < 5 || words * 4 > l4Length) {
            return BAD_DATA_OFFSET;
        }
        return VALID;
    }

    public int sourcePort() {
        return frame.u16(offset + SRC_PORT);
    }

    public int destinationPort() {
        return frame.u16(offset + DST_PORT);
    }

    /** SEG.SEQ. */
    public int seq() {
        return frame.u32(offset + SEQ);
    }

    /** SEG.ACK. */
    public int ack() {
        return frame.u32(offset + ACK_NO);
    }

    /** The data offset field, in 32-bit words. */
    public int dataOffset() {
        return frame.u8(offset + DATA_OFFSET) >>> 4;
    }

    /** The header length in bytes, options included ({@link #dataOffset()} × 4). */
    public int headerLength() {
        return dataOffset() << 2;
    }

    /** The offset of the options in the frame's data. */
    public int optionsOffset() {
        return offset + MIN_LENGTH;
    }

    /** The length of the options in bytes. */
    public int optionsLength() {
        return headerLength() - MIN_LENGTH;
    }

    /** The eight flag bits CWR ECE URG ACK PSH RST SYN FIN, as the constants of this class. */
    public int flags() {
        return frame.u8(offset + FLAGS);
    }

    /** Whether all bits of {@code mask} are set. */
    public boolean has(int mask) {
        return (flags() & mask) == mask;
    }

    /** The unscaled window field. */
    public int window() {
        return frame.u16(offset + WINDOW);
    }

    public int checksum() {
        return frame.u16(offset + CHECKSUM);
    }

    public int urgentPointer() {
        return frame.u16(offset + URGENT);
    }

    public TcpHeader sourcePort(int port) {
        frame.u16(offset + SRC_PORT, port);
        return this;
    }

    public TcpHeader destinationPort(int port) {
        frame.u16(offset + DST_PORT, port);
        return this;
    }

    public TcpHeader seq(int seq) {
        frame.u32(offset + SEQ, seq);
        return this;
    }

    public TcpHeader ack(int ack) {
        frame.u32(offset + ACK_NO, ack);
        return this;
    }

    /** Sets the header length in bytes (a multiple of 4 from 20 to 60); the reserved bits become 0. */
    public TcpHeader headerLength(int bytes) {
        if (bytes < MIN_LENGTH || bytes > MAX_LENGTH || (bytes & 3) != 0) {
            throw new IllegalArgumentException("TCP header length " + bytes);
        }
        frame.u8(offset + DATA_OFFSET, (bytes >>> 2) << 4);
        return this;
    }

    public TcpHeader flags(int flags) {
        frame.u8(offset + FLAGS, flags);
        return this;
    }

    public TcpHeader window(int window) {
        frame.u16(offset + WINDOW, window);
        return this;
    }

    public TcpHeader checksum(int checksum) {
        frame.u16(offset + CHECKSUM, checksum);
        return this;
    }

    public TcpHeader urgentPointer(int urgent) {
        frame.u16(offset + URGENT, urgent);
        return this;
    }

    /**
     * Whether the checksum over the IPv4 pseudo-header (RFC 9293 §3.1: source, destination, zero,
     * protocol 6, TCP length) and the {@code l4Length} bytes of the segment verifies. The segment
     * must lie within the frame ({@link #validate}).
     */
    public boolean checksumOk(int sourceIp, int destinationIp, int l4Length) {
        checkSpan(l4Length);
        long sum = Checksum.pseudoHeader(sourceIp, destinationIp, PROTOCOL, l4Length);
        sum = Checksum.add(sum, frame.region(), frame.base() + offset, l4Length);
        return Checksum.verifies(sum);
    }

    /** Computes and stores the checksum of the {@code l4Length}-byte segment with the IPv4 pseudo-header. */
    public TcpHeader computeChecksum(int sourceIp, int destinationIp, int l4Length) {
        checkSpan(l4Length);
        checksum(0);
        long sum = Checksum.pseudoHeader(sourceIp, destinationIp, PROTOCOL, l4Length);
        sum = Checksum.add(sum, frame.region(), frame.base() + offset, l4Length);
        checksum(Checksum.finish(sum));
        return this;
    }

    private void checkSpan(int l4Length) {
        if (l4Length < 0 || offset < 0 || (long) offset + l4Length > frame.length()) {
            throw new IndexOutOfBoundsException("segment [" + offset + ", +" + l4Length + ") outside frame data of "
                    + frame.length());
        }
    }
}
