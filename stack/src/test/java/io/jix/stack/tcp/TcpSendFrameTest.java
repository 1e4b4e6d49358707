package io.jix.stack.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.nic.FramePool;
import io.jix.nic.wire.Faults;
import io.jix.nic.wire.Wire;
import io.jix.nic.wire.WireConfig;
import io.jix.stack.NetStack;
import io.jix.stack.NetStackConfig;
import io.jix.stack.ip.Ipv4;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Zero-copy send: the application writes into pool frames and hands them over with
 * {@link TcpLayer#sendFrame}; the segment leaves from that very frame (headers written in front),
 * retransmissions included once the NIC has given the frame back, and every frame returns to the
 * pool when acknowledged. Two stacks over the in-memory wire on a virtual clock.
 */
class TcpSendFrameTest {

    private static final int A = Ipv4.parse("198.18.0.3");
    private static final int B = Ipv4.parse("198.18.0.4");

    /** B's side: collects what arrives. */
    static final class Sink implements TcpEvents {
        TcpLayer tcp;
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        final byte[] chunk = new byte[2048];

        @Override
        public void accepted(long c, int localPort, int remoteIp, int remotePort) {
        }

        @Override
        public void connected(long c, int status) {
        }

        @Override
        public void recv(long c, MemorySegment region, long offset, int length) {
            MemorySegment.copy(region, ValueLayout.JAVA_BYTE, offset, chunk, 0, length);
            got.write(chunk, 0, length);
            tcp.recvDone(c, length);
        }

        @Override
        public void sent(long c, int bytes) {
        }

        @Override
        public void dead(long c, int reason) {
        }
    }

    /** A's side: counts what was acknowledged. */
    static final class Source implements TcpEvents {
        long conn = -1;
        int connected = Integer.MIN_VALUE;
        long acked;

        @Override
        public void accepted(long c, int localPort, int remoteIp, int remotePort) {
        }

        @Override
        public void connected(long c, int status) {
            connected = status;
        }

        @Override
        public void recv(long c, MemorySegment region, long offset, int length) {
        }

        @Override
        public void sent(long c, int bytes) {
            acked += bytes;
        }

        @Override
        public void dead(long c, int reason) {
        }
    }

    @Test
    void framesGoOutWithoutACopyAndComeBackWhenAcknowledged() {
        assertThat(transfer(Faults.NONE, 400)).isEqualTo(400); // every buffer left from its own frame
    }

    @Test
    void lostSegmentsAreRetransmittedFromTheSameFramesAndNothingLeaks() {
        Faults faults = Faults.builder().seed(21).drop(0.05).reorder(0.03, 4).duplicate(0.02).build();
        long inPlace = transfer(faults, 400);
        // Segments that must go out smaller than a buffer (a window cut by loss) are copied; most are not.
        assertThat(inPlace).as("segments sent in place, first transmissions and retransmissions").isGreaterThan(200);
    }

    /** Sends {@code buffers} frames of 1448 bytes from A to B; returns A's zero-copy segment count. */
    private static long transfer(Faults faults, int buffers) {
        long[] clock = {1_000_000_000L};
        try (Wire wire = Wire.create(WireConfig.builder().frames(2048).ringSlots(1024).faults(faults)
                .clock(() -> clock[0]).build())) {
            NetStack sa = new NetStack(wire.a(), NetStackConfig.builder(wire.a().mac(), "198.18.0.3", 24)
                    .gratuitousArp(false).build(), clock[0]);
            NetStack sb = new NetStack(wire.b(), NetStackConfig.builder(wire.b().mac(), "198.18.0.4", 24)
                    .gratuitousArp(false).build(), clock[0]);
            sa.addStaticArp(B, wire.b().mac());
            sb.addStaticArp(A, wire.a().mac());
            Source source = new Source();
            Sink sink = new Sink();
            TcpLayer ta = new TcpLayer(sa, TcpConfig.defaults(), source);
            sink.tcp = new TcpLayer(sb, TcpConfig.defaults(), sink);
            sink.tcp.listen(80, 4);
            source.conn = ta.connect(B, 80);
            FramePool pool = sa.pool();
            int freeAtStart = -1;
            int payload = sa.headroom() + TcpLayer.FRAME_PAYLOAD_OFFSET;
            int size = 1448;
            Random random = new Random(5);
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            byte[] data = new byte[size];
            int queued = 0;
            for (int round = 0; round < 2_000_000 && (queued < buffers || source.acked < (long) buffers * size); round++) {
                if (source.connected == 0 && freeAtStart < 0) {
                    freeAtStart = pool.available();
                }
                if (source.connected == 0 && queued < buffers) {
                    int frame = pool.allocate();
                    if (frame >= 0) {
                        random.nextBytes(data);
                        MemorySegment.copy(data, 0, pool.region(), ValueLayout.JAVA_BYTE, pool.offset(frame) + payload, size);
                        if (ta.sendFrame(source.conn, frame, payload, size) == size) {
                            expected.write(data, 0, size);
                            queued++;
                        } else {
                            pool.release(frame); // not taken: still ours
                        }
                    }
                }
                clock[0] += 20_000;
                sa.poll(clock[0]);
                sb.poll(clock[0]);
            }
            assertThat(source.acked).as("bytes acknowledged").isEqualTo((long) buffers * size);
            assertThat(sink.got.toByteArray()).as("bytes received, in order").isEqualTo(expected.toByteArray());
            for (int i = 0; i < 10; i++) { // let the last completions come back
                clock[0] += 20_000;
                sa.poll(clock[0]);
            }
            assertThat(pool.available()).as("every frame back in A's pool").isEqualTo(freeAtStart);
            return ta.zeroCopySegments;
        }
    }
}
