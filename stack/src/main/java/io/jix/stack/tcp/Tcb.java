package io.jix.stack.tcp;

import java.lang.foreign.MemorySegment;
import java.util.function.LongSupplier;

/**
 * One connection's control block (RFC 9293 §3.3.1), preallocated per slot of a {@link TcpLayer}
 * and reused: every array is sized once from {@link TcpConfig}, so steady state allocates nothing.
 */
final class Tcb {

    static final int CLOSED = 0;
    static final int LISTEN = 1; // not used for a slot: listeners are ports
    static final int SYN_SENT = 2;
    static final int SYN_RECEIVED = 3;
    static final int ESTABLISHED = 4;
    static final int FIN_WAIT_1 = 5;
    static final int FIN_WAIT_2 = 6;
    static final int CLOSE_WAIT = 7;
    static final int CLOSING = 8;
    static final int LAST_ACK = 9;
    static final int TIME_WAIT = 10;

    static final String[] NAMES = {"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
        "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"};

    final int slot;
    int generation;
    int state;
    boolean passive;
    boolean appGone; // dead event delivered; the slot lingers (TIME-WAIT) or is freed
    boolean closeRequested;

    int localIp;
    int localPort;
    int remoteIp;
    int remotePort;

    // send sequence space
    int iss;
    int sndUna;
    int sndNxt;
    int sndMax;      // RFC 9293's SND.NXT: sndNxt is rewound to SND.UNA by a timeout (go-back-N), sndMax never
    int sndWnd;      // bytes, already scaled
    int maxSndWnd;
    int sndWl1;
    int sndWl2;
    int sndShift;    // peer's window scale
    int smss;        // payload bytes per segment (options excluded)
    int peerMss;     // the peer's MSS option (536 when absent)

    // receive sequence space
    int irs;
    int rcvNxt;
    int rcvAdvEdge;  // right edge we advertised (never moved left)
    int rcvShift;    // our window scale
    long unreturned; // bytes delivered, not yet recvDone

    boolean tsOk;
    boolean sackOk;
    boolean wsOk;
    int tsRecent;
    boolean finReceived;

    // retransmission
    int timer = -1;     // RTO / persist / TIME-WAIT / SYN
    int ackTimer = -1;  // delayed ACK
    int keepTimer = -1; // keep-alive
    long keepIdle;      // 0: keep-alive off
    long keepInterval;
    int keepProbes;
    int keepSent;
    long lastSend;      // when data was last sent (RFC 5681 §4.1 restart after idle)
    int retries;
    boolean synRetransmitted;
    boolean rttTiming;
    int rttSeq;
    long rttStart;
    boolean retransmittedSinceTiming;
    boolean persist;
    int segmentsUnacked; // full segments received since our last ACK
    boolean ackNow;
    boolean ackPending;
    int ackSent; // the acknowledgment number of the last segment we sent
    int lastAdvertised;
    final RttEstimator rtt = new RttEstimator();
    final LossRecovery cc; // NewReno or Cubic per TcpConfig, made once with the slot
    final Rack rack;    // RACK-TLP loss detection (SACK connections)
    int rackTimer = -1; // RACK's reorder timer
    boolean probe;      // the retransmission timer is armed as the tail loss probe's PTO
    boolean dsack;   // RFC 2883: a duplicate to report in the next ACK's first SACK block
    int dsackLeft;
    int dsackRight;

    // application send queue: referenced segments, first one starting at sndUna (after the SYN)
    final MemorySegment[] segs;
    final long[] segOff;
    final int[] segLen;
    final int[] segFrame; // the pool frame the segment lives in (sendFrame), or -1 for the application's memory
    int segHead;
    int segCount;
    long queued;       // unacknowledged + unsent application bytes
    int headConsumed;  // bytes of the head segment already acknowledged
    boolean finQueued; // close() asked for a FIN after the data

    // received frames the application holds: frame ids and bytes not yet returned
    final int[] heldFrame;
    final int[] heldLeft;
    int heldHead;
    int heldCount;

    final ReassemblyQueue ooo;

    /** @param clock the layer's current time, for {@link Cubic}'s epochs */
    Tcb(int slot, TcpConfig config, ReassemblyQueue.Releaser releaser, LongSupplier clock) {
        this.slot = slot;
        cc = switch (config.congestionControl()) {
            case NEW_RENO -> new NewReno();
            case CUBIC -> new Cubic(clock, rtt);
        };
        segs = new MemorySegment[config.sendSegments()];
        segOff = new long[config.sendSegments()];
        segLen = new int[config.sendSegments()];
        segFrame = new int[config.sendSegments()];
        // A slot per frame the application holds: enough for a full window of 256-byte segments.
        // Smaller ones meet this limit first; the window then offers only what free slots can take,
        // and a segment beyond them is dropped and retransmitted. (Sized for 64-byte segments it
        // was ~33 KB per connection block — most of a 1.6 GB heap with -c 4096 on two queues.)
        int held = config.receiveBuffer() / 256 + config.oooSegments() + 8;
        heldFrame = new int[held];
        heldLeft = new int[held];
        // a record per segment in flight: the send buffer in 512-byte segments plus one per application segment (capped)
        rack = new Rack((int) Math.min(config.sendBuffer() / 512L + config.sendSegments() + 8, 8192));
        ooo = new ReassemblyQueue(config.oooSegments(), config.receiveBuffer(), releaser);
    }

    /** Data sequence number of the first unacknowledged application byte. */
    int dataStart() {
        return sndUna + (state == SYN_SENT || state == SYN_RECEIVED ? 1 : 0);
    }

    /** Sequence number just past the queued application data. */
    int dataEnd() {
        return dataStart() + (int) queued;
    }

    @Override
    public String toString() {
        return "tcb " + slot + " " + NAMES[state] + " una " + sndUna + " nxt " + sndNxt + " rcv " + rcvNxt;
    }
}
