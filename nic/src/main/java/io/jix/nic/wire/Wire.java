package io.jix.nic.wire;

import io.jix.nic.FramePool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Two {@link WireQueue} endpoints in one JVM, {@link #a()} and {@link #b()}, joined by two
 * lock-free single-producer/single-consumer rings (one per direction) of fixed-size slots in
 * native memory: a NIC and a cable for stack tests and for demos that need no privileges. Each
 * endpoint has its own {@link FramePool} of 2048-byte frames; a frame is copied into a ring slot
 * on transmit and out of it on receive, so the two pools never share a frame.
 *
 * <p>Faults ({@link Faults}) can be configured per direction; they are applied and counted by
 * the sending endpoint.
 *
 * <p>All native memory comes from one shared {@link Arena} owned by the wire, freed when both
 * endpoints are closed (or by {@link #close()}, which closes both).
 */
public final class Wire implements AutoCloseable {

    /** Salt for the b-to-a direction's fault decisions, so one {@link Faults} on both does not fault the same frame numbers. */
    private static final long SALT_B_TO_A = 0x5851F42D4C957F2DL;

    private final WireConfig config;
    private final Arena arena;
    private final WireQueue a;
    private final WireQueue b;
    private int open = 2;

    private Wire(WireConfig c) {
        this.config = c;
        this.arena = Arena.ofShared();
        try {
            int frameSize = WireConfig.FRAME_SIZE;
            int maxData = frameSize - c.headroom();
            long poolBytes = (long) frameSize * c.frames();
            FramePool poolA = new FramePool(arena.allocate(poolBytes, 4096), frameSize, c.frames());
            FramePool poolB = new FramePool(arena.allocate(poolBytes, 4096), frameSize, c.frames());
            long ringBytes = WireRing.bytes(c.ringSlots(), maxData);
            WireRing aToB = new WireRing(arena.allocate(ringBytes, 4096), c.ringSlots(), maxData);
            WireRing bToA = new WireRing(arena.allocate(ringBytes, 4096), c.ringSlots(), maxData);
            long holdBytes = WireRing.bytes(Faults.MAX_REORDER_DISTANCE, maxData);
            MemorySegment holdA = arena.allocate(holdBytes, 64);
            MemorySegment holdB = arena.allocate(holdBytes, 64);
            this.a = new WireQueue(this, "a", c.macA(), poolA, c.headroom(), aToB, bToA, holdA, c.aToB(), 0,
                    c.bToA(), c.clock());
            this.b = new WireQueue(this, "b", c.macB(), poolB, c.headroom(), bToA, aToB, holdB, c.bToA(),
                    SALT_B_TO_A, c.aToB(), c.clock());
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** A new wire with both endpoints open. */
    public static Wire create(WireConfig config) {
        return new Wire(config);
    }

    /** A new wire with {@link WireConfig#builder() default} settings and no faults. */
    public static Wire create() {
        return new Wire(WireConfig.builder().build());
    }

    /** Endpoint a: transmits towards b with {@link WireConfig#aToB()} faults. */
    public WireQueue a() {
        return a;
    }

    /** Endpoint b: transmits towards a with {@link WireConfig#bToA()} faults. */
    public WireQueue b() {
        return b;
    }

    /** The configuration this wire was made with. */
    public WireConfig config() {
        return config;
    }

    synchronized void endpointClosed() {
        if (--open == 0) {
            arena.close();
        }
    }

    /** Closes both endpoints and frees the memory. Only once no thread uses either endpoint. Idempotent. */
    @Override
    public void close() {
        a.close();
        b.close();
    }
}
