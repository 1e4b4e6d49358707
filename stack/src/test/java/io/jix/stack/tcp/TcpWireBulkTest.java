package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.wire.Faults;
import io.jix.nic.wire.Wire;
import io.jix.nic.wire.WireConfig;
import io.jix.stack.NetStack;
import io.jix.stack.NetStackConfig;
import io.jix.stack.ip.Ipv4;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The bulk test: jix ↔ jix over the in-memory wire with seeded faults (5 % loss, reordering,
 * duplication, 0.1 % corruption, both directions), {@value #DEFAULT_CONNECTIONS} concurrent
 * connections each carrying {@value #DEFAULT_MB} MiB each way, 10 GiB in all (system properties
 * {@code jix.bulk.mb} and {@code jix.bulk.connections} change them). Every stream must arrive
 * byte-exact (SHA-256 per connection and direction), every connection must close cleanly (both
 * sides see the peer's FIN and end with {@code dead(CLOSED)}), within a virtual-time and a
 * wall-clock limit.
 *
 * <p>How it fits in CI time: both stacks run on this thread on a virtual clock (also the wire's)
 * that moves {@value #BUSY_STEP_NANOS} ns per round while frames flow and jumps ahead, doubling
 * up to {@value #MAX_IDLE_STEP_NANOS} ns, while neither side receives anything, so waiting for a
 * retransmission timeout costs a few rounds instead of real time. Payload is generated in 64 KiB
 * chunks from a keyed mixing function into a small per-connection ring (send is by reference, so
 * a chunk is only rewritten once it is acknowledged); the receiver hashes each segment straight
 * out of its frame; and the expected digests are computed from the same function on a second
 * thread while the transfer runs.
 */
class TcpWireBulkTest {

    static final int DEFAULT_MB = 100;
    static final int DEFAULT_CONNECTIONS = 50;
    static final long BUSY_STEP_NANOS = 20_000;
    static final long MAX_IDLE_STEP_NANOS = 10_000_000;
    /** Half an hour of virtual time (the default run needs about 4 minutes). */
    private static final long VIRTUAL_LIMIT_NANOS = 1_800_000_000_000L;
    /** Five minutes of real time by default (the default run takes about 55 s on a 2-vCPU machine); {@code jix.bulk.wallSeconds}. */
    private static final long WALL_LIMIT_NANOS = Long.getLong("jix.bulk.wallSeconds", 300) * 1_000_000_000L;

    private static final int A = Ipv4.parse("198.18.0.3");
    private static final int B = Ipv4.parse("198.18.0.4");
    private static final int CHUNK = 64 * 1024;

    /** Word {@code index} of the stream keyed {@code key}: SplitMix64's finalizer over a Weyl sequence. */
    static long word(long key, long index) {
        long z = key + index * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Writes the {@link #CHUNK} bytes of stream {@code key} starting at stream offset {@code from} (a multiple of 8). */
    static void fill(MemorySegment dst, long at, long key, long from) {
        long w = from >>> 3;
        for (int i = 0; i < CHUNK; i += 8) {
            dst.set(ValueLayout.JAVA_LONG_UNALIGNED, at + i, word(key, w++));
        }
    }

    /** The stream key of connection {@code index}'s data from the client (0) or the server (1). */
    static long key(int index, int side) {
        return 0x6A09E667F3BCC909L ^ ((long) index << 1 | side) * 0xD1B54A32D192ED03L;
    }

    /** SHA-256 of the first {@code size} bytes of stream {@code key}, regenerated independently of the transfer. */
    static byte[] expected(long key, long size) {
        MessageDigest d = TcpWireTest.sha();
        byte[] buf = new byte[CHUNK];
        MemorySegment m = MemorySegment.ofArray(buf);
        for (long off = 0; off < size; off += CHUNK) {
            fill(m, 0, key, off);
            d.update(buf, 0, (int) Math.min(CHUNK, size - off));
        }
        return d.digest();
    }

    /** One direction of one connection as seen by one side: what it sends, what it receives. */
    static final class Flow {
        final int index;
        long conn = -1;
        long key;
        MemorySegment ring; // 2 × send buffer: a chunk is rewritten only after its bytes were acknowledged
        long generated;
        long offered;
        long acked;
        long received;
        boolean closeSent;
        boolean eof;
        int dead = -1;
        final MessageDigest rx = TcpWireTest.sha();
        byte[] digest;

        Flow(int index) {
            this.index = index;
        }
    }

    /** One side's application: every connection sends its own stream and hashes what it receives. */
    static final class Side implements TcpEvents {
        final int side;
        final long size;
        final Arena arena;
        final long ringBytes;
        TcpLayer tcp;
        final Flow[] flows;
        final Flow[] bySlot;
        int count;
        int open;
        final byte[] chunk = new byte[2048];

        Side(int side, int connections, long size, Arena arena, int sendBuffer, int slots) {
            this.side = side;
            this.size = size;
            this.arena = arena;
            this.ringBytes = 2L * ((sendBuffer + CHUNK - 1) / CHUNK) * CHUNK;
            flows = new Flow[connections];
            bySlot = new Flow[slots];
        }

        Flow add(long conn) {
            Flow f = new Flow(count);
            flows[count++] = f;
            f.conn = conn;
            f.key = key(f.index, side);
            f.ring = arena.allocate(ringBytes, 8);
            bySlot[(int) conn] = f;
            open++;
            return f;
        }

        void pump() {
            for (int i = 0; i < count; i++) {
                Flow f = flows[i];
                if (f.dead >= 0 || !tcp.valid(f.conn)) {
                    continue;
                }
                while (f.offered < size) {
                    if (f.offered == f.generated) {
                        if (f.generated - f.acked > ringBytes - CHUNK) {
                            throw new IllegalStateException("ring chunk still unacknowledged");
                        }
                        fill(f.ring, f.generated % ringBytes, f.key, f.generated);
                        f.generated += CHUNK;
                    }
                    long pos = f.offered % ringBytes;
                    int n = (int) Math.min(f.generated - f.offered, size - f.offered);
                    int took = tcp.send(f.conn, f.ring, pos, n);
                    if (took == 0) {
                        break;
                    }
                    f.offered += took;
                }
                if (!f.closeSent && f.acked == size) {
                    f.closeSent = true;
                    tcp.close(f.conn);
                }
            }
        }

        @Override
        public void accepted(long conn, int localPort, int remoteIp, int remotePort) {
            add(conn);
        }

        @Override
        public void connected(long conn, int status) {
            if (status != 0) {
                throw new AssertionError("connect failed: " + status);
            }
        }

        @Override
        public void recv(long conn, MemorySegment region, long offset, int length) {
            Flow f = bySlot[(int) conn];
            MessageDigest d = f.rx;
            for (int done = 0; done < length; ) {
                int n = Math.min(chunk.length, length - done);
                MemorySegment.copy(region, ValueLayout.JAVA_BYTE, offset + done, chunk, 0, n);
                d.update(chunk, 0, n);
                done += n;
            }
            f.received += length;
            tcp.recvDone(conn, length);
        }

        @Override
        public void eof(long conn) {
            bySlot[(int) conn].eof = true;
        }

        @Override
        public void sent(long conn, int bytes) {
            bySlot[(int) conn].acked += bytes;
        }

        @Override
        public void dead(long conn, int reason) {
            Flow f = bySlot[(int) conn];
            f.dead = reason;
            f.digest = f.rx.digest();
            open--;
        }

        String progress() {
            StringBuilder b = new StringBuilder();
            int shown = 0;
            for (int i = 0; i < count && shown < 8; i++) {
                Flow f = flows[i];
                if (f.dead == TcpEvents.CLOSED && f.received == size) {
                    continue;
                }
                shown++;
                b.append("\n  #").append(i).append(' ')
                        .append(f.dead < 0 && tcp.valid(f.conn) ? tcp.state(f.conn) : "dead " + f.dead)
                        .append(" offered ").append(f.offered).append(" acked ").append(f.acked)
                        .append(" received ").append(f.received).append(" eof ").append(f.eof);
            }
            return b.toString();
        }
    }

    @Test
    void hundredMegabytesEachWayOnFiftyConnectionsThroughLossReorderDuplicationCorruption() throws Exception {
        long size = Long.getLong("jix.bulk.mb", DEFAULT_MB) << 20;
        int connections = Integer.getInteger("jix.bulk.connections", DEFAULT_CONNECTIONS);
        Faults faults = Faults.builder().seed(20_140_101).drop(0.05).duplicate(0.02).reorder(0.05, 8)
                .corrupt(0.001).build();
        TcpConfig cfg = TcpConfig.defaults().withBuffers(256 * 1024, 256 * 1024);
        long[] clock = {1_000_000_000L};
        long wallStart = System.nanoTime();

        ExecutorService hasher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "expected-digests");
            t.setDaemon(true);
            return t;
        });
        try (Arena arena = Arena.ofShared();
             Wire wire = Wire.create(WireConfig.builder().frames(16384).ringSlots(4096).faults(faults)
                     .clock(() -> clock[0]).build())) {
            Future<byte[][][]> expectedDigests = hasher.submit(() -> {
                byte[][][] e = new byte[2][connections][];
                for (int i = 0; i < connections; i++) {
                    e[0][i] = expected(key(i, 0), size);
                    e[1][i] = expected(key(i, 1), size);
                }
                return e;
            });
            NetStack sa = new NetStack(wire.a(), NetStackConfig.builder(wire.a().mac(), "198.18.0.3", 24)
                    .gratuitousArp(false).build(), clock[0]);
            NetStack sb = new NetStack(wire.b(), NetStackConfig.builder(wire.b().mac(), "198.18.0.4", 24)
                    .gratuitousArp(false).build(), clock[0]);
            sa.addStaticArp(B, wire.b().mac());
            sb.addStaticArp(A, wire.a().mac());
            Side client = new Side(0, connections, size, arena, cfg.sendBuffer(), cfg.maxConnections());
            Side server = new Side(1, connections, size, arena, cfg.sendBuffer(), cfg.maxConnections());
            client.tcp = new TcpLayer(sa, cfg, client, new IsnGenerator(21, 22), new SynCookies(23, 24));
            server.tcp = new TcpLayer(sb, cfg, server, new IsnGenerator(25, 26), new SynCookies(27, 28));
            server.tcp.listen(80, connections);
            for (int i = 0; i < connections; i++) {
                long c = client.tcp.connect(B, 80);
                assertThat(c).isNotNegative();
                client.add(c);
            }

            long rounds = 0;
            long idleRounds = 0;
            long step = BUSY_STEP_NANOS;
            long start = clock[0];
            String failure = null;
            while (server.count < connections || client.open > 0 || server.open > 0) {
                int moved = sa.poll(clock[0]) + sb.poll(clock[0]);
                client.pump();
                server.pump();
                if (moved == 0) {
                    idleRounds++;
                    step = Math.min(step * 2, MAX_IDLE_STEP_NANOS);
                } else {
                    step = BUSY_STEP_NANOS;
                }
                clock[0] += step;
                if ((++rounds & 1023) == 0) {
                    if (clock[0] - start > VIRTUAL_LIMIT_NANOS) {
                        failure = "virtual-time limit";
                    } else if (System.nanoTime() - wallStart > WALL_LIMIT_NANOS) {
                        failure = "wall-clock limit";
                    }
                    if (failure != null) {
                        break;
                    }
                }
            }
            long wall = System.nanoTime() - wallStart;
            String summary = String.format("bulk: %d connections x %d MiB each way, %.1f s virtual, %d rounds"
                            + " (%d idle), wall %.1f s; retransmits %d/%d, bad segments %d/%d, challenge ACKs %d/%d",
                    connections, size >> 20, (clock[0] - start) / 1e9, rounds, idleRounds, wall / 1e9,
                    client.tcp.retransmits, server.tcp.retransmits, client.tcp.badSegments, server.tcp.badSegments,
                    client.tcp.challengeAcks, server.tcp.challengeAcks);
            System.err.println(summary);
            if (failure != null) {
                throw new AssertionError(failure + " hit: " + summary + "\nclient (unfinished):" + client.progress()
                        + "\nserver (unfinished):" + server.progress() + "\nclient stack " + sa.counters()
                        + "\nserver stack " + sb.counters());
            }

            byte[][][] want = expectedDigests.get();
            assertThat(server.count).isEqualTo(connections);
            // Which server connection belongs to which client connection is not known up front: each
            // client stream must have arrived whole on exactly one server connection, and that
            // connection's stream on the same client connection.
            HexFormat hex = HexFormat.of();
            for (Flow c : client.flows) {
                Flow match = null;
                for (Flow s : server.flows) {
                    if (Arrays.equals(s.digest, want[0][c.index])) {
                        assertThat(match).as("client stream %d arrived twice", c.index).isNull();
                        match = s;
                    }
                }
                assertThat(match).as("client stream %d (%d bytes acked) arrived byte-exact on no server connection",
                        c.index, c.acked).isNotNull();
                assertThat(match.received).isEqualTo(size);
                assertThat(c.received).as("client %d received", c.index).isEqualTo(size);
                assertThat(hex.formatHex(c.digest)).as("client %d received server stream %d", c.index, match.index)
                        .isEqualTo(hex.formatHex(want[1][match.index]));
            }
            for (Side s : new Side[] {client, server}) {
                for (Flow f : s.flows) {
                    assertThat(f.eof).as("side %d connection %d saw the FIN", s.side, f.index).isTrue();
                    assertThat(f.dead).as("side %d connection %d ended", s.side, f.index).isEqualTo(TcpEvents.CLOSED);
                    assertThat(f.acked).isEqualTo(size);
                }
            }
        } finally {
            hasher.shutdownNow();
        }
    }
}
