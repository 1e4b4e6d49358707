package io.jix.stack;

import io.jix.nic.Frame;
import io.jix.nic.FrameBurst;
import io.jix.nic.FramePool;
import io.jix.nic.NicQueue;
import io.jix.stack.ip.Ipv4;
import io.jix.stack.ip.Reassembly;
import io.jix.stack.link.ArpCache;
import io.jix.stack.link.Ethernet;
import io.jix.stack.udp.UdpHandler;
import java.util.Arrays;

/**
 * One elastic thread's TCP/IP stack over one {@link NicQueue}: Ethernet II, ARP, IPv4 with
 * reassembly, ICMP, UDP sockets, and the hook transports (TCP) plug into. Single-threaded, no
 * locks, and no allocation per packet once warm.
 *
 * <h2>Addressing</h2>
 * Transport code sees addresses as plain {@code int} IPv4 addresses (big-endian octets) in
 * {@link TransportHandler} and {@link UdpHandler} and passes the same to the send calls; it never
 * builds an address object. IPv6 will be added as a second family with its own handler methods
 * (default methods on the same interfaces, addresses as a reusable flyweight of four words), its
 * own flow table and its own send call, so IPv4 transport code keeps working unchanged.
 *
 * <h2>Receiving</h2>
 * {@link #poll(long)} reclaims sent frames, receives up to {@code batch} frames and runs each to
 * completion (Ethernet, ARP or IPv4, then ICMP, UDP or a registered transport), runs the ARP and
 * reassembly timers, and hands queued frames to the NIC. Every frame that is dropped is counted
 * by reason in {@link #counters()}; no input makes {@code poll} throw.
 * <ul>
 * <li>Ethernet: frames for our MAC or broadcast; other ethertypes, multicast and VLAN-tagged
 *     frames are dropped.</li>
 * <li>ARP (RFC 826): requests for our address are answered; a sender already in the cache is
 *     updated by any ARP packet, a sender asking for us is learned; static entries never change.
 *     An on-link IPv4 sender is also learned from its Ethernet source when it has no entry or its
 *     entry is resolving (one stack per queue: the ARP answer may reach another queue's stack).</li>
 * <li>IPv4 (RFC 791, RFC 1122 3.2.1): version, IHL, total length (padding trimmed) and header
 *     checksum are checked; sources that are zero, broadcast, multicast, loopback or our own are
 *     dropped; accepted destinations are our address, 255.255.255.255 and our subnet's broadcast.
 *     TTL is not checked on receive (RFC 1122: a host must not drop a datagram for a TTL below 2).
 *     Options are walked and skipped; malformed ones drop the packet, and so do source-route
 *     options (LSRR, SSRR), which jix does not honour (as Linux's {@code accept_source_route=0}).</li>
 * <li>Fragments are reassembled ({@link Reassembly}) with {@code reassemblyContexts} datagrams
 *     in progress at most, each into one pool frame (so at most a frame's room minus 34 bytes of
 *     payload), each dropped with a counter after {@code reassemblyNanos}; no ICMP time-exceeded
 *     is sent.</li>
 * <li>ICMP (RFC 792): echo requests to our unicast address are answered in place (options are
 *     not echoed); errors are handed to the transport of the quoted packet. Port unreachable
 *     (closed UDP port) and protocol unreachable (no transport) are sent through a token bucket,
 *     never for broadcasts, bad sources or ICMP messages.</li>
 * <li>UDP (RFC 768): length and checksum (unless {@code rxChecksumVerified}) checked; a zero
 *     checksum means none was sent.</li>
 * </ul>
 *
 * <h2>Sending (the transport output API)</h2>
 * {@link #allocate(Frame)} wraps a fresh frame with its data at the driver's headroom: the
 * transport writes its header and payload at {@link #L4_OFFSET} and calls {@link #sendIpv4}.
 * The stack writes the IPv4 header (no options, DF set, a per-stack identification counter),
 * routes (on-link, or the gateway), resolves the next hop through ARP, writes the Ethernet header
 * and queues the frame for the NIC; while the next hop resolves the frame is held on its ARP
 * entry (bounded per entry and in total) and released in order on the answer, or dropped with a
 * counter after {@code arpTries} unanswered requests. A frame given to {@code sendIpv4} is the
 * stack's from then on, whatever the outcome. A received frame can be sent back in place the same
 * way (the IPv4 header goes right before the transport header).
 */
public final class NetStack {

    /** Where the transport header starts in a frame from {@link #allocate(Frame)}: Ethernet + IPv4. */
    public static final int L4_OFFSET = Ethernet.HEADER + Ipv4.HEADER;
    /** Where a UDP payload starts in a frame from {@link #allocate(Frame)}. */
    public static final int UDP_PAYLOAD_OFFSET = L4_OFFSET + 8;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long TICK_NANOS = 1_000_000L;
    private static final long KIND_ARP = 1L << 32;
    private static final long KIND_REASM = 2L << 32;

    private final NicQueue queue;
    private final FramePool pool;
    private final int headroom;
    private final NetStackConfig config;
    private final long ourMac;
    private final int ourIp;
    private final int netmask;
    private final int subnetBroadcast;
    private final StackCounters counters = new StackCounters();

    private final FrameBurst rxBurst;
    private final FrameBurst txBurst;
    private final Frame rx = new Frame();
    private final Frame tx = new Frame();
    private final Frame aux = new Frame();
    private final Frame reasmFrame = new Frame();

    private final ArpCache arp;
    private final Reassembly reassembly;
    private final TimerWheel timers;
    private final TimerWheel.Expiry onTimer = this::expired;

    private final TransportHandler[] transports = new TransportHandler[256];
    private TransportHandler[] polled = new TransportHandler[0]; // each registered handler once
    private final UdpHandler[] udp = new UdpHandler[65536];

    private long now;
    private boolean announced;
    private boolean flushDeferred;
    private ArpListener arpListener = (address, mac) -> { };
    private int ipIdent;
    private long icmpTokens;      // in units of 1/NANOS_PER_SECOND of a token
    private long icmpRefilledAt;

    // The received frame being processed, and whether it has been sent, released or kept.
    private int current = -1;
    private boolean consumed;

    /**
     * A stack over {@code queue}, which it polls from now on (one owner thread).
     *
     * @param nowNanos the clock reading at start (the same clock as later {@link #poll} calls)
     */
    public NetStack(NicQueue queue, NetStackConfig config, long nowNanos) {
        this.queue = queue;
        this.pool = queue.pool();
        this.headroom = queue.headroom();
        this.config = config;
        this.ourMac = config.mac();
        this.ourIp = config.address();
        this.netmask = Ipv4.mask(config.prefix());
        this.subnetBroadcast = config.prefix() >= 31 ? Ipv4.LIMITED_BROADCAST : ourIp | ~netmask;
        this.rxBurst = new FrameBurst(config.batch());
        this.txBurst = new FrameBurst(Math.max(256, 4 * config.batch()));
        this.arp = new ArpCache(config.arpEntries(), config.arpHoldPerEntry(), config.arpHoldTotal());
        int room = pool.frameSize() - headroom - Reassembly.PAYLOAD;
        this.reassembly = new Reassembly(config.reassemblyContexts(), Math.min(room, 65535 - Ipv4.HEADER));
        this.timers = new TimerWheel(config.arpEntries() + config.reassemblyContexts() + 1, TICK_NANOS, nowNanos);
        this.now = nowNanos;
        this.icmpRefilledAt = nowNanos;
        this.icmpTokens = (long) config.icmpErrorBurst() * NANOS_PER_SECOND;
    }

    // ------------------------------------------------------------------ the loop

    /**
     * One round: reclaim sent frames, receive and process up to a batch, run due timers, let
     * each registered transport run its own ({@link TransportHandler#poll}), hand queued frames to
     * the NIC. Never waits.
     *
     * @return frames received
     */
    public int poll(long nowNanos) {
        now = nowNanos;
        if (!announced) {
            announced = true;
            if (config.gratuitousArp()) {
                announce();
            }
        }
        queue.reclaim();
        rxBurst.clear();
        int n = queue.receive(rxBurst, config.batch());
        counters.add(StackCounter.RX_FRAMES, n);
        for (int i = 0; i < n; i++) {
            process(rxBurst.frame(i), rxBurst.offset(i), rxBurst.length(i));
        }
        timers.advance(nowNanos, onTimer);
        for (TransportHandler h : polled) {
            h.poll(this, nowNanos);
        }
        flush();
        return n;
    }

    /**
     * Hands queued frames to the NIC; those the ring has no room for stay queued for the next flush.
     * Does nothing while flushing is deferred ({@link #deferFlush}).
     */
    public void flush() {
        if (!flushDeferred) {
            transmitQueued();
        }
    }

    /**
     * Defers {@link #flush} (called by the protocol layers after each output) to the owner, which
     * then calls {@link #transmitQueued} once per loop iteration: one ring kick for all the frames a
     * batch produced, as IX transmits at the end of each run to completion.
     */
    public void deferFlush(boolean defer) {
        this.flushDeferred = defer;
    }

    /** Hands every queued frame the NIC ring has room for to the NIC now, deferred or not. */
    public void transmitQueued() {
        if (txBurst.count() > 0) {
            queue.transmit(txBurst);
        }
    }

    /** Sends a gratuitous ARP request announcing our address (done at the first poll unless configured off). */
    public void announce() {
        sendArpRequest(ourIp, Ethernet.BROADCAST);
    }

    private void process(int id, int offset, int length) {
        current = id;
        consumed = false;
        try {
            rx.wrap(pool, id, offset, length);
            ethernet(rx);
        } catch (IndexOutOfBoundsException e) {
            counters.increment(StackCounter.MALFORMED);
        } catch (RuntimeException e) {
            counters.increment(StackCounter.HANDLER_FAILED);
        }
        if (!consumed) {
            pool.release(id);
        }
        current = -1;
    }

    // ------------------------------------------------------------------ Ethernet

    private void ethernet(Frame f) {
        if (f.length() < Ethernet.HEADER) {
            counters.increment(StackCounter.ETH_TRUNCATED);
            return;
        }
        long dst = Ethernet.mac(f, 0);
        if (dst != ourMac && dst != Ethernet.BROADCAST) {
            counters.increment(StackCounter.ETH_NOT_FOR_US);
            return;
        }
        long src = Ethernet.mac(f, 6);
        if (Ethernet.isMulticast(src) || src == ourMac) {
            counters.increment(StackCounter.ETH_BAD_SOURCE);
            return;
        }
        int type = f.u16(12);
        if (type == Ethernet.TYPE_IPV4) {
            ipv4(f, dst == Ethernet.BROADCAST);
        } else if (type == Ethernet.TYPE_ARP) {
            arpIn(f);
        } else {
            counters.increment(StackCounter.ETH_UNKNOWN_TYPE);
        }
    }

    // ------------------------------------------------------------------ ARP

    private static final int ARP = Ethernet.HEADER;
    private static final int ARP_LENGTH = 28;

    private void arpIn(Frame f) {
        if (f.length() < ARP + ARP_LENGTH || f.u16(ARP) != 1 || f.u16(ARP + 2) != Ethernet.TYPE_IPV4
                || f.u8(ARP + 4) != 6 || f.u8(ARP + 5) != 4) {
            counters.increment(StackCounter.ARP_BAD);
            return;
        }
        int op = f.u16(ARP + 6);
        long sha = Ethernet.mac(f, ARP + 8);
        int spa = f.u32(ARP + 14);
        int tpa = f.u32(ARP + 24);
        if ((op != 1 && op != 2) || Ethernet.isMulticast(sha) || sha == 0 || sha == ourMac) {
            counters.increment(StackCounter.ARP_BAD);
            return;
        }
        if (spa == ourIp) {
            counters.increment(StackCounter.ARP_CONFLICT);
            return;
        }
        boolean validSender = spa != 0 && !Ipv4.isMulticast(spa) && spa != Ipv4.LIMITED_BROADCAST;
        boolean merged = false;
        if (validSender) {
            int e = arp.find(spa);
            if (e != ArpCache.MISSING) {
                merged = true;
                if (arp.state(e) != ArpCache.STATIC) {
                    confirm(e, sha);
                    arpListener.learned(spa, sha);
                }
            }
        }
        if (tpa != ourIp) {
            if (!merged) {
                counters.increment(StackCounter.ARP_NOT_FOR_US);
            }
            return;
        }
        if (!merged && validSender && (spa & netmask) == (ourIp & netmask)) {
            if (addReachable(spa, sha) != ArpCache.MISSING) {
                arpListener.learned(spa, sha);
            }
        }
        if (op == 1) {
            // Answer in place.
            f.u16(ARP + 6, 2);
            Ethernet.mac(f, ARP + 18, sha);
            f.u32(ARP + 24, spa);
            Ethernet.mac(f, ARP + 8, ourMac);
            f.u32(ARP + 14, ourIp);
            Ethernet.header(f, sha, ourMac, Ethernet.TYPE_ARP);
            counters.increment(StackCounter.ARP_REPLIES_SENT);
            queueFrame(f, 0, ARP + ARP_LENGTH);
        }
    }

    /** A new reachable entry with its expiry timer; {@link ArpCache#MISSING} when the cache is full. */
    private int addReachable(int address, long mac) {
        int e = arp.add(address, ArpCache.REACHABLE, mac);
        if (e != ArpCache.MISSING) {
            counters.increment(StackCounter.ARP_LEARNED);
            int t = timers.allocate(KIND_ARP | e);
            arp.timer(e, t);
            arp.used(e, false);
            timers.schedule(t, now + config.arpReachableNanos());
        }
        return e;
    }

    /** An answer for entry {@code e}: reachable with {@code mac}, held packets released in order. */
    private void confirm(int e, long mac) {
        arp.mac(e, mac);
        boolean wasResolving = arp.state(e) == ArpCache.RESOLVING;
        arp.state(e, ArpCache.REACHABLE);
        arp.tries(e, 0);
        arp.used(e, false);
        timers.schedule(arp.timer(e), now + config.arpReachableNanos());
        if (wasResolving) {
            int h;
            while ((h = arp.takeHeld(e)) != ArpCache.MISSING) {
                int id = arp.heldFrame(h);
                int off = arp.heldOffset(h);
                int len = arp.heldLength(h);
                aux.wrap(pool, id, off, len);
                Ethernet.mac(aux, 0, mac);
                enqueue(id, off, len);
            }
        }
    }

    /** Told what this stack learns from ARP traffic, so that the other queues of its port can learn it too. */
    @FunctionalInterface
    public interface ArpListener {
        void learned(int address, long mac);
    }

    /**
     * Tells {@code listener} every address-to-MAC mapping this stack learns or confirms from ARP
     * traffic. With one stack per queue, the answer to one stack's request may arrive on another
     * queue: the owner of the port's stacks passes what each learns to the others
     * ({@link #arpLearned}).
     */
    public void onArpLearned(ArpListener listener) {
        this.arpListener = java.util.Objects.requireNonNull(listener);
    }

    /**
     * A mapping another stack of the same port learned from ARP: treated as an ARP answer seen
     * here (creates or refreshes the entry, and releases packets held while resolving it). Static
     * entries stay as they are; addresses outside our subnet are ignored.
     */
    public void arpLearned(int address, long mac) {
        if ((address & netmask) != (ourIp & netmask) || address == ourIp) {
            return;
        }
        int e = arp.find(address);
        if (e == ArpCache.MISSING) {
            addReachable(address, mac);
        } else if (arp.state(e) != ArpCache.STATIC) {
            confirm(e, mac);
        }
    }

    /**
     * An on-link sender of an IPv4 packet to us: creates its entry or completes a resolving one
     * from the Ethernet source. With one stack per queue, the ARP answer to this stack's request
     * may be steered to another queue's stack; the sender's own traffic reaching this queue
     * settles it here. Existing entries are changed only by ARP.
     */
    private void learnFromIp(int src, long srcMac) {
        int e = arp.find(src);
        if (e == ArpCache.MISSING) {
            addReachable(src, srcMac);
        } else if (arp.state(e) == ArpCache.RESOLVING) {
            counters.increment(StackCounter.ARP_LEARNED);
            confirm(e, srcMac);
        }
    }

    private void sendArpRequest(int target, long dstMac) {
        Frame f = allocate(tx);
        if (f == null) {
            return;
        }
        Ethernet.header(f, dstMac, ourMac, Ethernet.TYPE_ARP);
        f.u16(ARP, 1);
        f.u16(ARP + 2, Ethernet.TYPE_IPV4);
        f.u8(ARP + 4, 6);
        f.u8(ARP + 5, 4);
        f.u16(ARP + 6, 1);
        Ethernet.mac(f, ARP + 8, ourMac);
        f.u32(ARP + 14, ourIp);
        Ethernet.mac(f, ARP + 18, 0);
        f.u32(ARP + 24, target);
        counters.increment(StackCounter.ARP_REQUESTS_SENT);
        queueFrame(f, 0, ARP + ARP_LENGTH);
    }

    /**
     * Adds a static ARP entry (never expires, never changed by ARP traffic), replacing a learned one.
     *
     * @throws IllegalStateException when the cache is full
     */
    public void addStaticArp(int address, byte[] mac) {
        long m = Ethernet.mac(mac);
        int e = arp.find(address);
        if (e == ArpCache.MISSING) {
            e = arp.add(address, ArpCache.STATIC, m);
            if (e == ArpCache.MISSING) {
                throw new IllegalStateException("ARP cache full (" + arp.capacity() + " entries)");
            }
            arp.timer(e, timers.allocate(KIND_ARP | e));
        } else {
            confirm(e, m);
        }
        arp.state(e, ArpCache.STATIC);
        arp.mac(e, m);
        timers.cancel(arp.timer(e));
    }

    /** The MAC the cache has for {@code address} (reachable, refreshing or static), or -1. */
    public long arpLookup(int address) {
        int e = arp.find(address);
        return e == ArpCache.MISSING || arp.state(e) == ArpCache.RESOLVING ? -1 : arp.mac(e);
    }

    /** The ARP cache, for inspection. */
    public ArpCache arpCache() {
        return arp;
    }

    private void arpTimer(int e) {
        int state = arp.state(e);
        if (state == ArpCache.RESOLVING || state == ArpCache.REFRESHING) {
            if (arp.tries(e) < config.arpTries()) {
                arp.tries(e, arp.tries(e) + 1);
                sendArpRequest(arp.address(e), state == ArpCache.RESOLVING ? Ethernet.BROADCAST : arp.mac(e));
                timers.schedule(arp.timer(e), now + config.arpRetryNanos());
                return;
            }
            int h;
            while ((h = arp.takeHeld(e)) != ArpCache.MISSING) {
                counters.increment(StackCounter.ARP_UNRESOLVED);
                release(arp.heldFrame(h));
            }
            removeArp(e);
        } else if (state == ArpCache.REACHABLE) {
            if (arp.used(e)) {
                arp.state(e, ArpCache.REFRESHING);
                arp.tries(e, 1);
                sendArpRequest(arp.address(e), arp.mac(e));
                timers.schedule(arp.timer(e), now + config.arpRetryNanos());
            } else {
                removeArp(e);
            }
        }
    }

    private void removeArp(int e) {
        counters.increment(StackCounter.ARP_EXPIRED);
        timers.free(arp.timer(e));
        arp.remove(e);
    }

    private void expired(int timer, long data) {
        int index = (int) data;
        if ((data & ~0xffff_ffffL) == KIND_ARP) {
            arpTimer(index);
        } else {
            reassemblyTimeout(index);
        }
    }

    // ------------------------------------------------------------------ IPv4 in

    private static final int IP = Ethernet.HEADER;

    private void ipv4(Frame f, boolean linkBroadcast) {
        int len = f.length();
        if (len < IP + Ipv4.HEADER) {
            counters.increment(StackCounter.IP_TRUNCATED);
            return;
        }
        int vihl = f.u8(IP);
        if (vihl >>> 4 != 4) {
            counters.increment(StackCounter.IP_BAD_VERSION);
            return;
        }
        int hl = (vihl & 0xf) * 4;
        if (hl < Ipv4.HEADER) {
            counters.increment(StackCounter.IP_BAD_IHL);
            return;
        }
        int total = f.u16(IP + 2);
        if (IP + hl > len) {
            counters.increment(StackCounter.IP_TRUNCATED);
            return;
        }
        if (total < hl) {
            counters.increment(StackCounter.IP_BAD_LENGTH);
            return;
        }
        if (IP + total > len) {
            counters.increment(StackCounter.IP_TRUNCATED);
            return;
        }
        if (!Checksum.verifies(Checksum.add(0, f.region(), f.base() + IP, hl))) {
            counters.increment(StackCounter.IP_BAD_CHECKSUM);
            return;
        }
        int src = f.u32(IP + 12);
        int dst = f.u32(IP + 16);
        if (src == 0 || src == Ipv4.LIMITED_BROADCAST || src == subnetBroadcast || src == ourIp
                || Ipv4.isMulticast(src) || Ipv4.isLoopback(src)) {
            counters.increment(StackCounter.IP_BAD_SOURCE);
            return;
        }
        boolean broadcast = dst == Ipv4.LIMITED_BROADCAST || dst == subnetBroadcast;
        if (dst != ourIp && !broadcast) {
            counters.increment(StackCounter.IP_NOT_FOR_US);
            return;
        }
        if (hl > Ipv4.HEADER && !options(f, IP + Ipv4.HEADER, IP + hl)) {
            return;
        }
        if (!linkBroadcast && (src & netmask) == (ourIp & netmask)) {
            learnFromIp(src, Ethernet.mac(f, 6));
        }
        f.length(IP + total); // trim Ethernet padding
        int proto = f.u8(IP + 9);
        int frag = f.u16(IP + 6);
        if ((frag & (Ipv4.MF | Ipv4.OFFSET_MASK)) != 0) {
            fragment(f, hl, total, src, dst, proto, frag);
            return;
        }
        deliver(f, IP + hl, total - hl, src, dst, proto, broadcast || linkBroadcast);
    }

    /** Walks options; false (counted) when one is malformed or a source route. */
    private boolean options(Frame f, int at, int end) {
        while (at < end) {
            int type = f.u8(at);
            if (type == 0) {
                return true; // end of options list
            }
            if (type == 1) {
                at++;
                continue;
            }
            if (at + 1 >= end) {
                counters.increment(StackCounter.IP_BAD_OPTIONS);
                return false;
            }
            int olen = f.u8(at + 1);
            if (olen < 2 || at + olen > end) {
                counters.increment(StackCounter.IP_BAD_OPTIONS);
                return false;
            }
            if (type == 131 || type == 137) {
                counters.increment(StackCounter.IP_SOURCE_ROUTED);
                return false;
            }
            at += olen;
        }
        return true;
    }

    private void deliver(Frame f, int l4, int l4Length, int src, int dst, int proto, boolean broadcast) {
        switch (proto) {
            case Ipv4.PROTO_ICMP -> icmpIn(f, l4, l4Length, src, broadcast);
            case Ipv4.PROTO_UDP -> udpIn(f, l4, l4Length, src, dst, broadcast);
            default -> {
                TransportHandler h = transports[proto];
                if (h == null || broadcast) {
                    counters.increment(StackCounter.IP_UNKNOWN_PROTOCOL);
                    if (h == null && !broadcast) {
                        unreachable(f, 2, src);
                    }
                    return;
                }
                if (h.receive(this, f, l4, l4Length, src, dst)) {
                    consumed = true;
                }
            }
        }
    }

    // ------------------------------------------------------------------ fragments

    private void fragment(Frame f, int hl, int total, int src, int dst, int proto, int frag) {
        counters.increment(StackCounter.FRAG_RECEIVED);
        int offset = (frag & Ipv4.OFFSET_MASK) * 8;
        int length = total - hl;
        boolean more = (frag & Ipv4.MF) != 0;
        if ((more && (length == 0 || (length & 7) != 0)) || offset + length > 65535 - Ipv4.HEADER) {
            counters.increment(StackCounter.FRAG_BAD);
            return;
        }
        int ident = f.u16(IP + 4);
        int c = reassembly.find(src, dst, ident, proto);
        if (c == Reassembly.MISSING) {
            c = reassembly.free();
            if (c == Reassembly.MISSING) {
                counters.increment(StackCounter.REASM_FULL);
                return;
            }
            int into = pool.allocate();
            if (into < 0) {
                counters.increment(StackCounter.POOL_EMPTY);
                return;
            }
            reassembly.open(c, src, dst, ident, proto, into);
            int t = reassembly.timer(c);
            if (t < 0) {
                t = timers.allocate(KIND_REASM | c);
                reassembly.timer(c, t);
            }
            timers.schedule(t, now + config.reassemblyNanos());
        }
        int into = reassembly.frame(c);
        reasmFrame.wrap(pool, into, headroom, pool.frameSize() - headroom);
        int r = reassembly.add(c, reasmFrame, f, IP + hl, offset, length, more);
        if (reassembly.overlapped()) {
            counters.increment(StackCounter.FRAG_OVERLAP);
        }
        switch (r) {
            case Reassembly.DUPLICATE -> counters.increment(StackCounter.FRAG_DUPLICATE);
            case Reassembly.BAD -> {
                counters.increment(StackCounter.FRAG_BAD);
                dropReassembly(c);
            }
            case Reassembly.TOO_BIG -> {
                counters.increment(StackCounter.REASM_TOO_BIG);
                dropReassembly(c);
            }
            case Reassembly.COMPLETE -> complete(c, f);
            default -> {
                // partial: wait for more
            }
        }
    }

    private void complete(int c, Frame lastFragment) {
        counters.increment(StackCounter.REASM_DONE);
        int into = reassembly.frame(c);
        int payload = reassembly.total(c);
        int src = reassembly.source(c);
        int dst = reassembly.destination(c);
        int proto = reassembly.protocol(c);
        Frame g = reasmFrame;
        g.wrap(pool, into, headroom, Reassembly.PAYLOAD + payload);
        g.copyFrom(lastFragment, 0, 0, Ethernet.HEADER);
        g.u8(IP, 0x45);
        g.u8(IP + 1, lastFragment.u8(IP + 1));
        g.u16(IP + 2, Ipv4.HEADER + payload);
        g.u16(IP + 4, reassembly.ident(c));
        g.u16(IP + 6, 0);
        g.u8(IP + 8, lastFragment.u8(IP + 8));
        g.u8(IP + 9, proto);
        g.u16(IP + 10, 0);
        g.u32(IP + 12, src);
        g.u32(IP + 16, dst);
        g.u16(IP + 10, Checksum.of(g.region(), g.base() + IP, Ipv4.HEADER));
        timers.cancel(reassembly.timer(c));
        reassembly.close(c);
        boolean broadcast = dst != ourIp;
        // The reassembled frame is now the one being processed; the fragment is released as usual.
        int savedCurrent = current;
        boolean savedConsumed = consumed;
        current = into;
        consumed = false;
        try {
            deliver(g, Reassembly.PAYLOAD, payload, src, dst, proto, broadcast);
        } finally {
            if (!consumed) {
                pool.release(into);
            }
            current = savedCurrent;
            consumed = savedConsumed;
        }
    }

    private void dropReassembly(int c) {
        timers.cancel(reassembly.timer(c));
        pool.release(reassembly.frame(c));
        reassembly.close(c);
    }

    private void reassemblyTimeout(int c) {
        if (reassembly.inUse(c)) {
            counters.increment(StackCounter.REASM_TIMEOUT);
            pool.release(reassembly.frame(c));
            reassembly.close(c);
        }
    }

    /** Datagrams being reassembled. */
    public int reassembling() {
        return reassembly.open();
    }

    // ------------------------------------------------------------------ ICMP

    private void icmpIn(Frame f, int l4, int length, int src, boolean broadcast) {
        if (length < 8) {
            counters.increment(StackCounter.ICMP_TRUNCATED);
            return;
        }
        if (!Checksum.verifies(Checksum.add(0, f.region(), f.base() + l4, length))) {
            counters.increment(StackCounter.ICMP_BAD_CHECKSUM);
            return;
        }
        int type = f.u8(l4);
        switch (type) {
            case 8 -> {
                if (broadcast) {
                    counters.increment(StackCounter.ICMP_ECHO_BROADCAST);
                    return;
                }
                f.u8(l4, 0);
                f.u16(l4 + 2, 0);
                f.u16(l4 + 2, Checksum.of(f.region(), f.base() + l4, length));
                if (sendIpv4(f, l4, length, src, Ipv4.PROTO_ICMP)) {
                    counters.increment(StackCounter.ICMP_ECHO_REPLIES);
                }
            }
            case 3, 4, 11, 12 -> icmpError(f, l4, length, type);
            default -> counters.increment(StackCounter.ICMP_OTHER);
        }
    }

    private void icmpError(Frame f, int l4, int length, int type) {
        counters.increment(StackCounter.ICMP_ERRORS_RECEIVED);
        int inner = l4 + 8;
        if (length < 8 + Ipv4.HEADER + 8 || f.u8(inner) >>> 4 != 4) {
            counters.increment(StackCounter.ICMP_TRUNCATED);
            return;
        }
        int ihl = (f.u8(inner) & 0xf) * 4;
        if (ihl < Ipv4.HEADER || length < 8 + ihl + 8) {
            counters.increment(StackCounter.ICMP_TRUNCATED);
            return;
        }
        int proto = f.u8(inner + 9);
        int origSrc = f.u32(inner + 12);
        int origDst = f.u32(inner + 16);
        if (origSrc != ourIp) {
            return;
        }
        TransportHandler h = transports[proto];
        if (h != null) {
            h.icmpError(this, type, f.u8(l4 + 1), f, inner + ihl, length - 8 - ihl, origSrc, origDst);
        }
    }

    /** Sends destination unreachable {@code code} about the IPv4 packet in {@code f}, rate-limited. */
    private void unreachable(Frame f, int code, int to) {
        if (!takeIcmpToken()) {
            counters.increment(StackCounter.ICMP_RATE_LIMITED);
            return;
        }
        int hl = (f.u8(IP) & 0xf) * 4;
        int quoted = hl + Math.min(8, f.u16(IP + 2) - hl);
        Frame out = allocate(tx);
        if (out == null) {
            return;
        }
        int l4 = L4_OFFSET;
        out.u8(l4, 3);
        out.u8(l4 + 1, code);
        out.u16(l4 + 2, 0);
        out.u32(l4 + 4, 0);
        out.copyFrom(f, IP, l4 + 8, quoted);
        out.u16(l4 + 2, Checksum.of(out.region(), out.base() + l4, 8 + quoted));
        if (sendIpv4(out, l4, 8 + quoted, to, Ipv4.PROTO_ICMP)) {
            counters.increment(StackCounter.ICMP_UNREACHABLE_SENT);
        }
    }

    private boolean takeIcmpToken() {
        long cap = (long) config.icmpErrorBurst() * NANOS_PER_SECOND;
        long elapsed = now - icmpRefilledAt;
        icmpRefilledAt = now;
        if (elapsed > 0) {
            // tokens are scaled by 1e9: elapsed ns * rate per s adds rate*elapsed/1e9 tokens
            long add = elapsed >= NANOS_PER_SECOND ? cap : elapsed * config.icmpErrorsPerSecond();
            icmpTokens = Math.min(cap, icmpTokens + add);
        }
        if (icmpTokens >= NANOS_PER_SECOND) {
            icmpTokens -= NANOS_PER_SECOND;
            return true;
        }
        return false;
    }

    // ------------------------------------------------------------------ UDP

    private void udpIn(Frame f, int l4, int length, int src, int dst, boolean broadcast) {
        if (length < 8) {
            counters.increment(StackCounter.UDP_TRUNCATED);
            return;
        }
        int udpLength = f.u16(l4 + 4);
        if (udpLength < 8 || udpLength > length) {
            counters.increment(StackCounter.UDP_BAD_LENGTH);
            return;
        }
        int sum = f.u16(l4 + 6);
        if (sum != 0 && !config.rxChecksumVerified()) {
            long s = Checksum.pseudoHeader(src, dst, Ipv4.PROTO_UDP, udpLength);
            if (!Checksum.verifies(Checksum.add(s, f.region(), f.base() + l4, udpLength))) {
                counters.increment(StackCounter.UDP_BAD_CHECKSUM);
                return;
            }
        }
        int dstPort = f.u16(l4 + 2);
        UdpHandler h = udp[dstPort];
        if (h == null) {
            counters.increment(StackCounter.UDP_NO_PORT);
            if (!broadcast) {
                unreachable(f, 3, src);
            }
            return;
        }
        counters.increment(StackCounter.UDP_DELIVERED);
        if (h.receive(this, f, l4 + 8, udpLength - 8, src, f.u16(l4), dstPort)) {
            consumed = true;
        }
    }

    /**
     * Binds a UDP port (1..65535) to a handler.
     *
     * @throws IllegalStateException when the port is bound already
     */
    public void bindUdp(int port, UdpHandler handler) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("UDP port must be 1..65535: " + port);
        }
        if (udp[port] != null) {
            throw new IllegalStateException("UDP port " + port + " is bound already");
        }
        udp[port] = java.util.Objects.requireNonNull(handler);
    }

    /** Unbinds a UDP port (harmless when unbound). */
    public void unbindUdp(int port) {
        udp[port] = null;
    }

    /**
     * Sends a UDP datagram whose payload is in {@code frame} at {@code payloadOffset} (at least
     * {@link #UDP_PAYLOAD_OFFSET}, e.g. in a frame from {@link #allocate} or in place in a received
     * one): writes the UDP header with its checksum before it and calls {@link #sendIpv4}. The
     * frame is the stack's afterwards.
     *
     * @return whether it was queued or held for ARP (false: dropped and counted)
     */
    public boolean sendUdp(Frame frame, int payloadOffset, int payloadLength, int srcPort, int dstIp, int dstPort) {
        int l4 = payloadOffset - 8;
        int len = payloadLength + 8;
        frame.u16(l4, srcPort);
        frame.u16(l4 + 2, dstPort);
        frame.u16(l4 + 4, len);
        frame.u16(l4 + 6, 0);
        long s = Checksum.pseudoHeader(ourIp, dstIp, Ipv4.PROTO_UDP, len);
        int sum = Checksum.finish(Checksum.add(s, frame.region(), frame.base() + l4, len));
        frame.u16(l4 + 6, sum == 0 ? 0xffff : sum);
        counters.increment(StackCounter.UDP_SENT);
        return sendIpv4(frame, l4, len, dstIp, Ipv4.PROTO_UDP);
    }

    // ------------------------------------------------------------------ output API

    /**
     * Registers the transport for an IP protocol number (not ICMP or UDP, which the stack handles);
     * from now on {@link #poll} also calls its {@link TransportHandler#poll}.
     */
    public void registerTransport(int protocol, TransportHandler handler) {
        if (protocol < 0 || protocol > 255 || protocol == Ipv4.PROTO_ICMP || protocol == Ipv4.PROTO_UDP) {
            throw new IllegalArgumentException("protocol " + protocol + " cannot be registered");
        }
        transports[protocol] = handler;
        TransportHandler[] list = new TransportHandler[256];
        int count = 0;
        for (TransportHandler h : transports) {
            boolean seen = h == null;
            for (int i = 0; i < count && !seen; i++) {
                seen = list[i] == h;
            }
            if (!seen) {
                list[count++] = h;
            }
        }
        polled = Arrays.copyOf(list, count);
    }

    /**
     * Wraps {@code into} over a fresh frame: data at the driver's headroom, length the whole room
     * to the end of the frame (write the transport header at {@link #L4_OFFSET}).
     *
     * @return {@code into}, or null (counted as {@link StackCounter#POOL_EMPTY}) when the pool is empty
     */
    public Frame allocate(Frame into) {
        int id = pool.allocate();
        if (id < 0) {
            counters.increment(StackCounter.POOL_EMPTY);
            return null;
        }
        return into.wrap(pool, id, headroom, pool.frameSize() - headroom);
    }

    /**
     * Sends the transport packet at {@code l4Offset} ({@code l4Length} bytes) in {@code frame} to
     * {@code dstIp}: writes the IPv4 header in the 20 bytes before it and the Ethernet header in
     * the 14 before that (so {@code l4Offset} must be at least {@link #L4_OFFSET}), resolves the
     * next hop, and queues the frame (or holds it while ARP resolves). The frame is the stack's
     * from now on, whatever the result.
     *
     * @return true when queued or held; false when dropped (counted: too big, no route, ARP limits, TX full)
     */
    public boolean sendIpv4(Frame frame, int l4Offset, int l4Length, int dstIp, int protocol) {
        int eth = l4Offset - L4_OFFSET;
        if (eth < 0) {
            release(frame.id());
            throw new IllegalArgumentException("l4Offset " + l4Offset + " leaves no room for the headers");
        }
        int id = frame.id();
        if (Ipv4.HEADER + l4Length > config.mtu()) {
            counters.increment(StackCounter.IP_TX_TOO_BIG);
            release(id);
            return false;
        }
        int ip = eth + Ethernet.HEADER;
        frame.u8(ip, 0x45);
        frame.u8(ip + 1, 0);
        frame.u16(ip + 2, Ipv4.HEADER + l4Length);
        frame.u16(ip + 4, ipIdent++ & 0xffff);
        frame.u16(ip + 6, Ipv4.DF);
        frame.u8(ip + 8, config.ttl());
        frame.u8(ip + 9, protocol);
        frame.u16(ip + 10, 0);
        frame.u32(ip + 12, ourIp);
        frame.u32(ip + 16, dstIp);
        frame.u16(ip + 10, Checksum.of(frame.region(), frame.base() + ip, Ipv4.HEADER));
        frame.u16(eth + 12, Ethernet.TYPE_IPV4);
        Ethernet.mac(frame, eth + 6, ourMac);
        int length = L4_OFFSET + l4Length;
        int dataOffset = (int) (frame.base() - pool.offset(id)) + eth;

        if (dstIp == Ipv4.LIMITED_BROADCAST || dstIp == subnetBroadcast) {
            Ethernet.mac(frame, eth, Ethernet.BROADCAST);
            return queueFrame(frame, eth, length);
        }
        int hop = dstIp;
        if ((dstIp & netmask) != (ourIp & netmask)) {
            if (config.gateway() == 0) {
                counters.increment(StackCounter.IP_NO_ROUTE);
                release(id);
                return false;
            }
            hop = config.gateway();
        }
        int e = arp.find(hop);
        if (e != ArpCache.MISSING && arp.state(e) != ArpCache.RESOLVING) {
            arp.used(e, true);
            Ethernet.mac(frame, eth, arp.mac(e));
            return queueFrame(frame, eth, length);
        }
        length = pad(frame, eth, length);
        if (e == ArpCache.MISSING) {
            e = arp.add(hop, ArpCache.RESOLVING, 0);
            if (e == ArpCache.MISSING) {
                counters.increment(StackCounter.ARP_TABLE_FULL);
                release(id);
                return false;
            }
            int t = timers.allocate(KIND_ARP | e);
            arp.timer(e, t);
            arp.tries(e, 1);
            timers.schedule(t, now + config.arpRetryNanos());
            if (!arp.hold(e, id, dataOffset, length)) {
                counters.increment(StackCounter.ARP_HOLD_FULL);
                release(id);
                sendArpRequest(hop, Ethernet.BROADCAST);
                return false;
            }
            markConsumed(id);
            counters.increment(StackCounter.ARP_HELD);
            sendArpRequest(hop, Ethernet.BROADCAST);
            return true;
        }
        if (!arp.hold(e, id, dataOffset, length)) {
            counters.increment(StackCounter.ARP_HOLD_FULL);
            release(id);
            return false;
        }
        markConsumed(id);
        counters.increment(StackCounter.ARP_HELD);
        return true;
    }

    /** Pads to the Ethernet minimum with zeros; returns the new length. */
    private static int pad(Frame f, int eth, int length) {
        if (length >= Ethernet.MIN_FRAME) {
            return length;
        }
        int end = eth + Ethernet.MIN_FRAME;
        if (f.length() < end) {
            f.length(end);
        }
        for (int i = eth + length; i < end; i++) {
            f.u8(i, 0);
        }
        return Ethernet.MIN_FRAME;
    }

    /** Queues {@code length} bytes of {@code f} from {@code eth} (Ethernet header complete), padded. */
    private boolean queueFrame(Frame f, int eth, int length) {
        int id = f.id();
        length = pad(f, eth, length);
        int dataOffset = (int) (f.base() - pool.offset(id)) + eth;
        return enqueue(id, dataOffset, length);
    }

    private boolean enqueue(int id, int dataOffset, int length) {
        if (txBurst.remaining() == 0) {
            transmitQueued();
            if (txBurst.remaining() == 0) {
                counters.increment(StackCounter.TX_FULL);
                release(id);
                return false;
            }
        }
        txBurst.add(id, dataOffset, length);
        counters.increment(StackCounter.TX_FRAMES);
        markConsumed(id);
        return true;
    }

    private void markConsumed(int id) {
        if (id == current) {
            consumed = true;
        }
    }

    /** Returns a frame (one kept by a handler, or allocated and not sent) to the pool. */
    public void release(int frameId) {
        pool.release(frameId);
        markConsumed(frameId);
    }

    // ------------------------------------------------------------------ accessors

    /** Our IPv4 address. */
    public int address() {
        return ourIp;
    }

    /** Our MAC. */
    public long mac() {
        return ourMac;
    }

    /** The largest IP packet sent. */
    public int mtu() {
        return config.mtu();
    }

    /** Whether the NIC vouched for received transport checksums (transports may skip verifying). */
    public boolean rxChecksumVerified() {
        return config.rxChecksumVerified();
    }

    /** The pseudo-header partial sum for a packet from us to {@code dstIp} (for transport checksums). */
    public long pseudoHeaderSum(int dstIp, int protocol, int length) {
        return Checksum.pseudoHeader(ourIp, dstIp, protocol, length);
    }

    /** The clock reading of the current (or last) poll. */
    public long now() {
        return now;
    }

    /** The pool frames come from (to wrap kept frames again by id). */
    public FramePool pool() {
        return pool;
    }

    /** The driver's headroom: where a frame's data (its Ethernet header) starts. */
    public int headroom() {
        return headroom;
    }

    public NicQueue queue() {
        return queue;
    }

    public NetStackConfig config() {
        return config;
    }

    public StackCounters counters() {
        return counters;
    }

    /** Frames queued for the NIC that it has not taken yet. */
    public int txQueued() {
        return txBurst.count();
    }

    @Override
    public String toString() {
        return "NetStack[" + Ipv4.toString(ourIp) + "/" + config.prefix() + " " + Ethernet.toString(ourMac) + "]";
    }
}
