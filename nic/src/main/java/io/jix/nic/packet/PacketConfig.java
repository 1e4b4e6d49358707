package io.jix.nic.packet;

/**
 * Sizes of one AF_PACKET queue.
 *
 * @param rxSlots slots of the TPACKET_V2 receive ring (a multiple of {@value #SLOTS_PER_BLOCK}):
 *     frames the kernel can buffer before it drops ({@code tp_drops})
 * @param txSlots slots of the transmit ring (a multiple of {@value #SLOTS_PER_BLOCK})
 * @param poolFrames frames of the queue's {@link io.jix.nic.FramePool}
 */
public record PacketConfig(int rxSlots, int txSlots, int poolFrames) {

    /** Ring slot and pool frame size: a full 1500-byte-MTU frame after the kernel's header fits. */
    public static final int FRAME_SIZE = 2048;
    /** Slots per ring block: 64 KiB blocks of 2 KiB slots, so that slots are contiguous in the mapping. */
    public static final int SLOTS_PER_BLOCK = 32;

    public PacketConfig {
        if (rxSlots <= 0 || rxSlots % SLOTS_PER_BLOCK != 0 || txSlots <= 0 || txSlots % SLOTS_PER_BLOCK != 0) {
            throw new IllegalArgumentException("ring slots must be positive multiples of " + SLOTS_PER_BLOCK
                    + ": rx " + rxSlots + ", tx " + txSlots);
        }
        if (poolFrames <= 0) {
            throw new IllegalArgumentException("pool frames must be positive: " + poolFrames);
        }
    }

    /** 4096 RX slots (8 MiB), 1024 TX slots (2 MiB), 4096 pool frames (8 MiB) per queue. */
    public static PacketConfig defaults() {
        return new PacketConfig(4096, 1024, 4096);
    }
}
