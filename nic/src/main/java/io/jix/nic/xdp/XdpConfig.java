package io.jix.nic.xdp;

/**
 * Sizes and choices for one AF_XDP queue. Ring sizes are powers of two. The defaults: 2048-byte
 * frames, 16,384 of them (32 MiB of UMEM per queue), a fill ring of 8192 (2048 lost ~30 % of a
 * 1 Mpps burst as {@code fill_empty} on this machine kind; 8192 brought it under 1 %), RX, TX and
 * completion rings of 4096.
 *
 * @param frameSize       UMEM chunk size: 2048 or 4096
 * @param frameCount      frames in the UMEM; must exceed the fill ring so that frames remain to transmit
 * @param fillSize        fill ring entries
 * @param completionSize  completion ring entries, at least {@code txSize}
 * @param rxSize          RX ring entries
 * @param txSize          TX ring entries
 * @param zeroCopy        try a zero-copy bind first (falls back to copy mode when the driver refuses)
 * @param hugePages       try 2 MiB huge pages for the UMEM first (falls back to 4 KiB pages, saying so once)
 * @param needWakeup      bind with {@code XDP_USE_NEED_WAKEUP}: kick the kernel only when it asks
 */
public record XdpConfig(int frameSize, int frameCount, int fillSize, int completionSize, int rxSize, int txSize,
        boolean zeroCopy, boolean hugePages, boolean needWakeup) {

    /** The defaults described above. */
    public static final XdpConfig DEFAULT = new XdpConfig(2048, 16384, 8192, 4096, 4096, 4096, true, true, true);

    public XdpConfig {
        if (frameSize != 2048 && frameSize != 4096) {
            throw new IllegalArgumentException("frame size must be 2048 or 4096: " + frameSize);
        }
        power("fill", fillSize);
        power("completion", completionSize);
        power("rx", rxSize);
        power("tx", txSize);
        if (completionSize < txSize) {
            throw new IllegalArgumentException("completion ring (" + completionSize + ") smaller than TX ring ("
                    + txSize + ")");
        }
        if (frameCount <= fillSize) {
            throw new IllegalArgumentException(frameCount + " frames leave none beyond the fill ring of " + fillSize);
        }
    }

    /** The same with another number of frames and fill ring size (smaller queues for tests). */
    public XdpConfig withFrames(int count, int fill) {
        return new XdpConfig(frameSize, count, fill, completionSize, rxSize, txSize, zeroCopy, hugePages, needWakeup);
    }

    /** UMEM bytes. */
    public long umemBytes() {
        return (long) frameSize * frameCount;
    }

    private static void power(String ring, int n) {
        if (n <= 0 || Integer.bitCount(n) != 1) {
            throw new IllegalArgumentException(ring + " ring size must be a power of two: " + n);
        }
    }
}
