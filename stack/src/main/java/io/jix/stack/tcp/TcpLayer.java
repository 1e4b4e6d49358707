package io.jix.stack.tcp;

import io.jix.nic.Frame;
import io.jix.nic.FramePool;
import io.jix.stack.FlowTable;
import io.jix.stack.NetStack;
import io.jix.stack.TimerWheel;
import io.jix.stack.TransportHandler;
import java.lang.foreign.MemorySegment;

/**
 * TCP on one {@link NetStack} (one elastic thread): the RFC 9293 state machine with the
 * application calls of IX ({@link #listen}, {@link #connect}, {@link #send}, {@link #recvDone},
 * {@link #close}, {@link #abort}) and its events ({@link TcpEvents}).
 *
 * <p>Ownership: received payload stays in the received frame, handed to the application by
 * {@link TcpEvents#recv} and released when {@link #recvDone} returns all its bytes; the receive
 * window is the receive buffer minus the bytes not yet returned. Sent data is referenced, never
 * copied into a buffer: {@link #send} records the application's segment and the bytes are copied
 * into a frame each time they are (re)transmitted, until {@link TcpEvents#sent} says they were
 * acknowledged.
 *
 * <p>Connections live in preallocated {@link Tcb}s indexed by slot, found with a
 * {@link FlowTable}; handles are {@code generation << 32 | slot}. Timers run on a private 16 µs
 * {@link TimerWheel} that each {@code NetStack.poll} advances through the transport hook
 * ({@link #poll(NetStack, long)}), so what the timers send leaves in that poll's flush.
 *
 * <p>Behaviour (the conformance scripts in {@code stack/src/test/resources/tcp} pin each one):
 * <ul>
 *   <li>Options: MSS always; WS, SACK-permitted and TS only when the peer offered them (our
 *       shift is the smallest that fits the receive buffer: 3 for 256 KiB). A SYN cookie
 *       connection has none of them. Payload per segment = min(peer MSS, MTU − 40) minus 12 with
 *       timestamps, less when SACK blocks need the room.
 *   <li>ACKs: delayed 40 ms ({@link TcpConfig#delayedAckNanos()}), at once for every second
 *       full-sized segment, out-of-order data (with SACK blocks, RFC 2018 §4 order), a filled
 *       hole, a FIN, unacceptable segments and duplicate data (reported once as an RFC 2883
 *       D-SACK block, first in the ACK). A window update is sent when recvDone grows the
 *       window by two segments or from below one (receiver SWS avoidance).
 *   <li>Retransmission: RFC 6298 RTO (1 s initial, 200 ms minimum, samples from the handshake,
 *       timestamps, or one timed segment with Karn's rule), doubled per timeout; a timeout
 *       collapses cwnd. Without SACK: fast retransmit on three duplicate ACKs with NewReno
 *       (RFC 5681/6582), and a timeout goes back to SND.UNA (sndNxt is rewound; ACKs and RSTs
 *       always carry SND.MAX, RFC 9293's SND.NXT). With SACK: RACK-TLP (RFC 8985, {@link Rack})
 *       marks segments lost by time — a segment sent before one that was delivered, more than
 *       RACK.rtt + reo_wnd ago, retransmissions included — with a reorder timer; lost segments go
 *       before new data while cwnd − pipe allows (RFC 6675's pipe), one cwnd reduction per window
 *       (RFC 6582's recover); a probe timeout (2·SRTT) sends a tail loss probe before the RTO; a
 *       timeout marks lost what RACK says and keeps what was SACKed.
 *       After 15 timeouts (6 for SYNs) the connection is reset ({@link TcpEvents#TIMED_OUT}).
 *   <li>Zero window: probes at the RTO with backoff, an ACK with SEQ = SND.UNA − 1 (as Linux).
 *   <li>RFC 5961: RSTs must hit RCV.NXT exactly (else a challenge ACK), a SYN in a synchronized
 *       state gets a challenge ACK, ACKs outside [SND.UNA − MAX.SND.WND, SND.MAX] are dropped with
 *       a challenge ACK; challenge ACKs are limited per second for the whole layer. PAWS drops
 *       segments with an old TSval.
 *   <li>Closing: {@link #close} is a half-close; TIME-WAIT lasts {@link TcpConfig#timeWaitNanos()}
 *       (60 s default, Linux's TCP_TIMEWAIT_LEN), restarted by a retransmitted FIN; a new SYN
 *       above RCV.NXT for a listening port reopens a TIME-WAIT connection.
 * </ul>
 */
public final class TcpLayer implements TransportHandler {

    private static final int T_RTO = 0;
    private static final int T_ACK = 1;
    private static final int T_KEEP = 2;
    private static final int T_RACK = 3;
    /** The probe timeout's floor (as Linux): below it scheduling noise alone would fire probes. */
    private static final long MIN_PTO = 10_000_000L;
    private static final long TICK = 16_000L;
    private static final int EPHEMERAL_LO = 32768;
    private static final int EPHEMERAL_HI = 60999;
    private static final int DEFAULT_MSS = 536;

    private final NetStack stack;
    private final TcpConfig config;
    private final TcpEvents events;
    private final Tcb[] tcbs;
    private final int[] free;
    private int freeCount;
    private final FlowTable flows;
    private final TimerWheel timers;
    private final IsnGenerator isns;
    private final SynCookies cookies;
    private final int[] backlog = new int[65536];   // 0: not listening
    private final int[] embryonic = new int[65536]; // SYN-RECEIVED per listening port
    private int nextPort = EPHEMERAL_LO;

    private final TcpHeader in = new TcpHeader();
    private final TcpHeader out = new TcpHeader();
    private final TcpOptions opts = new TcpOptions();
    private final Frame txFrame = new Frame();
    private final int[] sackLeft = new int[TcpOptions.MAX_SACK_BLOCKS];
    private final int[] sackRight = new int[TcpOptions.MAX_SACK_BLOCKS];
    private final TimerWheel.Expiry expiry = this::expired;
    private final ReassemblyQueue.Consumer drain = this::deliverQueued;
    private Tcb draining;
    private int drainGeneration;
    private long now;
    private long challengeWindowStart;
    private int challengeCount;
    private int rcvWindowShift;

    /** Counters, plain fields for now. */
    public long segmentsIn;
    public long segmentsOut;
    public long retransmits;
    /** Segments sent straight from the frame the application wrote them into ({@link #sendFrame}), without a copy. */
    public long zeroCopySegments;
    /** Retransmission timeouts on established connections (each one a stall of at least an RTO). */
    public long timeouts;
    public long badSegments;
    public long resetsSent;
    public long challengeAcks;
    public long listenOverflows;
    public long synCookiesSent;
    public long synCookiesAccepted;
    /** Data segments that arrived beyond the next expected byte (reordered, or after a loss). */
    public long outOfOrderSegments;
    /** Tail loss probes sent (RFC 8985 §7): a probe timeout that fired instead of a retransmission timeout. */
    public long tlpProbes;
    /** Segments RACK marked lost by time (RFC 8985 §6.2), retransmitted without waiting for a timeout. */
    public long rackLosses;
    /** ACKs carrying a D-SACK block (RFC 2883): a segment of ours arrived twice (a spurious retransmission). */
    public long dsacksReceived;

    public TcpLayer(NetStack stack, TcpConfig config, TcpEvents events) {
        this(stack, config, events, new IsnGenerator(), new SynCookies());
    }

    /** With the given secrets (tests use fixed ones for reproducible runs). */
    public TcpLayer(NetStack stack, TcpConfig config, TcpEvents events, IsnGenerator isns, SynCookies cookies) {
        this.cookies = cookies;
        this.stack = stack;
        this.config = config;
        this.events = events;
        this.isns = isns;
        int n = config.maxConnections();
        tcbs = new Tcb[n];
        free = new int[n];
        for (int i = 0; i < n; i++) {
            tcbs[i] = new Tcb(i, config, stack::release, this::clock);
            free[i] = n - 1 - i;
        }
        freeCount = n;
        flows = new FlowTable(n);
        now = stack.now();
        timers = new TimerWheel(4 * n, TICK, now);
        for (Tcb t : tcbs) {
            t.timer = timers.allocate((long) t.slot << 2 | T_RTO);
            t.ackTimer = timers.allocate((long) t.slot << 2 | T_ACK);
            t.keepTimer = timers.allocate((long) t.slot << 2 | T_KEEP);
            t.rackTimer = timers.allocate((long) t.slot << 2 | T_RACK);
        }
        int shift = 0;
        while ((config.receiveBuffer() >> shift) > 65535) {
            shift++;
        }
        rcvWindowShift = Math.min(shift, TcpOptions.MAX_WSCALE);
        stack.registerTransport(TcpHeader.PROTOCOL, this);
    }

    // ================================================================ application calls

    /** Accepts connections on {@code port}, at most {@code backlog} in SYN-RECEIVED at once. */
    public void listen(int port, int backlog) {
        checkPort(port);
        if (backlog < 1) {
            throw new IllegalArgumentException("backlog " + backlog);
        }
        this.backlog[port] = backlog;
    }

    /** Stops accepting on {@code port}; connections already made are not affected. */
    public void unlisten(int port) {
        checkPort(port);
        backlog[port] = 0;
    }

    /**
     * Opens a connection (sends a SYN). The outcome arrives as {@link TcpEvents#connected}. The
     * local port is the next free ephemeral port (32768–60999, round robin) whose replies the
     * port's RSS function sends to this stack's queue.
     *
     * @return the handle, or -1 when no slot or local port is free
     */
    public long connect(int remoteIp, int remotePort) {
        checkPort(remotePort);
        if (freeCount == 0) {
            return -1;
        }
        int local = ourIp();
        int port = -1;
        for (int i = 0; i <= EPHEMERAL_HI - EPHEMERAL_LO; i++) {
            int p = nextPort;
            nextPort = nextPort == EPHEMERAL_HI ? EPHEMERAL_LO : nextPort + 1;
            if (backlog[p] == 0 && repliesHere(remoteIp, remotePort, local, p)
                    && flows.get(FlowTable.key1(local, remoteIp), FlowTable.key2(p, remotePort)) == FlowTable.MISSING) {
                port = p;
                break;
            }
        }
        if (port < 0) {
            return -1;
        }
        Tcb t = allocate(local, port, remoteIp, remotePort);
        if (t == null) {
            return -1;
        }
        t.passive = false;
        t.state = Tcb.SYN_SENT;
        t.wsOk = true;
        t.sackOk = true;
        t.tsOk = true;
        sendSyn(t);
        armRto(t);
        return handle(t);
    }

    /**
     * Whether the peer's segments to local port {@code port} arrive on this stack's queue, by the
     * port's RSS function ({@link io.jix.stack.NetStackConfig#steering}): the ephemeral port is
     * chosen so, as IX did, rather than steering the flow to us afterwards.
     */
    private boolean repliesHere(int remoteIp, int remotePort, int localIp, int port) {
        io.jix.stack.NetStackConfig c = stack.config();
        int q = c.steering().queueOf(remoteIp, remotePort, localIp, port, c.queueCount());
        return q == io.jix.nic.FlowSteering.ANY_QUEUE || q == c.queueIndex();
    }

    /**
     * Queues {@code length} bytes at {@code offset} of {@code data} for sending, by reference:
     * the application must not change or free them until {@link TcpEvents#sent} covers them.
     *
     * @return the bytes taken (fewer when the send buffer or its segment slots are full; 0 when
     *     the connection cannot send)
     */
    public int send(long conn, MemorySegment data, long offset, int length) {
        Tcb t = tcb(conn);
        if ((t.state != Tcb.ESTABLISHED && t.state != Tcb.CLOSE_WAIT) || t.closeRequested || length <= 0) {
            return 0;
        }
        if (t.segCount == t.segs.length) {
            return 0;
        }
        int take = (int) Math.min(length, config.sendBuffer() - t.queued);
        if (take <= 0) {
            return 0;
        }
        if (t.sndUna == t.sndMax && t.queued == 0 && t.lastSend != 0 && now - t.lastSend > t.rtt.rto()) {
            t.cc.restartAfterIdle(); // RFC 5681 §4.1
        }
        int i = (t.segHead + t.segCount) % t.segs.length;
        t.segs[i] = data;
        t.segOff[i] = offset;
        t.segLen[i] = take;
        t.segFrame[i] = -1;
        t.segCount++;
        t.queued += take;
        output(t);
        stack.flush();
        return take;
    }

    /**
     * Room in front of a {@link #sendFrame} payload for the headers: Ethernet, IPv4 and the
     * longest TCP header (60 bytes), after the driver's headroom.
     */
    public static final int FRAME_PAYLOAD_OFFSET = NetStack.L4_OFFSET + 60;

    /**
     * Queues {@code length} bytes that the application wrote into pool frame {@code frame} at
     * {@code payloadOffset} (from the frame's start; at least the driver's headroom plus
     * {@link #FRAME_PAYLOAD_OFFSET}) — zero copy: when the data goes out as one segment, the headers
     * are written in front of it in the same frame and the frame itself is transmitted, and again
     * on retransmission once the NIC has given it back. All or nothing; once taken, the frame is
     * the layer's and returns to the pool when the bytes are acknowledged or the connection ends.
     *
     * @return {@code length}, or 0 when the connection cannot take it now (the frame is still the caller's)
     */
    public int sendFrame(long conn, int frame, int payloadOffset, int length) {
        Tcb t = tcb(conn);
        if ((t.state != Tcb.ESTABLISHED && t.state != Tcb.CLOSE_WAIT) || t.closeRequested || length <= 0
                || t.segCount == t.segs.length || config.sendBuffer() - t.queued < length) {
            return 0;
        }
        FramePool pool = stack.pool();
        if (!pool.isAllocated(frame) || payloadOffset < stack.headroom() + FRAME_PAYLOAD_OFFSET
                || payloadOffset + length > pool.frameSize()) {
            throw new IllegalArgumentException("frame " + frame + " [" + payloadOffset + ", +" + length
                    + ") is not an allocated frame with room for the headers in front");
        }
        if (t.sndUna == t.sndMax && t.queued == 0 && t.lastSend != 0 && now - t.lastSend > t.rtt.rto()) {
            t.cc.restartAfterIdle(); // RFC 5681 §4.1
        }
        int i = (t.segHead + t.segCount) % t.segs.length;
        t.segs[i] = pool.region();
        t.segOff[i] = pool.offset(frame) + payloadOffset;
        t.segLen[i] = length;
        t.segFrame[i] = frame;
        t.segCount++;
        t.queued += length;
        output(t);
        stack.flush();
        return length;
    }

    /** The application is done with {@code bytes} of received data (in delivery order): frames go back, the window opens. */
    public void recvDone(long conn, int bytes) {
        Tcb t = tcb(conn);
        if (bytes < 0 || bytes > t.unreturned) {
            throw new IllegalArgumentException("recvDone " + bytes + " of " + t.unreturned);
        }
        returnBytes(t, bytes);
        if (t.state >= Tcb.ESTABLISHED && t.state != Tcb.TIME_WAIT) {
            // Window update when it grew by two segments or from below one (receiver SWS avoidance, RFC 9293 §3.8.6.2.2).
            int win = window(t);
            if (win - t.lastAdvertised >= 2 * t.smss || (t.lastAdvertised < t.smss && win >= t.smss)) {
                t.ackNow = true;
                output(t);
                stack.flush();
            }
        }
    }

    /**
     * Orderly close of our direction (a half-close): a FIN follows the queued data; data from the
     * peer is still delivered until its FIN. The handle stays valid until {@link TcpEvents#dead}.
     */
    public void close(long conn) {
        Tcb t = tcb(conn);
        if (t.closeRequested) {
            return;
        }
        t.closeRequested = true;
        switch (t.state) {
            case Tcb.SYN_SENT -> {
                finish(t, TcpEvents.CLOSED);
                return;
            }
            case Tcb.SYN_RECEIVED, Tcb.ESTABLISHED -> t.state = Tcb.FIN_WAIT_1;
            case Tcb.CLOSE_WAIT -> t.state = Tcb.LAST_ACK;
            default -> {
                return;
            }
        }
        t.finQueued = true;
        output(t);
        stack.flush();
    }

    /** Abortive close: sends RST, drops everything, {@link TcpEvents#dead} with {@link TcpEvents#ABORTED}. */
    public void abort(long conn) {
        Tcb t = tcb(conn);
        if (t.state != Tcb.SYN_SENT && t.state != Tcb.TIME_WAIT) {
            sendControl(t, t.sndMax, 0, TcpHeader.RST);
        }
        finish(t, TcpEvents.ABORTED);
        stack.flush();
    }

    /**
     * Keep-alive (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6; off by default): after {@code idleNanos}
     * without a segment from the peer, probe every {@code intervalNanos} with an ACK carrying
     * SND.UNA − 1 (as Linux), and reset the connection ({@link TcpEvents#TIMED_OUT}) after
     * {@code probes} unanswered probes. {@code idleNanos} 0 turns it off.
     */
    public void keepAlive(long conn, long idleNanos, long intervalNanos, int probes) {
        Tcb t = tcb(conn);
        if (idleNanos < 0 || intervalNanos <= 0 || probes < 1) {
            throw new IllegalArgumentException("keep-alive " + idleNanos + " " + intervalNanos + " " + probes);
        }
        t.keepIdle = idleNanos;
        t.keepInterval = intervalNanos;
        t.keepProbes = probes;
        t.keepSent = 0;
        if (idleNanos == 0) {
            timers.cancel(t.keepTimer);
        } else {
            timers.schedule(t.keepTimer, now + idleNanos);
        }
    }

    private void keepAliveExpired(Tcb t) {
        if (t.keepIdle == 0 || (t.state != Tcb.ESTABLISHED && t.state != Tcb.CLOSE_WAIT)) {
            return;
        }
        if (t.sndUna != t.sndMax || t.persist) {
            timers.schedule(t.keepTimer, now + t.keepIdle); // the retransmission timer watches the peer
            return;
        }
        if (t.keepSent >= t.keepProbes) {
            sendControl(t, t.sndMax, 0, TcpHeader.RST);
            finish(t, TcpEvents.TIMED_OUT);
            return;
        }
        t.keepSent++;
        sendControl(t, t.sndUna - 1, t.rcvNxt, TcpHeader.ACK);
        timers.schedule(t.keepTimer, now + t.keepInterval);
    }

    /**
     * Runs the timers due at {@code nowNanos}, then flushes what they sent. {@code NetStack.poll}
     * already does this (through {@link #poll(NetStack, long)}); calling it as well is harmless:
     * a timer fires once, and a time earlier than the last poll's runs nothing.
     */
    public void poll(long nowNanos) {
        runTimers(nowNanos);
        stack.flush();
    }

    /** The transport hook: {@code NetStack.poll} runs TCP's timers before it flushes. */
    @Override
    public void poll(NetStack s, long nowNanos) {
        runTimers(nowNanos);
    }

    private void runTimers(long nowNanos) {
        if (nowNanos - now > 0) {
            now = nowNanos;
        }
        timers.advance(now, expiry);
    }

    /** Whether {@code conn} names a live connection. */
    public boolean valid(long conn) {
        int slot = (int) conn;
        return conn >= 0 && slot < tcbs.length && tcbs[slot].generation == (int) (conn >>> 32)
                && !tcbs[slot].appGone && tcbs[slot].state != Tcb.CLOSED;
    }

    /** State name of a connection, for tests and diagnostics. */
    public String state(long conn) {
        int slot = (int) conn;
        Tcb t = tcbs[slot];
        return t.generation == (int) (conn >>> 32) ? Tcb.NAMES[t.state] : "CLOSED";
    }

    /** Connection slots in use (TIME-WAIT included). */
    public int connections() {
        return tcbs.length - freeCount;
    }

    /** The connection's smoothed RTT estimator state, for tests. */
    public long rto(long conn) {
        return tcb(conn).rtt.rto();
    }

    /** The connection's congestion control ({@link NewReno} or {@link Cubic}), for tests and diagnostics. */
    public CongestionControl congestionControl(long conn) {
        return tcb(conn).cc;
    }

    public TcpConfig config() {
        return config;
    }

    // ================================================================ receive

    @Override
    public boolean receive(NetStack s, Frame frame, int l4Offset, int l4Length, int srcIp, int dstIp) {
        now = s.now();
        segmentsIn++;
        in.wrap(frame, l4Offset);
        if (in.validate(l4Length) != TcpHeader.VALID || dstIp != ourIp()
                || (!s.rxChecksumVerified() && !in.checksumOk(srcIp, dstIp, l4Length))) {
            badSegments++;
            return false;
        }
        opts.clear();
        if (in.optionsLength() > 0) {
            opts.parse(in);
        }
        int slot = flows.get(FlowTable.key1(dstIp, srcIp), FlowTable.key2(in.destinationPort(), in.sourcePort()));
        int dataOff = l4Offset + in.headerLength();
        int len = l4Length - in.headerLength();
        if (slot == FlowTable.MISSING) {
            int flags = in.flags();
            int port = in.destinationPort();
            if (backlog[port] != 0
                    && (flags & (TcpHeader.ACK | TcpHeader.SYN | TcpHeader.RST)) == TcpHeader.ACK) {
                Tcb t = cookieAck(srcIp, dstIp, port);
                if (t != null) {
                    return segment(t, frame, dataOff, len);
                }
            }
            noConnection(frame, srcIp, dstIp, len);
            return false;
        }
        Tcb t = tcbs[slot];
        boolean kept;
        if (t.state == Tcb.SYN_SENT) {
            synSent(t, len);
            kept = false;
        } else {
            kept = segment(t, frame, dataOff, len);
        }
        return kept;
    }

    /**
     * ICMP errors quoting our segments (RFC 1122 §4.2.3.9, RFC 5927): only one whose quoted
     * sequence number lies in [SND.UNA, SND.MAX] counts (blind ICMP attacks), and only a hard
     * error (protocol or port unreachable) in SYN-SENT ends the attempt, as in Linux; everything
     * else is a soft error, ignored. Path-MTU discovery (fragmentation needed) is not done yet.
     */
    @Override
    public void icmpError(NetStack s, int type, int code, Frame frame, int quotedL4Offset, int quotedLength,
                          int origSrc, int origDst) {
        if (type != 3 || (code != 2 && code != 3) || quotedLength < 8) {
            return;
        }
        int localPort = frame.u16(quotedL4Offset);
        int remotePort = frame.u16(quotedL4Offset + 2);
        int slot = flows.get(FlowTable.key1(origSrc, origDst), FlowTable.key2(localPort, remotePort));
        if (slot == FlowTable.MISSING) {
            return;
        }
        Tcb t = tcbs[slot];
        int seq = frame.u32(quotedL4Offset + 4);
        if (t.state == Tcb.SYN_SENT && Seq.inClosed(t.sndUna, seq, t.sndMax)) {
            now = s.now();
            finish(t, TcpEvents.UNREACHABLE);
        }
    }

    /** A segment for no connection: a listener's SYN, or a reset (RFC 9293 §3.10.7.1). */
    private void noConnection(Frame frame, int srcIp, int dstIp, int len) {
        int flags = in.flags();
        if ((flags & TcpHeader.RST) != 0) {
            return;
        }
        int port = in.destinationPort();
        if (backlog[port] != 0 && (flags & (TcpHeader.ACK | TcpHeader.SYN)) == TcpHeader.SYN) {
            listenSyn(srcIp, dstIp, port);
            return;
        }
        if (backlog[port] != 0 && (flags & TcpHeader.ACK) == 0) {
            return; // LISTEN drops anything else without ACK
        }
        // CLOSED (or LISTEN with an ACK): <SEQ=SEG.ACK><CTL=RST>, or <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
        int segLen = len + ((flags & TcpHeader.SYN) != 0 ? 1 : 0) + ((flags & TcpHeader.FIN) != 0 ? 1 : 0);
        if ((flags & TcpHeader.ACK) != 0) {
            rawReset(srcIp, in.sourcePort(), port, in.ack(), 0, TcpHeader.RST);
        } else {
            rawReset(srcIp, in.sourcePort(), port, 0, in.seq() + segLen, TcpHeader.RST | TcpHeader.ACK);
        }
    }

    private void listenSyn(int srcIp, int dstIp, int port) {
        if (freeCount == 0) {
            listenOverflows++; // no slot to finish the handshake in: drop, the peer retransmits
            return;
        }
        if (embryonic[port] >= backlog[port]) {
            cookieSynAck(srcIp, dstIp, port);
            return;
        }
        Tcb t = allocate(dstIp, port, srcIp, in.sourcePort());
        if (t == null) {
            listenOverflows++;
            return;
        }
        embryonic[port]++;
        t.passive = true;
        t.state = Tcb.SYN_RECEIVED;
        t.irs = in.seq();
        t.rcvNxt = t.irs + 1;
        negotiate(t);
        t.sndWnd = in.window(); // never scaled in a SYN
        t.maxSndWnd = t.sndWnd;
        t.sndWl1 = t.irs;
        t.sndWl2 = t.iss;
        sendSyn(t);
        armRto(t);
    }

    /**
     * Backlog full: answer with a SYN cookie (RFC 4987 §3.6) and keep no state. The SYN-ACK offers
     * only MSS: the cookie carries neither window scale, SACK-permitted nor timestamps, so a
     * connection made from it negotiates none of them.
     */
    private void cookieSynAck(int srcIp, int dstIp, int port) {
        int peerMss = opts.mss() > 0 ? opts.mss() : DEFAULT_MSS;
        int isn = cookies.cookie(now, dstIp, port, srcIp, in.sourcePort(), in.seq(), peerMss);
        Frame f = stack.allocate(txFrame);
        if (f == null) {
            return;
        }
        int optLen = TcpOptions.writeSyn(f, NetStack.L4_OFFSET + 20, ourMss(), false, false, 0, 0, -1);
        out.wrap(f, NetStack.L4_OFFSET);
        out.sourcePort(port).destinationPort(in.sourcePort()).seq(isn).ack(in.seq() + 1).headerLength(20 + optLen)
                .flags(TcpHeader.SYN | TcpHeader.ACK).window(Math.min(config.receiveBuffer(), 65535))
                .urgentPointer(0);
        synCookiesSent++;
        finishSend(f, srcIp, 20 + optLen);
    }

    /** An ACK for a listening port with no connection: a valid SYN cookie makes an ESTABLISHED connection. */
    private Tcb cookieAck(int srcIp, int dstIp, int port) {
        int seq = in.seq();
        int ack = in.ack();
        int mss = cookies.check(now, dstIp, port, srcIp, in.sourcePort(), seq, ack);
        if (mss == SynCookies.REJECT) {
            return null;
        }
        Tcb t = allocate(dstIp, port, srcIp, in.sourcePort());
        if (t == null) {
            listenOverflows++;
            return null;
        }
        synCookiesAccepted++;
        t.passive = true;
        t.iss = ack - 1;
        t.sndUna = ack;
        t.sndNxt = ack;
        t.sndMax = ack;
        t.irs = seq - 1;
        t.rcvNxt = seq;
        t.rcvAdvEdge = seq + Math.min(config.receiveBuffer(), 65535);
        t.wsOk = false;
        t.sackOk = false;
        t.tsOk = false;
        t.sndShift = 0;
        t.rcvShift = 0;
        t.smss = Math.min(mss, ourMss());
        t.peerMss = mss;
        t.cc.reset(t.smss, t.iss);
        t.sndWnd = in.window();
        t.maxSndWnd = t.sndWnd;
        t.sndWl1 = seq;
        t.sndWl2 = ack;
        established(t);
        events.accepted(handle(t), port, srcIp, t.remotePort);
        return t.state == Tcb.CLOSED ? null : t;
    }

    /** Takes the peer's SYN options: MSS, and WS/SACK/TS only when both sides offer them (RFC 7323 §1.3, RFC 2018 §2). */
    private void negotiate(Tcb t) {
        int peerMss = opts.mss() > 0 ? opts.mss() : DEFAULT_MSS;
        boolean ws = opts.windowScale() >= 0 && (t.passive || t.wsOk);
        t.wsOk = ws;
        t.sndShift = ws ? opts.windowScale() : 0;
        t.rcvShift = ws ? rcvWindowShift : 0;
        t.sackOk = opts.sackPermitted() && (t.passive || t.sackOk);
        t.tsOk = opts.hasTimestamps() && (t.passive || t.tsOk);
        if (t.tsOk) {
            t.tsRecent = opts.tsVal();
        }
        t.peerMss = peerMss;
        t.smss = Math.min(peerMss, ourMss()) - (t.tsOk ? 12 : 0);
        t.cc.reset(t.smss, t.iss);
    }

    /** RFC 9293 §3.10.7.3: the segment arrives in SYN-SENT. */
    private void synSent(Tcb t, int len) {
        int flags = in.flags();
        boolean ack = (flags & TcpHeader.ACK) != 0;
        if (ack && (Seq.leq(in.ack(), t.iss) || Seq.gt(in.ack(), t.sndMax))) {
            if ((flags & TcpHeader.RST) == 0) {
                sendControl(t, in.ack(), 0, TcpHeader.RST);
            }
            return;
        }
        if ((flags & TcpHeader.RST) != 0) {
            if (ack) { // RFC 5961 §3.2: only with an acceptable ACK
                finish(t, TcpEvents.RESET);
            }
            return;
        }
        if ((flags & TcpHeader.SYN) == 0) {
            return;
        }
        t.irs = in.seq();
        t.rcvNxt = t.irs + 1;
        negotiate(t);
        if (ack) {
            t.sndUna = in.ack();
            t.sndWnd = in.window() << t.sndShift;
            // RFC 7323 §2.2: the window of a <SYN,ACK> is never scaled
            t.sndWnd = in.window();
            t.maxSndWnd = t.sndWnd;
            t.sndWl1 = in.seq();
            t.sndWl2 = in.ack();
            established(t);
            t.ackNow = true;
            output(t);
            events.connected(handle(t), 0);
        } else {
            // simultaneous open: SYN-RECEIVED, send SYN,ACK with our ISN
            t.state = Tcb.SYN_RECEIVED;
            t.sndWnd = in.window();
            t.maxSndWnd = t.sndWnd;
            t.sndWl1 = in.seq();
            t.sndNxt = t.iss;
            sendSyn(t);
            armRto(t);
        }
    }

    private void established(Tcb t) {
        t.state = Tcb.ESTABLISHED;
        t.rack.reset(t.sndUna);
        if (!t.synRetransmitted && t.rttStart != Long.MIN_VALUE) {
            t.rtt.sample(now - t.rttStart); // the handshake's RTT (Karn: only if the SYN went once)
            t.rack.rttSample(now - t.rttStart);
        }
        t.rtt.handshakeComplete(t.synRetransmitted);
        t.retries = 0;
        timers.cancel(t.timer);
        t.lastAdvertised = window(t);
    }

    /** Segment processing in the synchronized states and SYN-RECEIVED (RFC 9293 §3.10.7.4). Returns whether the frame is kept. */
    private boolean segment(Tcb t, Frame frame, int dataOff, int len) {
        int flags = in.flags();
        int seq = in.seq();
        if (t.state == Tcb.SYN_RECEIVED && !t.passive && (flags & (TcpHeader.SYN | TcpHeader.ACK | TcpHeader.RST))
                == (TcpHeader.SYN | TcpHeader.ACK) && seq == t.irs) {
            // simultaneous open: the peer's SYN,ACK repeats the SYN we have; take it as the ACK of ours
            seq++;
            flags &= ~TcpHeader.SYN;
            t.ackNow = true;
        }
        boolean rst = (flags & TcpHeader.RST) != 0;
        boolean syn = (flags & TcpHeader.SYN) != 0;

        // RFC 7323 §5.3 PAWS
        if (t.tsOk && opts.hasTimestamps() && !rst && Seq.lt(opts.tsVal(), t.tsRecent)) {
            ackOutOfWindow(t);
            return false;
        }
        // sequence acceptability
        int segLen = len + (syn ? 1 : 0) + ((flags & TcpHeader.FIN) != 0 ? 1 : 0);
        int wnd = Math.max(t.rcvAdvEdge - t.rcvNxt, 0);
        boolean acceptable;
        if (segLen == 0) {
            acceptable = wnd == 0 ? seq == t.rcvNxt : Seq.leq(t.rcvNxt, seq) && Seq.lt(seq, t.rcvNxt + wnd);
        } else if (wnd == 0) {
            acceptable = false;
        } else {
            acceptable = (Seq.leq(t.rcvNxt, seq) && Seq.lt(seq, t.rcvNxt + wnd))
                    || (Seq.leq(t.rcvNxt, seq + segLen - 1) && Seq.lt(seq + segLen - 1, t.rcvNxt + wnd));
        }
        if (t.state == Tcb.TIME_WAIT && syn && !rst && (flags & TcpHeader.ACK) == 0 && Seq.gt(seq, t.rcvNxt)) {
            // RFC 9293 §3.10.7.4 / RFC 6191: a new SYN may reopen a TIME-WAIT connection; we let it
            // through as a fresh connection when a listener exists
            if (backlog[t.localPort] != 0) {
                int srcIp = t.remoteIp;
                release(t);
                listenSyn(srcIp, ourIp(), in.destinationPort());
                return false;
            }
        }
        if (!acceptable) {
            if (!rst) {
                if (len > 0 && !syn && t.state >= Tcb.ESTABLISHED && Seq.leq(seq + len, t.rcvNxt)) {
                    noteDuplicate(t, seq, seq + len); // all of it had arrived before
                }
                ackOutOfWindow(t);
            }
            return false;
        }
        if (t.keepIdle != 0) {
            t.keepSent = 0;
            timers.schedule(t.keepTimer, now + t.keepIdle);
        }
        // RST (RFC 5961 §3.2)
        if (rst) {
            if (seq == t.rcvNxt) {
                if (t.state == Tcb.SYN_RECEIVED && t.passive) {
                    release(t); // back to LISTEN: the listener is a port
                } else if (t.state == Tcb.TIME_WAIT || t.appGone) {
                    release(t);
                } else {
                    finish(t, TcpEvents.RESET);
                }
            } else {
                challengeAck(t);
            }
            return false;
        }
        // SYN in a synchronized state (RFC 5961 §4)
        if (syn) {
            if (t.state == Tcb.SYN_RECEIVED && t.passive && seq == t.irs) {
                sendSyn(t); // retransmitted SYN: repeat the SYN-ACK
            } else {
                challengeAck(t);
            }
            return false;
        }
        if ((flags & TcpHeader.ACK) == 0) {
            return false;
        }
        int ack = in.ack();
        if (t.state == Tcb.SYN_RECEIVED) {
            if (Seq.leq(ack, t.sndUna) || Seq.gt(ack, t.sndMax)) {
                sendControl(t, ack, 0, TcpHeader.RST);
                return false;
            }
            t.sndUna = t.iss + 1; // our SYN is acknowledged; any data the ACK covers is handled below
            t.sndWnd = in.window() << t.sndShift;
            t.maxSndWnd = Math.max(t.maxSndWnd, t.sndWnd);
            t.sndWl1 = seq;
            t.sndWl2 = ack;
            if (t.passive) {
                embryonic[t.localPort]--;
            }
            established(t);
            if (t.closeRequested) {
                t.state = Tcb.FIN_WAIT_1;
            }
            if (t.passive) {
                events.accepted(handle(t), t.localPort, t.remoteIp, t.remotePort);
            } else {
                events.connected(handle(t), 0);
            }
            if (t.state == Tcb.CLOSED) {
                return false;
            }
        }
        // RFC 5961 §5.2 ACK range check
        if (Seq.lt(ack, t.sndUna - t.maxSndWnd) || Seq.gt(ack, t.sndMax)) {
            challengeAck(t);
            return false;
        }
        if (t.tsOk && opts.hasTimestamps() && Seq.leq(seq, t.rcvNxt) && Seq.geq(opts.tsVal(), t.tsRecent)) {
            t.tsRecent = opts.tsVal();
        }
        processAck(t, ack, seq, len, flags);
        if (t.state == Tcb.CLOSED) {
            return false;
        }
        boolean kept = false;
        if (len > 0) {
            int gen = t.generation;
            kept = processData(t, frame, dataOff, seq, len);
            if (t.state == Tcb.CLOSED || t.generation != gen) {
                return kept;
            }
        }
        if ((flags & TcpHeader.FIN) != 0) {
            if (!t.finReceived && seq + len == t.rcvNxt) {
                processFin(t);
            } else if (t.finReceived && t.state == Tcb.TIME_WAIT) {
                t.ackNow = true; // retransmitted FIN: ack again, restart 2 MSL
                timers.schedule(t.timer, now + config.timeWaitNanos());
            } else {
                t.ackNow = true; // a FIN beyond a hole (not queued: it comes again) or a repeated one
            }
        }
        if (t.state != Tcb.CLOSED) {
            output(t);
        }
        return kept;
    }

    private void processAck(Tcb t, int ack, int seq, int len, int flags) {
        int window = in.window() << t.sndShift;
        if (Seq.gt(ack, t.sndUna)) {
            int acked = ack - t.sndUna;
            int dataAcked = (int) Math.min(acked, t.queued);
            long flightBefore = t.sndMax - t.sndUna;
            t.sndUna = ack;
            if (Seq.lt(t.sndNxt, ack)) {
                t.sndNxt = ack;
            }
            // RTT (RFC 6298, RFC 7323 §4)
            if (t.tsOk && opts.hasTimestamps() && opts.tsEcr() != 0) {
                t.rtt.sampleTimestamp(tsNow(), opts.tsEcr());
            } else if (t.rttTiming && Seq.gt(ack, t.rttSeq)) {
                t.rtt.sampleSegment(now - t.rttStart, t.retransmittedSinceTiming);
                t.rttTiming = false;
            }
            t.retries = 0;
            boolean wasInRecovery = t.cc.inRecovery();
            int actions = t.cc.onAck(ack, acked, t.sndMax - ack, t.sndMax);
            if (t.sackOk) {
                rackAck(t, ack, wasInRecovery);
            }
            if (dataAcked > 0) {
                consumeSent(t, dataAcked);
                events.sent(handle(t), dataAcked);
            }
            boolean finAcked = t.finQueued && t.queued == 0 && Seq.geq(ack, t.dataStart()) && acked > dataAcked;
            if (t.sndUna == t.sndMax) {
                timers.cancel(t.timer);
                timers.cancel(t.rackTimer);
                t.persist = false;
                t.probe = false;
            } else if ((actions & CongestionControl.RESTART_TIMER) != 0 || flightBefore > 0) {
                armRto(t);
                armProbe(t); // RFC 8985 §7.2: restarted by an ACK of new data
            }
            if ((actions & CongestionControl.RETRANSMIT) != 0) {
                retransmitFirst(t);
            }
            if (finAcked || (t.finQueued && t.queued == 0 && t.sndUna == t.sndMax && Seq.gt(t.sndMax, t.dataEnd()))) {
                ourFinAcked(t);
                if (t.state == Tcb.CLOSED) {
                    return;
                }
            }
        } else if (t.sackOk && ack == t.sndUna && t.sndMax != t.sndUna) {
            rackAck(t, ack, t.cc.inRecovery()); // SACK blocks may deliver segments; what is lost goes in output
        } else if (ack == t.sndUna && len == 0 && (flags & (TcpHeader.FIN | TcpHeader.SYN)) == 0
                && window == t.sndWnd && t.sndMax != t.sndUna) {
            int actions = t.cc.onDupAck(ack, t.sndMax - t.sndUna, t.sndMax);
            if ((actions & CongestionControl.RETRANSMIT) != 0) {
                retransmitFirst(t);
            }
        }
        // window update (RFC 9293 §3.10.7.4)
        if (Seq.lt(t.sndWl1, seq) || (t.sndWl1 == seq && Seq.leq(t.sndWl2, ack))) {
            boolean opened = t.sndWnd == 0 && window > 0;
            t.sndWnd = window;
            t.maxSndWnd = Math.max(t.maxSndWnd, window);
            t.sndWl1 = seq;
            t.sndWl2 = ack;
            if (opened && t.persist) {
                t.persist = false;
                timers.cancel(t.timer);
                t.rtt.reset();
            }
        }
    }

    private void ourFinAcked(Tcb t) {
        switch (t.state) {
            case Tcb.FIN_WAIT_1 -> {
                t.state = Tcb.FIN_WAIT_2;
                timers.cancel(t.timer);
            }
            case Tcb.CLOSING -> enterTimeWait(t);
            case Tcb.LAST_ACK -> finish(t, TcpEvents.CLOSED);
            default -> {
            }
        }
    }

    private void processFin(Tcb t) {
        t.finReceived = true;
        t.rcvNxt++;
        t.ackNow = true;
        switch (t.state) {
            case Tcb.SYN_RECEIVED, Tcb.ESTABLISHED -> t.state = Tcb.CLOSE_WAIT;
            case Tcb.FIN_WAIT_1 -> t.state = Tcb.CLOSING; // our FIN is not acknowledged yet (else FIN-WAIT-2)
            case Tcb.FIN_WAIT_2 -> t.state = Tcb.TIME_WAIT;
            default -> {
            }
        }
        // the event comes after the transition: the application may close() from it
        if (!t.appGone) {
            events.eof(handle(t));
        }
        if (t.state == Tcb.TIME_WAIT) {
            enterTimeWait(t);
        }
    }

    private void enterTimeWait(Tcb t) {
        t.state = Tcb.TIME_WAIT;
        timers.schedule(t.timer, now + config.timeWaitNanos());
        timers.cancel(t.ackTimer);
        if (!t.appGone) {
            surrenderHeld(t); // the application cannot return them once it is told the connection is dead
            t.appGone = true;
            events.dead(handle(t), TcpEvents.CLOSED);
        }
    }

    /** Data in a segment that passed the checks. */
    private boolean processData(Tcb t, Frame frame, int dataOff, int seq, int len) {
        if (t.state != Tcb.ESTABLISHED && t.state != Tcb.FIN_WAIT_1 && t.state != Tcb.FIN_WAIT_2) {
            return false; // data after the peer's FIN is ignored (RFC 9293)
        }
        // trim to the window
        int start = seq;
        int end = seq + len;
        if (Seq.lt(start, t.rcvNxt)) {
            noteDuplicate(t, start, t.rcvNxt);
            start = t.rcvNxt;
        }
        if (Seq.gt(end, t.rcvAdvEdge)) {
            end = t.rcvAdvEdge;
        }
        if (!Seq.lt(start, end)) {
            t.ackNow = true;
            return false;
        }
        if (t.heldCount + t.ooo.segments() + 1 >= t.heldFrame.length) {
            // every frame slot is taken (a peer sending tiny segments): drop, the peer retransmits
            t.ackNow = true;
            return false;
        }
        int rel = (int) (frame.base() - stack.pool().offset(frame.id())) + dataOff + (start - seq);
        int n = end - start;
        if (start == t.rcvNxt) {
            boolean hadHole = !t.ooo.isEmpty();
            int gen = t.generation;
            t.rcvNxt = end;
            deliver(t, frame.id(), rel, n);
            if (t.state == Tcb.CLOSED || t.generation != gen) {
                return true; // the application aborted from the event: the frame went with the connection
            }
            if (hadHole) {
                draining = t;
                drainGeneration = gen;
                t.rcvNxt = t.ooo.drainInOrder(t.rcvNxt, drain);
                draining = null;
                if (t.state == Tcb.CLOSED || t.generation != gen) {
                    t.ooo.clear(); // aborted during the drain: release() left the queue to us
                    return true;
                }
                t.ackNow = true;
            }
            if (t.ackSent == t.rcvNxt && !t.ackNow) {
                return true; // the application answered from its recv event: the answer carried the ACK
            }
            if (n >= t.smss && ++t.segmentsUnacked >= 2) {
                t.ackNow = true;
            }
            t.ackPending = true;
            if (!t.ackNow && !timers.isPending(t.ackTimer)) {
                timers.schedule(t.ackTimer, now + config.delayedAckNanos());
            }
            return true;
        }
        // out of order: queue (the queue owns the frame either way) and ACK at once with SACK blocks
        outOfOrderSegments++;
        long duplicates = t.ooo.duplicates();
        if (!t.ooo.add(start, n, frame.id(), rel) && t.ooo.duplicates() != duplicates) {
            noteDuplicate(t, start, end); // all of it was queued already
        }
        t.ackNow = true;
        return true;
    }

    /**
     * RFC 2883 D-SACK: data in [{@code left}, {@code right}) arrived again; the next ACK reports
     * it in its first SACK block, once (a later duplicate replaces one not yet reported), and goes
     * at once. Not reported: the duplicated part of a queued out-of-order segment that also
     * brought new data.
     */
    private static void noteDuplicate(Tcb t, int left, int right) {
        if (!t.sackOk || !Seq.lt(left, right)) {
            return;
        }
        t.dsack = true;
        t.dsackLeft = left;
        t.dsackRight = right;
        t.ackNow = true;
    }

    private void deliverQueued(int frameId, int dataOffset, int seq, int length) {
        if (draining.generation != drainGeneration || draining.state == Tcb.CLOSED) {
            stack.release(frameId); // the connection was aborted (and its slot perhaps reused) meanwhile
            return;
        }
        deliver(draining, frameId, dataOffset, length);
    }

    private void deliver(Tcb t, int frameId, int rel, int n) {
        if (t.appGone) {
            stack.release(frameId); // no application any more: acknowledged and discarded
            return;
        }
        if (t.heldCount == t.heldFrame.length) {
            throw new IllegalStateException("held frame ring full");
        }
        int i = (t.heldHead + t.heldCount) % t.heldFrame.length;
        t.heldFrame[i] = frameId;
        t.heldLeft[i] = n;
        t.heldCount++;
        t.unreturned += n;
        FramePool pool = stack.pool();
        events.recv(handle(t), pool.region(), pool.offset(frameId) + rel, n);
    }

    private void returnBytes(Tcb t, long bytes) {
        t.unreturned -= bytes;
        while (bytes > 0 && t.heldCount > 0) {
            int i = t.heldHead;
            int take = (int) Math.min(bytes, t.heldLeft[i]);
            t.heldLeft[i] -= take;
            bytes -= take;
            if (t.heldLeft[i] == 0) {
                stack.release(t.heldFrame[i]);
                t.heldHead = (i + 1) % t.heldFrame.length;
                t.heldCount--;
            }
        }
    }

    private void consumeSent(Tcb t, int bytes) {
        t.queued -= bytes;
        while (bytes > 0) {
            int i = t.segHead;
            int left = t.segLen[i] - t.headConsumed;
            if (bytes >= left) {
                bytes -= left;
                t.segs[i] = null;
                if (t.segFrame[i] >= 0) {
                    stack.release(t.segFrame[i]);
                    t.segFrame[i] = -1;
                }
                t.headConsumed = 0;
                t.segHead = (i + 1) % t.segs.length;
                t.segCount--;
            } else {
                t.headConsumed += bytes;
                bytes = 0;
            }
        }
    }

    // ================================================================ output

    /** Our receive window in bytes (before scaling): buffer minus unreturned, never shrinking the advertised edge. */
    private int window(Tcb t) {
        long free = config.receiveBuffer() - t.unreturned - t.ooo.bytes();
        // frames are held one per segment: with few frame slots left, offer only what they can take
        long slots = t.heldFrame.length - t.heldCount - t.ooo.segments() - 1;
        free = Math.min(free, Math.max(slots, 0) * t.smss);
        if (free < 0) {
            free = 0;
        }
        long max = 65535L << t.rcvShift;
        long w = Math.min(free, max);
        w = (w >> t.rcvShift) << t.rcvShift;
        int keep = t.rcvAdvEdge - t.rcvNxt;
        return (int) Math.max(w, Math.max(keep, 0));
    }

    /** Sends what the windows allow, then a pure ACK if one is due and nothing carried it. */
    private void output(Tcb t) {
        boolean sentSomething = false;
        if (sending(t)) {
            int dataEnd = t.dataEnd();
            if (t.sackOk) {
                sentSomething = retransmitLost(t, dataEnd);
            }
            boolean sentNew = false;
            while (!(t.sackOk && t.rack.hasLost())) { // what is lost goes before new data (RFC 6675 NextSeg)
                int unsent = dataEnd - t.sndNxt;
                boolean finDue = t.finQueued && t.sndNxt == dataEnd;
                if (unsent <= 0 && !finDue) {
                    break;
                }
                long inFlight = t.sndNxt - t.sndUna;
                // with SACK, pipe (what is neither SACKed nor lost) is what cwnd limits
                long room = t.sackOk ? t.cc.cwnd() - t.rack.pipe(t.sndUna, t.sndMax)
                        : t.sndUna + Math.min(t.sndWnd, t.cc.cwnd()) - t.sndNxt;
                room = Math.min(room, (long) t.sndWnd - (t.sndNxt - t.sndUna));
                int n = (int) Math.max(0, Math.min(Math.min(unsent, t.smss), room));
                if (unsent > 0 && n == 0) {
                    if (t.sndWnd == 0 && inFlight == 0 && !timers.isPending(t.timer)) {
                        t.persist = true;
                        timers.schedule(t.timer, now + t.rtt.rto());
                    }
                    break;
                }
                if (config.nagle() && n > 0 && n < t.smss && inFlight > 0) { // RFC 9293 §3.7.4
                    break;
                }
                int sent = sendNew(t, n, dataEnd);
                if (sent < 0) {
                    break;
                }
                sentSomething = true;
                sentNew = true;
                if (!timers.isPending(t.timer) || t.persist || t.probe) {
                    t.persist = false;
                    armRto(t);
                }
                if (sent > n) {
                    break; // the FIN went
                }
            }
            if (sentNew) {
                armProbe(t); // RFC 8985 §7.2: restarted by new data
            }
        }
        if (!sentSomething && t.ackNow) {
            sendControl(t, t.sndMax, t.rcvNxt, TcpHeader.ACK);
        }
    }

    private static boolean sending(Tcb t) {
        return t.state == Tcb.ESTABLISHED || t.state == Tcb.CLOSE_WAIT || t.state == Tcb.FIN_WAIT_1
                || t.state == Tcb.LAST_ACK || t.state == Tcb.CLOSING;
    }

    /**
     * Sends {@code n} new bytes from SND.NXT (with the FIN when they end the data and it is
     * queued), times one segment per round trip when none is timed, and advances SND.NXT.
     *
     * @return the sequence space sent (data, plus one for a FIN), or -1 when no frame was available
     */
    private int sendNew(Tcb t, int n, int dataEnd) {
        boolean fin = t.finQueued && t.sndNxt + n == dataEnd;
        int flags = TcpHeader.ACK | (n > 0 && t.sndNxt + n == dataEnd ? TcpHeader.PSH : 0)
                | (fin ? TcpHeader.FIN : 0);
        int sent = transmit(t, t.sndNxt, n, flags);
        if (sent < 0) {
            return -1;
        }
        if (sent < n) {
            n = sent; // SACK blocks took room: the FIN waits for the next segment
            fin = false;
        }
        if (!t.rttTiming && n > 0 && t.sndNxt == t.sndMax) {
            t.rttTiming = true;
            t.rttSeq = t.sndNxt;
            t.rttStart = now;
            t.retransmittedSinceTiming = false;
        }
        t.sndNxt += n + (fin ? 1 : 0);
        if (Seq.gt(t.sndNxt, t.sndMax)) {
            t.sndMax = t.sndNxt;
        }
        return n + (fin ? 1 : 0);
    }

    /**
     * {@link #sendSegment}, and on a SACK connection the segment's record for RACK: appended when
     * new, its time refreshed when a retransmission.
     *
     * @return the data bytes sent, or -1 when no frame was available
     */
    private int transmit(Tcb t, int seq, int n, int flags) {
        int sent = sendSegment(t, seq, n, flags);
        if (sent >= 0 && t.sackOk) {
            boolean fin = (flags & TcpHeader.FIN) != 0 && sent == n;
            t.rack.sent(seq, sent + (fin ? 1 : 0), fin, now);
        }
        return sent;
    }

    /**
     * Retransmits the segments RACK marked lost, first first, while cwnd − pipe leaves room for a
     * segment (always one when nothing is in flight, as after a timeout).
     *
     * @return whether anything was sent
     */
    private boolean retransmitLost(Tcb t, int dataEnd) {
        boolean any = false;
        for (int guard = 0; guard < 256; guard++) {
            int k = t.rack.firstLost();
            if (k < 0) {
                break;
            }
            long pipe = t.rack.pipe(t.sndUna, t.sndMax);
            if (pipe > 0 && t.cc.cwnd() - pipe < t.smss) {
                break;
            }
            int seq = t.rack.start(k);
            boolean fin = t.rack.fin(k);
            int data = Math.min(t.rack.end(k) - seq - (fin ? 1 : 0), Math.max(dataEnd - seq, 0));
            int n = Math.min(data, t.smss);
            fin &= n == data;
            retransmits++;
            t.retransmittedSinceTiming = true;
            int sent = transmit(t, seq, n, TcpHeader.ACK | (fin ? TcpHeader.FIN : 0));
            if (sent < 0) {
                break;
            }
            any = true;
            if (sent == 0 && !fin) {
                break; // no room for data next to the options: nothing would change
            }
        }
        return any;
    }

    /**
     * RFC 8985 §6.2 for an ACK of {@code ack} on a SACK connection: what it delivers (cumulatively
     * and in its SACK blocks, a D-SACK block aside) updates RACK, the reorder window adapts, a
     * retransmitted tail loss probe's outcome is judged (§7.4), then losses are detected.
     */
    private void rackAck(Tcb t, int ack, boolean wasInRecovery) {
        boolean dsack = opts.sackCount() > 0 && (Seq.leq(opts.sackRight(0), ack) || (opts.sackCount() > 1
                && Seq.geq(opts.sackLeft(0), opts.sackLeft(1)) && Seq.leq(opts.sackRight(0), opts.sackRight(1))));
        t.rack.acked(t.sndUna, now);
        for (int i = dsack ? 1 : 0; i < opts.sackCount(); i++) {
            t.rack.sacked(opts.sackLeft(i), opts.sackRight(i), now);
        }
        t.rack.updateReoWnd(dsack, t.sndUna, t.sndMax);
        if (dsack) {
            dsacksReceived++;
        }
        if (wasInRecovery && !t.cc.inRecovery()) {
            t.rack.recoveryEnded();
        }
        if (t.rack.probeRepairedLoss(ack, dsack)) {
            t.cc.enterSackRecovery(ack, t.sndMax - t.sndUna, t.sndMax); // the probe repaired a loss: respond once
        }
        detectLosses(t);
    }

    /** RACK's loss detection; a new loss starts a recovery (ssthresh once per window); the reorder timer is rearmed. */
    private void detectLosses(Tcb t) {
        boolean recovering = t.cc.inRecovery() || !Seq.gt(t.sndUna, t.cc.recover());
        long wait = t.rack.detectLoss(now, t.rack.reoWnd(recovering, t.rtt.srtt()));
        int lost = t.rack.takeNewlyLost();
        if (lost > 0) {
            rackLosses += lost;
            if (!t.cc.inRecovery()) {
                t.cc.enterSackRecovery(t.sndUna, t.sndMax - t.sndUna, t.sndMax);
            }
            if (t.probe) {
                armRto(t); // recovering now: no probe
            }
        }
        if (wait > 0) {
            timers.schedule(t.rackTimer, now + wait);
        } else {
            timers.cancel(t.rackTimer);
        }
    }

    /**
     * RFC 8985 §7.2: on a SACK connection in the open state (no recovery, nothing SACKed or
     * lost, no probe outstanding, the peer's window open), the retransmission timer becomes the
     * probe timeout: 2·SRTT (plus the worst-case delayed ACK with one segment in flight; 1 s
     * without an RTT sample), at least {@link #MIN_PTO}, at most the RTO.
     */
    private void armProbe(Tcb t) {
        if (!t.sackOk || t.sndUna == t.sndMax || t.sndWnd == 0 || t.persist || t.rack.probeOut()
                || t.rack.hasSacked() || t.rack.hasLost() || t.cc.inRecovery() || !Seq.gt(t.sndUna, t.cc.recover())) {
            return;
        }
        long pto = 1_000_000_000L;
        if (t.rtt.hasSample()) {
            pto = 2 * t.rtt.srtt();
            if (t.sndMax - t.sndUna <= t.smss) {
                pto += Rack.WORST_CASE_DELAYED_ACK;
            }
        }
        pto = Math.min(Math.max(pto, MIN_PTO), t.rtt.rto());
        timers.schedule(t.timer, now + pto);
        t.probe = true;
    }

    /**
     * RFC 8985 §7.3, the probe timeout fired: send one new segment if the peer's window allows,
     * else retransmit the last one; then the retransmission timer takes over.
     */
    private void sendProbe(Tcb t) {
        t.probe = false;
        int dataEnd = t.dataEnd();
        int room = t.sndUna + t.sndWnd - t.sndNxt;
        int n = Math.min(Math.min(dataEnd - t.sndNxt, t.smss), room);
        if (n > 0) {
            if (sendNew(t, n, dataEnd) >= 0) {
                t.rack.probeSent(t.sndMax, false);
                tlpProbes++;
            }
        } else if (t.rack.last() >= 0) {
            int k = t.rack.last();
            int seq = Math.max(t.rack.start(k), t.rack.end(k) - t.smss - (t.rack.fin(k) ? 1 : 0));
            boolean fin = t.rack.fin(k);
            int data = t.rack.end(k) - seq - (fin ? 1 : 0);
            retransmits++;
            t.retransmittedSinceTiming = true;
            if (transmit(t, seq, data, TcpHeader.ACK | (fin ? TcpHeader.FIN : 0)) >= 0) {
                t.rack.probeSent(t.sndMax, true);
                tlpProbes++;
            }
        }
        armRto(t);
    }

    /** Retransmits the segment at SND.UNA (fast retransmit, partial ACK). */
    private void retransmitFirst(Tcb t) {
        int dataEnd = t.dataEnd();
        int n = Math.min(dataEnd - t.sndUna, t.smss);
        if (n < 0) {
            n = 0;
        }
        boolean fin = t.finQueued && t.sndUna + n == dataEnd && Seq.gt(t.sndMax, dataEnd);
        if (n == 0 && !fin) {
            return;
        }
        retransmits++;
        t.retransmittedSinceTiming = true;
        sendSegment(t, t.sndUna, n, TcpHeader.ACK | (fin ? TcpHeader.FIN : 0));
    }

    private void sendSyn(Tcb t) {
        Frame f = stack.allocate(txFrame);
        if (f == null) {
            return;
        }
        int o = NetStack.L4_OFFSET;
        boolean synAck = t.state == Tcb.SYN_RECEIVED;
        int optLen = TcpOptions.writeSyn(f, o + 20, ourMss(), t.sackOk, t.tsOk, tsNow(), synAck ? t.tsRecent : 0,
                t.wsOk ? rcvWindowShift : -1);
        int rwnd = Math.min(config.receiveBuffer(), 65535);
        t.rcvAdvEdge = t.rcvNxt + (synAck ? rwnd : 0);
        header(f, t, t.iss, synAck ? t.rcvNxt : 0, TcpHeader.SYN | (synAck ? TcpHeader.ACK : 0), rwnd, 20 + optLen);
        if (t.sndMax == t.iss) {
            t.rttStart = now;
        } else {
            t.synRetransmitted = true;
        }
        finishSend(f, t.remoteIp, 20 + optLen);
        t.sndNxt = t.iss + 1;
        if (Seq.gt(t.sndNxt, t.sndMax)) {
            t.sndMax = t.sndNxt;
        }
    }

    /**
     * One segment of up to {@code n} data bytes starting at {@code seq} (with {@code flags}),
     * ACKing RCV.NXT. The payload shrinks when SACK blocks need the room (RFC 9293 §3.7.1: the
     * MSS excludes options, so data + options stay within min(peer MSS + 20, MTU − 20) − 20);
     * then FIN and PSH are left for the rest.
     *
     * @return the data bytes sent, or -1 when no frame was available
     */
    private int sendSegment(Tcb t, int seq, int n, int flags) {
        if (n > 0) {
            int sent = sendInPlace(t, seq, n, flags);
            if (sent >= 0) {
                return sent;
            }
        }
        Frame f = stack.allocate(txFrame);
        if (f == null) {
            return -1;
        }
        int o = NetStack.L4_OFFSET;
        int optLen = dataOptions(f, t, o + 20);
        int hl = 20 + optLen;
        int room = Math.min(t.peerMss + 20, stack.mtu() - 20) - hl;
        if (n > room) {
            n = Math.max(room, 0);
            flags &= ~(TcpHeader.FIN | TcpHeader.PSH);
        }
        if (n > 0) {
            copyOut(t, seq - t.dataStart(), f, o + hl, n);
        }
        int win = window(t);
        t.lastAdvertised = win;
        t.rcvAdvEdge = t.rcvNxt + win;
        header(f, t, seq, t.rcvNxt, flags, win >> t.rcvShift, hl);
        t.ackSent = t.rcvNxt;
        finishSend(f, t.remoteIp, hl + n);
        acked(t);
        if (n > 0) {
            t.lastSend = now;
        }
        return n;
    }

    /**
     * Sends the data at {@code seq} from the frame it already lives in, when it is the whole of a
     * {@link #sendFrame} segment that fits in {@code n} and in one segment, and the NIC is not still
     * holding that frame from an earlier transmission: the headers go in front of the payload, the
     * frame gains a holder (the NIC's) and is queued. Otherwise -1, and the caller copies.
     */
    private int sendInPlace(Tcb t, int seq, int n, int flags) {
        long skip = (long) (seq - t.dataStart()) + t.headConsumed;
        int i = t.segHead;
        int k = 0;
        while (k < t.segCount && skip >= t.segLen[i]) {
            skip -= t.segLen[i];
            i = (i + 1) % t.segs.length;
            k++;
        }
        if (k == t.segCount || skip != 0 || t.segFrame[i] < 0 || t.segLen[i] > n) {
            return -1;
        }
        int frame = t.segFrame[i];
        FramePool pool = stack.pool();
        if (pool.holders(frame) != 1) {
            return -1; // still in the NIC's hands: a retransmission this soon is copied instead
        }
        int len = t.segLen[i];
        int payload = (int) (t.segOff[i] - pool.offset(frame));
        int o = NetStack.L4_OFFSET;
        // Options are written where the longest header would put them, then moved up to the payload.
        Frame f = txFrame.wrap(pool, frame, payload - o - 60, o + 60 + len);
        boolean dsack = t.dsack;
        int optLen = dataOptions(f, t, o + 20);
        int hl = 20 + optLen;
        if (len > Math.min(t.peerMss + 20, stack.mtu() - 20) - hl) {
            t.dsack = dsack; // SACK blocks left no room for the whole buffer: copy it, options and all
            return -1;
        }
        if (optLen > 0) {
            MemorySegment.copy(f.region(), f.base() + o + 20, f.region(), f.base() + o + 60 - optLen, optLen);
        }
        f = txFrame.wrap(pool, frame, payload - o - hl, o + hl + len);
        if (len < n) {
            flags &= ~TcpHeader.FIN; // more data follows this buffer
        }
        int win = window(t);
        t.lastAdvertised = win;
        t.rcvAdvEdge = t.rcvNxt + win;
        header(f, t, seq, t.rcvNxt, flags, win >> t.rcvShift, hl);
        t.ackSent = t.rcvNxt;
        pool.retain(frame); // the NIC's hold, given back when the transmission completes
        finishSend(f, t.remoteIp, hl + len);
        acked(t);
        t.lastSend = now;
        zeroCopySegments++;
        return len;
    }

    private void sendControl(Tcb t, int seq, int ack, int flags) {
        Frame f = stack.allocate(txFrame);
        if (f == null) {
            return;
        }
        int o = NetStack.L4_OFFSET;
        int hl = 20;
        int win = 0;
        if ((flags & TcpHeader.RST) == 0) {
            hl += dataOptions(f, t, o + 20);
            win = window(t);
            t.lastAdvertised = win;
            t.rcvAdvEdge = t.rcvNxt + win;
            acked(t);
            t.ackSent = ack;
        } else {
            resetsSent++;
        }
        header(f, t, seq, ack, flags, win >> t.rcvShift, hl);
        finishSend(f, t.remoteIp, hl);
    }

    private void acked(Tcb t) {
        t.ackNow = false;
        t.ackPending = false;
        t.segmentsUnacked = 0;
        timers.cancel(t.ackTimer);
    }

    /** TS and SACK options: a pending D-SACK block first (RFC 2883 §4), then the out-of-order runs. */
    private int dataOptions(Frame f, Tcb t, int pos) {
        int blocks = 0;
        int first = t.dsack ? 1 : 0;
        if (t.sackOk && !t.ooo.isEmpty()) {
            blocks = t.ooo.sackBlocks(t.rcvNxt, sackLeft, sackRight, TcpOptions.maxSackBlocks(t.tsOk) - first);
        }
        if (t.dsack) {
            System.arraycopy(sackLeft, 0, sackLeft, 1, blocks);
            System.arraycopy(sackRight, 0, sackRight, 1, blocks);
            sackLeft[0] = t.dsackLeft;
            sackRight[0] = t.dsackRight;
            blocks++;
            t.dsack = false;
        }
        if (!t.tsOk && blocks == 0) {
            return 0;
        }
        return TcpOptions.writeData(f, pos, t.tsOk, tsNow(), t.tsRecent, sackLeft, sackRight, blocks);
    }

    private void header(Frame f, Tcb t, int seq, int ack, int flags, int window, int hl) {
        out.wrap(f, NetStack.L4_OFFSET);
        out.sourcePort(t.localPort).destinationPort(t.remotePort).seq(seq).ack(ack).headerLength(hl).flags(flags)
                .window(Math.min(window, 65535)).urgentPointer(0);
    }

    private void finishSend(Frame f, int dstIp, int l4Length) {
        out.computeChecksum(ourIp(), dstIp, l4Length);
        segmentsOut++;
        stack.sendIpv4(f, NetStack.L4_OFFSET, l4Length, dstIp, TcpHeader.PROTOCOL);
    }

    /** Copies {@code n} bytes of queued application data starting {@code from} bytes after SND.UNA's data. */
    private void copyOut(Tcb t, long from, Frame f, int pos, int n) {
        long skip = from + t.headConsumed;
        int i = t.segHead;
        int k = 0;
        while (skip >= t.segLen[i]) {
            skip -= t.segLen[i];
            i = (i + 1) % t.segs.length;
            k++;
        }
        long dst = f.base() + pos;
        while (n > 0 && k < t.segCount) {
            int take = (int) Math.min(n, t.segLen[i] - skip);
            MemorySegment.copy(t.segs[i], t.segOff[i] + skip, f.region(), dst, take);
            dst += take;
            n -= take;
            skip = 0;
            i = (i + 1) % t.segs.length;
            k++;
        }
    }

    /** An RST for a segment that matched no connection (no TCB to speak of). */
    private void rawReset(int dstIp, int dstPort, int srcPort, int seq, int ack, int flags) {
        Frame f = stack.allocate(txFrame);
        if (f == null) {
            return;
        }
        out.wrap(f, NetStack.L4_OFFSET);
        out.sourcePort(srcPort).destinationPort(dstPort).seq(seq).ack(ack).headerLength(20).flags(flags).window(0)
                .urgentPointer(0);
        resetsSent++;
        finishSend(f, dstIp, 20);
    }

    /** The ACK RFC 9293 §3.10.7.4 sends for an unacceptable segment (and PAWS failures). */
    private void ackOutOfWindow(Tcb t) {
        if (t.state == Tcb.SYN_RECEIVED || t.state == Tcb.TIME_WAIT || t.state >= Tcb.ESTABLISHED) {
            challengeAck(t);
        }
    }

    /** A rate-limited ACK (RFC 5961 §7). */
    private void challengeAck(Tcb t) {
        if (now - challengeWindowStart >= 1_000_000_000L) {
            challengeWindowStart = now;
            challengeCount = 0;
        }
        if (challengeCount >= config.challengeAcksPerSecond()) {
            return;
        }
        challengeCount++;
        challengeAcks++;
        if (t.state == Tcb.SYN_RECEIVED) {
            sendSyn(t);
            return;
        }
        sendControl(t, t.sndMax, t.rcvNxt, TcpHeader.ACK);
    }

    // ================================================================ timers

    private void armRto(Tcb t) {
        timers.schedule(t.timer, now + t.rtt.rto());
        t.probe = false;
    }

    private void expired(int timer, long data) {
        Tcb t = tcbs[(int) (data >>> 2)];
        if (t.state == Tcb.CLOSED) {
            return;
        }
        if ((data & 3) == T_KEEP) {
            keepAliveExpired(t);
            return;
        }
        if ((data & 3) == T_ACK) {
            if (t.ackPending) {
                t.ackNow = true;
                output(t);
            }
            return;
        }
        if ((data & 3) == T_RACK) {
            if (t.sackOk && sending(t) && t.sndUna != t.sndMax) {
                detectLosses(t); // the reorder window has passed for a segment: RACK looks again
                output(t);
            }
            return;
        }
        switch (t.state) {
            case Tcb.TIME_WAIT -> release(t);
            case Tcb.SYN_SENT, Tcb.SYN_RECEIVED -> {
                if (++t.retries > config.synRetries()) {
                    if (t.passive && t.state == Tcb.SYN_RECEIVED) {
                        release(t);
                    } else {
                        finish(t, TcpEvents.TIMED_OUT);
                    }
                    return;
                }
                t.synRetransmitted = true;
                t.rtt.onTimeout();
                retransmits++;
                sendSyn(t);
                armRto(t);
            }
            default -> {
                if (t.persist) {
                    // zero-window probe: an ACK with an old sequence number the peer must answer (as Linux)
                    t.rtt.onTimeout();
                    sendControl(t, t.sndUna - 1, t.rcvNxt, TcpHeader.ACK);
                    timers.schedule(t.timer, now + t.rtt.rto());
                    return;
                }
                if (t.sndUna == t.sndMax) {
                    return;
                }
                if (t.probe) {
                    sendProbe(t);
                    return;
                }
                if (++t.retries > config.dataRetries()) {
                    sendControl(t, t.sndMax, 0, TcpHeader.RST);
                    finish(t, TcpEvents.TIMED_OUT);
                    return;
                }
                // RFC 6298 §5.4-5.6, RFC 5681 §3.1: back off, collapse cwnd, retransmit
                t.cc.onTimeout(t.sndMax - t.sndUna, t.sndMax, t.retries > 1);
                t.rtt.onTimeout();
                t.rttTiming = false;
                timeouts++;
                t.retransmittedSinceTiming = true;
                if (t.sackOk) {
                    // RFC 8985 §6.3: RACK marks what the timeout says is lost; SACKed data is not sent again
                    t.rack.timeout(now, t.rack.reoWnd(true, t.rtt.srtt()), t.retries > 1);
                    timers.cancel(t.rackTimer);
                } else {
                    retransmits++;
                    t.sndNxt = t.sndUna; // go back N
                }
                timers.cancel(t.timer);
                output(t);
                if (!timers.isPending(t.timer)) {
                    armRto(t);
                }
            }
        }
    }

    // ================================================================ slots

    private Tcb allocate(int localIp, int localPort, int remoteIp, int remotePort) {
        if (freeCount == 0) {
            return null;
        }
        Tcb t = tcbs[free[--freeCount]];
        if (!flows.put(FlowTable.key1(localIp, remoteIp), FlowTable.key2(localPort, remotePort), t.slot)) {
            free[freeCount++] = t.slot;
            return null;
        }
        t.generation++;
        t.localIp = localIp;
        t.localPort = localPort;
        t.remoteIp = remoteIp;
        t.remotePort = remotePort;
        t.appGone = false;
        t.closeRequested = false;
        t.finQueued = false;
        t.finReceived = false;
        t.iss = isns.isn(now, localIp, localPort, remoteIp, remotePort);
        t.sndUna = t.iss;
        t.sndNxt = t.iss;
        t.sndMax = t.iss;
        t.sndWnd = 0;
        t.maxSndWnd = 0;
        t.rcvNxt = 0;
        t.rcvAdvEdge = 0;
        t.unreturned = 0;
        t.retries = 0;
        t.synRetransmitted = false;
        t.rttTiming = false;
        t.rttStart = Long.MIN_VALUE;
        t.lastSend = 0;
        t.keepIdle = 0;
        t.persist = false;
        t.ackNow = false;
        t.ackPending = false;
        t.segmentsUnacked = 0;
        t.queued = 0;
        t.headConsumed = 0;
        t.segHead = 0;
        t.segCount = 0;
        t.heldHead = 0;
        t.heldCount = 0;
        t.tsRecent = 0;
        t.sndShift = 0;
        t.rcvShift = 0;
        t.smss = DEFAULT_MSS;
        t.peerMss = DEFAULT_MSS;
        t.rtt.reset();
        t.cc.reset(t.smss, t.iss);
        t.rack.reset(t.iss);
        t.probe = false;
        t.dsack = false;
        return t;
    }

    /** Ends the application's connection with {@code reason}, then frees the slot. */
    private void finish(Tcb t, int reason) {
        boolean tell = !t.appGone;
        int prior = t.state;
        long h = handle(t);
        release(t);
        if (tell) {
            if (prior == Tcb.SYN_SENT || (prior == Tcb.SYN_RECEIVED && !t.passive)) {
                events.connected(h, reason);
            } else {
                events.dead(h, reason);
            }
        }
    }

    private void release(Tcb t) {
        if (t.state == Tcb.CLOSED) {
            return;
        }
        if (t.state == Tcb.SYN_RECEIVED && t.passive) {
            embryonic[t.localPort]--;
        }
        flows.remove(FlowTable.key1(t.localIp, t.remoteIp), FlowTable.key2(t.localPort, t.remotePort));
        timers.cancel(t.timer);
        timers.cancel(t.ackTimer);
        timers.cancel(t.keepTimer);
        timers.cancel(t.rackTimer);
        t.keepIdle = 0;
        if (draining != t) {
            t.ooo.clear(); // else the drain in progress clears it when it returns
        }
        surrenderHeld(t);
        for (int k = 0; k < t.segCount; k++) {
            int i = (t.segHead + k) % t.segs.length;
            t.segs[i] = null;
            if (t.segFrame[i] >= 0) {
                stack.release(t.segFrame[i]);
                t.segFrame[i] = -1;
            }
        }
        t.segCount = 0;
        t.state = Tcb.CLOSED;
        t.appGone = true;
        free[freeCount++] = t.slot;
    }

    /** Frees the received frames the application has not returned, unless it adopts them (before its dead event). */
    private void surrenderHeld(Tcb t) {
        long h = handle(t);
        while (t.heldCount > 0) {
            int frame = t.heldFrame[t.heldHead];
            if (t.appGone || !events.adopt(h, frame)) {
                stack.release(frame);
            }
            t.heldHead = (t.heldHead + 1) % t.heldFrame.length;
            t.heldCount--;
        }
        t.unreturned = 0;
    }

    private Tcb tcb(long conn) {
        int slot = (int) conn;
        if (conn < 0 || slot >= tcbs.length) {
            throw new IllegalArgumentException("bad connection handle " + conn);
        }
        Tcb t = tcbs[slot];
        if (t.generation != (int) (conn >>> 32) || t.state == Tcb.CLOSED || t.appGone) {
            throw new IllegalStateException("stale connection handle " + conn);
        }
        return t;
    }

    private static long handle(Tcb t) {
        return (long) t.generation << 32 | t.slot;
    }

    /** The layer's time (the last poll or receive), for congestion control. */
    private long clock() {
        return now;
    }

    private int tsNow() {
        return (int) (now / RttEstimator.DEFAULT_TS_TICK_NANOS);
    }

    private int ourIp() {
        return stack.address();
    }

    private int ourMss() {
        return stack.mtu() - 40;
    }

    private static void checkPort(int port) {
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port);
        }
    }
}
