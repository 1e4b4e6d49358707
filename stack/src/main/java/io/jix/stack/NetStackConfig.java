package io.jix.stack;

import io.jix.nic.FlowSteering;
import io.jix.stack.ip.Ipv4;
import io.jix.stack.link.Ethernet;

/**
 * A {@link NetStack}'s settings: identity (MAC, IPv4 address, prefix, optional gateway) and every
 * limit that bounds its memory and time. Immutable; made with {@link #builder()}.
 *
 * @param mac                  our MAC (48 bits)
 * @param address              our IPv4 address
 * @param prefix               on-link prefix length
 * @param gateway              next hop for off-link destinations, 0 for none
 * @param mtu                  the largest IP packet sent (no fragmentation on send)
 * @param ttl                  TTL of sent packets
 * @param batch                frames received per poll at most (IX: 64)
 * @param arpEntries           ARP cache size
 * @param arpHoldPerEntry      packets held per resolving address
 * @param arpHoldTotal         packets held over all addresses
 * @param arpReachableNanos    how long an answer is trusted before it is refreshed (unused entries are dropped then)
 * @param arpRetryNanos        time between requests while resolving or refreshing
 * @param arpTries             requests per resolving or refreshing round before giving up
 * @param gratuitousArp        announce our address at the first poll
 * @param reassemblyContexts   datagrams reassembled at once
 * @param reassemblyNanos      how long a partial datagram waits for its fragments
 * @param icmpErrorsPerSecond  token bucket rate for destination-unreachable messages
 * @param icmpErrorBurst       token bucket depth
 * @param rxChecksumVerified   the NIC verified transport checksums of received packets (skip UDP/TCP verification)
 * @param steering             the port's RSS function as far as known: which queue a flow's frames arrive on
 * @param queueIndex           this stack's queue among the port's queues, as {@code steering} numbers them
 * @param queueCount           how many receive queues the port has
 */
public record NetStackConfig(long mac, int address, int prefix, int gateway, int mtu, int ttl, int batch,
                             int arpEntries, int arpHoldPerEntry, int arpHoldTotal, long arpReachableNanos,
                             long arpRetryNanos, int arpTries, boolean gratuitousArp, int reassemblyContexts,
                             long reassemblyNanos, int icmpErrorsPerSecond, int icmpErrorBurst,
                             boolean rxChecksumVerified, FlowSteering steering, int queueIndex, int queueCount) {

    /** Checks every value. */
    public NetStackConfig {
        if ((mac & ~Ethernet.BROADCAST) != 0 || Ethernet.isMulticast(mac) || mac == 0) {
            throw new IllegalArgumentException("not a unicast MAC: " + Long.toHexString(mac));
        }
        Ipv4.mask(prefix);
        if (address == 0 || Ipv4.isMulticast(address) || address == Ipv4.LIMITED_BROADCAST) {
            throw new IllegalArgumentException("not a host address: " + Ipv4.toString(address));
        }
        if (mtu < 68 || mtu > 9000 || ttl < 1 || ttl > 255 || batch < 1 || arpEntries < 1 || arpHoldPerEntry < 0
                || arpHoldTotal < 0 || arpReachableNanos <= 0 || arpRetryNanos <= 0 || arpTries < 1
                || reassemblyContexts < 0 || reassemblyNanos <= 0 || icmpErrorsPerSecond < 0 || icmpErrorBurst < 0) {
            throw new IllegalArgumentException("a limit is out of range: " + this);
        }
        if (steering == null || queueCount < 1 || queueIndex < 0 || queueIndex >= queueCount) {
            throw new IllegalArgumentException("steering " + steering + ", queue " + queueIndex + " of " + queueCount);
        }
    }

    /** Settings for {@code mac} and {@code address}/{@code prefix}, other values at their defaults. */
    public static Builder builder(byte[] mac, String address, int prefix) {
        return new Builder(Ethernet.mac(mac), Ipv4.parse(address), prefix);
    }

    /** Builds a {@link NetStackConfig}. Defaults are listed on each setter. */
    public static final class Builder {
        private final long mac;
        private final int address;
        private final int prefix;
        private int gateway;
        private int mtu = 1500;
        private int ttl = 64;
        private int batch = 64;
        private int arpEntries = 256;
        private int arpHoldPerEntry = 8;
        private int arpHoldTotal = 256;
        private long arpReachableNanos = 60_000_000_000L;
        private long arpRetryNanos = 1_000_000_000L;
        private int arpTries = 3;
        private boolean gratuitousArp = true;
        private int reassemblyContexts = 16;
        private long reassemblyNanos = 60_000_000_000L;
        private int icmpErrorsPerSecond = 100;
        private int icmpErrorBurst = 10;
        private boolean rxChecksumVerified;
        private FlowSteering steering = FlowSteering.UNKNOWN;
        private int queueIndex;
        private int queueCount = 1;

        Builder(long mac, int address, int prefix) {
            this.mac = mac;
            this.address = address;
            this.prefix = prefix;
        }

        /** Default none (0): off-link destinations are dropped. */
        public Builder gateway(String a) {
            gateway = Ipv4.parse(a);
            return this;
        }

        /** Default 1500. */
        public Builder mtu(int v) {
            mtu = v;
            return this;
        }

        /** Default 64. */
        public Builder ttl(int v) {
            ttl = v;
            return this;
        }

        /** Default 64. */
        public Builder batch(int v) {
            batch = v;
            return this;
        }

        /** Defaults 256 entries, 8 held per entry, 256 held in all. */
        public Builder arp(int entries, int holdPerEntry, int holdTotal) {
            arpEntries = entries;
            arpHoldPerEntry = holdPerEntry;
            arpHoldTotal = holdTotal;
            return this;
        }

        /** Defaults 60 s reachable, 1 s between requests, 3 requests per round. */
        public Builder arpTimes(long reachableNanos, long retryNanos, int tries) {
            arpReachableNanos = reachableNanos;
            arpRetryNanos = retryNanos;
            arpTries = tries;
            return this;
        }

        /** Default on. */
        public Builder gratuitousArp(boolean on) {
            gratuitousArp = on;
            return this;
        }

        /** Defaults 16 contexts, 60 s (RFC 1122 3.3.2 recommends 60 to 120 s). */
        public Builder reassembly(int contexts, long timeoutNanos) {
            reassemblyContexts = contexts;
            reassemblyNanos = timeoutNanos;
            return this;
        }

        /** Defaults 100 per second, burst 10. */
        public Builder icmpErrors(int perSecond, int burst) {
            icmpErrorsPerSecond = perSecond;
            icmpErrorBurst = burst;
            return this;
        }

        /** Default false: verify UDP (and TCP) checksums in software. */
        public Builder rxChecksumVerified(boolean v) {
            rxChecksumVerified = v;
            return this;
        }

        /**
         * The port's RSS function and this stack's queue {@code queueIndex} of {@code queueCount}
         * (normally the queue's {@code queueId()} and the port's queue count). TCP chooses
         * ephemeral ports whose replies {@code steering} sends to this queue. Default
         * {@link FlowSteering#UNKNOWN}, queue 0 of 1: any port.
         */
        public Builder steering(FlowSteering f, int index, int count) {
            steering = f;
            queueIndex = index;
            queueCount = count;
            return this;
        }

        public NetStackConfig build() {
            return new NetStackConfig(mac, address, prefix, gateway, mtu, ttl, batch, arpEntries, arpHoldPerEntry,
                    arpHoldTotal, arpReachableNanos, arpRetryNanos, arpTries, gratuitousArp, reassemblyContexts,
                    reassemblyNanos, icmpErrorsPerSecond, icmpErrorBurst, rxChecksumVerified, steering, queueIndex,
                    queueCount);
        }
    }
}
