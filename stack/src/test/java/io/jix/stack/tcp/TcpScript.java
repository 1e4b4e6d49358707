package io.jix.stack.tcp;

import io.jix.stack.NetStack;
import io.jix.stack.ip.Ipv4;
import io.jix.stack.link.Peer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one conformance script (packetdrill in spirit) against one {@link NetStack} + {@link TcpLayer}
 * on a wire whose other end the script drives, with a virtual clock.
 *
 * <p>Lines: {@code <time> <what>}, time absolute seconds or {@code +delta}; {@code //} comments.
 * <ul>
 *   <li>{@code < FLAGS seq:end(len) [ack A] [win W] [<options>]}: the peer sends a segment.
 *   <li>{@code > FLAGS seq:end(len) [ack A] [win W] [<options>]}: the stack must send exactly this
 *       next (within {@link #TOLERANCE_NANOS} of the time); window and options are checked only
 *       when given, {@code *} matches anything.
 *   <li>{@code app listen P [BACKLOG] | connect P | send N [TAKEN] | recvDone N | close | abort
 *       | keepalive IDLE INTERVAL PROBES | port P | peerport P}: application calls ({@code port}
 *       sets the local port segments go to without listening, {@code peerport} the peer's port).
 *   <li>{@code app expect EVENT [ARG]}: the event happened (events before it are skipped);
 *       {@code app noevent EVENT [ARG]}: it has not; {@code app state NAME}: the connection's
 *       state (RFC 9293 names). Events: {@code accepted}, {@code connected S}, {@code recv N},
 *       {@code eof}, {@code sent N}, {@code dead R}.
 * </ul>
 * Any segment the stack sends that no {@code >} line expects fails the script. Directives
 * ({@code //! nagle}, {@code //! rcvbuf N}) change the {@link TcpConfig} (see
 * {@link TcpConformanceTest#config(List)}).
 * Flags: {@code S F R P} and {@code .} for ACK. Sequence numbers as packetdrill: the peer's are
 * absolute (its ISN is what the script says), ours are relative to the stack's ISN; so inbound
 * {@code ack} and inbound SACK blocks are relative, outbound {@code ack} and SACK blocks absolute.
 * Options: {@code mss N, sackOK, TS val V ecr E, nop, wscale N, sack L:R ...}; an inbound
 * {@code ecr *} echoes the last TSval the stack sent.
 */
final class TcpScript {

    static final long TOLERANCE_NANOS = 5_000_000L;
    static final int PEER_PORT = 40000;
    private static final long STEP = 1_000_000L;
    private static final long BASE = 1_000_000_000L;

    private final String name;
    private final Peer peer;
    private final TcpLayer tcp;
    private final List<String> events = new ArrayList<>();
    private final ArrayDeque<long[]> capturedTimes = new ArrayDeque<>();
    private final ArrayDeque<byte[]> captured = new ArrayDeque<>();
    private long conn = -1;
    private int peerPort = PEER_PORT;
    private int localPort;
    private int iss;
    private boolean issKnown;
    private int lastTsVal;
    private final MemorySegment sendData = MemorySegment.ofArray(new byte[1 << 20]);
    private long sendOffset;
    private int lineNo;

    TcpScript(String name, TcpConfig config) {
        this.name = name;
        peer = new Peer(b -> b);
        peer.stack.addStaticArp(Ipv4.parse("198.18.0.2"), Peer.PEER_MAC);
        TcpEvents sink = new TcpEvents() {
            @Override
            public void accepted(long c, int lp, int rip, int rp) {
                conn = c;
                events.add("accepted");
            }

            @Override
            public void connected(long c, int status) {
                events.add("connected " + status);
            }

            @Override
            public void recv(long c, MemorySegment region, long offset, int length) {
                events.add("recv " + length);
                if (echo) {
                    // Answer from inside the event, by reference to the received bytes, as a dataplane app does.
                    tcp.send(c, region, offset, length);
                }
            }

            @Override
            public void eof(long c) {
                events.add("eof");
            }

            @Override
            public void sent(long c, int bytes) {
                events.add("sent " + bytes);
            }

            @Override
            public void dead(long c, int reason) {
                events.add("dead " + reason);
            }
        };
        tcp = new TcpLayer(peer.stack, config, sink, new IsnGenerator(11, 22), new SynCookies(33, 44));
        for (int i = 0; i < (int) sendData.byteSize(); i++) {
            sendData.set(ValueLayout.JAVA_BYTE, i, (byte) i);
        }
    }

    void run(List<String> lines) {
        double last = 0;
        try {
            for (String raw : lines) {
                lineNo++;
                String line = raw.strip();
                int c = line.indexOf("//");
                if (c >= 0) {
                    line = line.substring(0, c).strip();
                }
                if (line.isEmpty()) {
                    continue;
                }
                String[] p = line.split("\\s+", 2);
                double t = p[0].startsWith("+") ? last + Double.parseDouble(p[0].substring(1))
                        : Double.parseDouble(p[0]);
                last = t;
                long at = BASE + Math.round(t * 1e9);
                String rest = p[1];
                if (rest.startsWith("<")) {
                    advance(at);
                    noUnexpected();
                    inject(rest.substring(1).strip());
                } else if (rest.startsWith(">")) {
                    expect(at, rest.substring(1).strip());
                } else if (rest.startsWith("app ")) {
                    advance(at);
                    noUnexpected();
                    app(rest.substring(4).strip());
                } else {
                    throw fail("cannot parse");
                }
            }
            noUnexpected();
        } finally {
            peer.close();
        }
    }

    private AssertionError fail(String what) {
        return new AssertionError(name + ":" + lineNo + ": " + what);
    }

    // ---------------------------------------------------------------- clock

    private void step(long to) {
        peer.now = to;
        peer.stack.poll(to);
        tcp.poll(to);
        collect();
    }

    private void advance(long to) {
        while (peer.now < to) {
            step(Math.min(peer.now + STEP, to));
        }
    }

    private void collect() {
        for (byte[] f : peer.received()) {
            if (f.length < 34 || Peer.u16(f, 12) != 0x0800 || f[23] != 6) {
                continue;
            }
            captured.add(f);
            capturedTimes.add(new long[] {peer.now});
        }
    }

    private void noUnexpected() {
        if (!captured.isEmpty()) {
            throw fail("unexpected segment from the stack: " + describe(captured.peek()));
        }
    }

    // ---------------------------------------------------------------- app

    private boolean echo;

    private void app(String cmd) {
        String[] a = cmd.split("\\s+");
        switch (a[0]) {
            case "listen" -> {
                localPort = Integer.parseInt(a[1]);
                tcp.listen(localPort, a.length > 2 ? Integer.parseInt(a[2]) : 16);
            }
            case "port" -> localPort = Integer.parseInt(a[1]);
            case "echo" -> echo = true; // from now on every recv is sent back from inside the event
            case "peerport" -> peerPort = Integer.parseInt(a[1]);
            case "connect" -> {
                peerPort = Integer.parseInt(a[1]);
                conn = tcp.connect(Ipv4.parse("198.18.0.2"), peerPort);
            }
            case "send" -> {
                int n = Integer.parseInt(a[1]);
                int took = tcp.send(conn, sendData, sendOffset, n);
                sendOffset += took;
                if (a.length > 2 && took != Integer.parseInt(a[2])) {
                    throw fail("send took " + took);
                }
            }
            case "keepalive" -> tcp.keepAlive(conn, Math.round(Double.parseDouble(a[1]) * 1e9),
                    Math.round(Double.parseDouble(a[2]) * 1e9), Integer.parseInt(a[3]));
            case "recvDone" -> tcp.recvDone(conn, Integer.parseInt(a[1]));
            case "close" -> tcp.close(conn);
            case "abort" -> tcp.abort(conn);
            case "state" -> {
                String s = tcp.state(conn);
                if (!s.equals(a[1])) {
                    throw fail("state " + s + ", expected " + a[1]);
                }
            }
            case "expect" -> {
                String want = cmd.substring("expect".length()).strip();
                int i = events.indexOf(want);
                if (i < 0) {
                    throw fail("no event '" + want + "' in " + events);
                }
                events.subList(0, i + 1).clear();
            }
            case "noevent" -> {
                String want = cmd.substring("noevent".length()).strip();
                if (events.contains(want)) {
                    throw fail("unexpected event '" + want + "' in " + events);
                }
            }
            default -> throw fail("unknown app command " + a[0]);
        }
        tcp.poll(peer.now);
        collect();
    }

    // ---------------------------------------------------------------- segments

    /** A parsed segment line. */
    private static final class Seg {
        int flags;
        String seq;
        String end;
        int len;
        String ack;
        String win;
        List<String[]> options;
    }

    private Seg parse(String s) {
        Seg g = new Seg();
        String optText = null;
        int lt = s.indexOf('<');
        if (lt >= 0) {
            int gt = s.lastIndexOf('>');
            optText = s.substring(lt + 1, gt).strip();
            s = s.substring(0, lt).strip();
        }
        String[] t = s.split("\\s+");
        for (char ch : t[0].toCharArray()) {
            g.flags |= switch (ch) {
                case 'S' -> 0x02;
                case 'F' -> 0x01;
                case 'R' -> 0x04;
                case 'P' -> 0x08;
                case '.' -> 0x10;
                default -> throw fail("flag " + ch);
            };
        }
        String range = t[1];
        int colon = range.indexOf(':');
        int paren = range.indexOf('(');
        g.seq = range.substring(0, colon);
        g.end = range.substring(colon + 1, paren);
        g.len = Integer.parseInt(range.substring(paren + 1, range.indexOf(')')));
        for (int i = 2; i < t.length; i += 2) {
            switch (t[i]) {
                case "ack" -> g.ack = t[i + 1];
                case "win" -> g.win = t[i + 1];
                default -> throw fail("word " + t[i]);
            }
        }
        if (optText != null) {
            g.options = new ArrayList<>();
            if (!optText.isEmpty()) {
                for (String o : optText.split(",")) {
                    g.options.add(o.strip().split("\\s+"));
                }
            }
        }
        return g;
    }

    private void inject(String s) {
        Seg g = parse(s);
        int seq = (int) Long.parseLong(g.seq);
        int ack = g.ack == null ? 0 : (int) Long.parseLong(g.ack) + iss;
        ByteBuffer o = ByteBuffer.allocate(60);
        if (g.options != null) {
            for (String[] op : g.options) {
                switch (op[0]) {
                    case "nop" -> o.put((byte) 1);
                    case "eol" -> o.put((byte) 0);
                    case "mss" -> o.put((byte) 2).put((byte) 4).putShort((short) Integer.parseInt(op[1]));
                    case "wscale" -> o.put((byte) 3).put((byte) 3).put((byte) Integer.parseInt(op[1]));
                    case "sackOK" -> o.put((byte) 4).put((byte) 2);
                    case "TS" -> {
                        o.put((byte) 8).put((byte) 10).putInt((int) Long.parseLong(op[2]));
                        o.putInt(op[4].equals("*") ? lastTsVal : (int) Long.parseLong(op[4]));
                    }
                    case "sack" -> {
                        o.put((byte) 5).put((byte) (2 + 8 * (op.length - 1)));
                        for (int k = 1; k < op.length; k++) {
                            String[] lr = op[k].split(":");
                            o.putInt((int) Long.parseLong(lr[0]) + iss).putInt((int) Long.parseLong(lr[1]) + iss);
                        }
                    }
                    default -> throw fail("option " + op[0]);
                }
            }
        }
        while (o.position() % 4 != 0) {
            o.put((byte) 0);
        }
        int hl = 20 + o.position();
        byte[] l4 = new byte[hl + g.len];
        ByteBuffer b = ByteBuffer.wrap(l4);
        b.putShort((short) peerPort).putShort((short) localPort).putInt(seq).putInt(ack);
        b.put((byte) (hl / 4 << 4)).put((byte) g.flags);
        b.putShort((short) (g.win == null ? 65535 : Integer.parseInt(g.win))).putShort((short) 0).putShort((short) 0);
        b.put(o.array(), 0, o.position());
        for (int i = 0; i < g.len; i++) {
            l4[hl + i] = (byte) ('a' + i % 26);
        }
        int sum = Peer.checksum(l4, 0, l4.length, Peer.pseudo(Peer.PEER_IP, Peer.STACK_IP, 6, l4.length));
        l4[16] = (byte) (sum >> 8);
        l4[17] = (byte) sum;
        peer.send(Peer.ipv4(6, l4));
        peer.stack.poll(peer.now);
        tcp.poll(peer.now);
        collect();
    }

    private void expect(long at, String s) {
        while (captured.isEmpty() && peer.now < at + TOLERANCE_NANOS) {
            step(peer.now + STEP);
        }
        if (captured.isEmpty()) {
            throw fail("expected " + s + " by " + (at - BASE) / 1e9 + " s, the stack sent nothing");
        }
        byte[] f = captured.poll();
        long when = capturedTimes.poll()[0];
        if (Math.abs(when - at) > TOLERANCE_NANOS) {
            throw fail("segment " + describe(f) + " at " + (when - BASE) / 1e9 + " s, expected at " + (at - BASE) / 1e9);
        }
        Seg g = parse(s);
        int l4 = 14 + (f[14] & 15) * 4;
        int totalIp = Peer.u16(f, 16);
        int hl = ((f[l4 + 12] & 0xff) >> 4) * 4;
        int dataLen = totalIp - (f[14] & 15) * 4 - hl;
        int flags = f[l4 + 13] & 0xff;
        int seq = ByteBuffer.wrap(f).getInt(l4 + 4);
        int ack = ByteBuffer.wrap(f).getInt(l4 + 8);
        int win = Peer.u16(f, l4 + 14);
        if ((flags & 0x02) != 0) {
            iss = seq;
            issKnown = true;
            localPort = Peer.u16(f, l4);
        }
        String got = describe(f);
        if (flags != g.flags) {
            throw fail("flags differ: got " + got + ", expected " + s);
        }
        if (!g.seq.equals("*") && seq - iss != (int) Long.parseLong(g.seq)) {
            throw fail("seq differs: got " + got + ", expected " + s);
        }
        if (dataLen != g.len) {
            throw fail("length differs: got " + got + ", expected " + s);
        }
        if (g.ack != null && !g.ack.equals("*") && ack != (int) Long.parseLong(g.ack)) {
            throw fail("ack differs: got " + got + ", expected " + s);
        }
        if (g.ack == null && (flags & 0x10) != 0) {
            throw fail("unexpected ACK field: got " + got + ", expected " + s);
        }
        if (g.win != null && !g.win.equals("*") && win != Integer.parseInt(g.win)) {
            throw fail("window differs: got " + got + ", expected " + s);
        }
        List<String> opts = options(f, l4 + 20, hl - 20);
        if (g.options != null) {
            List<String[]> want = new ArrayList<>();
            for (String[] w : g.options) {
                if (!w[0].equals("nop")) {
                    want.add(w);
                }
            }
            boolean same = want.size() == opts.size();
            for (int i = 0; same && i < want.size(); i++) {
                String[] gw = opts.get(i).split(" ");
                String[] ww = want.get(i);
                same = gw.length == ww.length;
                for (int k = 0; same && k < ww.length; k++) {
                    same = ww[k].equals("*") || ww[k].equals(gw[k]);
                }
            }
            if (!same) {
                throw fail("options differ: got " + opts + ", expected " + s);
            }
        }
    }

    /** Options as words, NOPs left out; records the TSval. */
    private List<String> options(byte[] f, int at, int len) {
        List<String> out = new ArrayList<>();
        int end = at + len;
        while (at < end) {
            int kind = f[at] & 0xff;
            if (kind == 0) {
                break;
            }
            if (kind == 1) {
                at++;
                continue;
            }
            int l = f[at + 1] & 0xff;
            ByteBuffer b = ByteBuffer.wrap(f);
            switch (kind) {
                case 2 -> out.add("mss " + Peer.u16(f, at + 2));
                case 3 -> out.add("wscale " + (f[at + 2] & 0xff));
                case 4 -> out.add("sackOK");
                case 8 -> {
                    lastTsVal = b.getInt(at + 2);
                    out.add("TS val " + Integer.toUnsignedString(lastTsVal) + " ecr "
                            + Integer.toUnsignedString(b.getInt(at + 6)));
                }
                case 5 -> {
                    StringBuilder sb = new StringBuilder("sack");
                    for (int k = at + 2; k + 8 <= at + l; k += 8) {
                        sb.append(' ').append(Integer.toUnsignedString(b.getInt(k))).append(':')
                                .append(Integer.toUnsignedString(b.getInt(k + 4)));
                    }
                    out.add(sb.toString());
                }
                default -> out.add("kind" + kind);
            }
            at += Math.max(l, 2);
        }
        return out;
    }

    private String describe(byte[] f) {
        int l4 = 14 + (f[14] & 15) * 4;
        int hl = ((f[l4 + 12] & 0xff) >> 4) * 4;
        int dataLen = Peer.u16(f, 16) - (f[14] & 15) * 4 - hl;
        int flags = f[l4 + 13] & 0xff;
        StringBuilder s = new StringBuilder();
        s.append((flags & 2) != 0 ? "S" : "").append((flags & 1) != 0 ? "F" : "").append((flags & 4) != 0 ? "R" : "")
                .append((flags & 8) != 0 ? "P" : "").append((flags & 16) != 0 ? "." : "");
        int seq = ByteBuffer.wrap(f).getInt(l4 + 4) - (issKnown ? iss : 0);
        s.append(' ').append(Integer.toUnsignedString(seq)).append(':')
                .append(Integer.toUnsignedString(seq + dataLen)).append('(').append(dataLen).append(')');
        if ((flags & 16) != 0) {
            s.append(" ack ").append(Integer.toUnsignedString(ByteBuffer.wrap(f).getInt(l4 + 8)));
        }
        s.append(" win ").append(Peer.u16(f, l4 + 14));
        s.append(" <").append(String.join(",", options(f, l4 + 20, hl - 20))).append('>');
        return s.toString();
    }
}
