package io.jix.nic.wire;

import java.util.function.LongSupplier;

/**
 * How to build a {@link Wire}: frames per endpoint pool, ring slots per direction, receive
 * headroom, the two endpoints' MAC addresses, the faults of each direction and the clock delays
 * and reorder timeouts are measured with. Immutable; made with {@link #builder()}.
 */
public final class WireConfig {

    /** The frame size of both pools. */
    public static final int FRAME_SIZE = 2048;

    private final int frames;
    private final int ringSlots;
    private final int headroom;
    private final byte[] macA;
    private final byte[] macB;
    private final Faults aToB;
    private final Faults bToA;
    private final LongSupplier clock;

    private WireConfig(Builder b) {
        if (b.frames < 1) {
            throw new IllegalArgumentException("frames must be >= 1: " + b.frames);
        }
        if (b.ringSlots < 2 || Integer.bitCount(b.ringSlots) != 1 || b.ringSlots > 1 << 20) {
            throw new IllegalArgumentException("ringSlots must be a power of two in 2..2^20: " + b.ringSlots);
        }
        if (b.headroom < 0 || b.headroom > FRAME_SIZE - 1514 || (b.headroom & 7) != 0) {
            throw new IllegalArgumentException("headroom must be a multiple of 8 in 0.." + (FRAME_SIZE - 1514)
                    + ": " + b.headroom);
        }
        this.frames = b.frames;
        this.ringSlots = b.ringSlots;
        this.headroom = b.headroom;
        this.macA = mac(b.macA);
        this.macB = mac(b.macB);
        this.aToB = b.aToB;
        this.bToA = b.bToA;
        this.clock = b.clock;
    }

    private static byte[] mac(byte[] m) {
        if (m == null || m.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes");
        }
        return m.clone();
    }

    /** Frames in each endpoint's pool. */
    public int frames() {
        return frames;
    }

    /** Slots in each direction's ring. */
    public int ringSlots() {
        return ringSlots;
    }

    /** Where received data starts in a frame; frames longer than {@code FRAME_SIZE - headroom} are dropped. */
    public int headroom() {
        return headroom;
    }

    /** Endpoint a's MAC address (a copy). */
    public byte[] macA() {
        return macA.clone();
    }

    /** Endpoint b's MAC address (a copy). */
    public byte[] macB() {
        return macB.clone();
    }

    /** Faults on frames a sends to b. */
    public Faults aToB() {
        return aToB;
    }

    /** Faults on frames b sends to a. */
    public Faults bToA() {
        return bToA;
    }

    /** The clock (nanoseconds) for delays and reorder timeouts. */
    public LongSupplier clock() {
        return clock;
    }

    /**
     * Defaults: 4096 frames per pool, 1024 slots per direction, 128 bytes of headroom, MACs
     * 02:00:00:00:00:0a and 02:00:00:00:00:0b (locally administered), no faults, {@link System#nanoTime}.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link WireConfig}; every setter returns the builder. */
    public static final class Builder {
        private int frames = 4096;
        private int ringSlots = 1024;
        private int headroom = 128;
        private byte[] macA = {0x02, 0, 0, 0, 0, 0x0a};
        private byte[] macB = {0x02, 0, 0, 0, 0, 0x0b};
        private Faults aToB = Faults.NONE;
        private Faults bToA = Faults.NONE;
        private LongSupplier clock = System::nanoTime;

        Builder() {
        }

        public Builder frames(int n) {
            frames = n;
            return this;
        }

        public Builder ringSlots(int n) {
            ringSlots = n;
            return this;
        }

        public Builder headroom(int bytes) {
            headroom = bytes;
            return this;
        }

        public Builder macs(byte[] a, byte[] b) {
            macA = a;
            macB = b;
            return this;
        }

        /** The same faults in both directions (each direction still draws its own decisions). */
        public Builder faults(Faults both) {
            aToB = both;
            bToA = both;
            return this;
        }

        public Builder faults(Faults aToB, Faults bToA) {
            this.aToB = aToB;
            this.bToA = bToA;
            return this;
        }

        /** The clock for delays and reorder timeouts; called at most once per transmit, reclaim or receive. */
        public Builder clock(LongSupplier nanos) {
            clock = nanos;
            return this;
        }

        public WireConfig build() {
            if (aToB == null || bToA == null || clock == null) {
                throw new IllegalArgumentException("faults and clock must not be null");
            }
            return new WireConfig(this);
        }
    }
}
