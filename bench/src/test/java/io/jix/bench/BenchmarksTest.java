package io.jix.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.jix.testkit.Allocations;
import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Keeps the benchmarks honest without running them: each does what its documentation says (the
 * frames are valid, every segment is delivered or sent, ACKs come as the delayed-ACK rule
 * says), allocates nothing per operation, and runs once through JMH's own harness.
 */
class BenchmarksTest {

    private static final int OPS = 20_000;

    @Test
    void receiveDeliversEverySegmentAndAcksEverySecond() {
        TcpReceiveBench b = new TcpReceiveBench();
        b.open();
        b.f.peer.verify = true;
        long acksBefore = b.f.peer.pureAcksOut;
        for (int i = 0; i < OPS; i++) {
            b.segment();
        }
        assertThat(b.f.received).isEqualTo((long) OPS * TcpReceiveBench.PAYLOAD);
        assertThat(b.f.peer.pureAcksOut - acksBefore).isEqualTo(OPS / 2);
        assertThat(b.f.peer.stackAck()).isEqualTo(b.f.peer.seq());
        for (int i = 0; i < OPS / TcpReceiveBench.BURST; i++) {
            b.burst32();
        }
        assertThat(b.f.recvEvents).isEqualTo(OPS + OPS / TcpReceiveBench.BURST * TcpReceiveBench.BURST);
        b.close();
    }

    @Test
    void receiveWithChecksumOffloadDeliversEverySegment() {
        TcpReceiveBench b = new TcpReceiveBench();
        TcpReceiveBench.Offloaded o = new TcpReceiveBench.Offloaded();
        b.open();
        o.open();
        o.f.peer.verify = true;
        for (int i = 0; i < OPS; i++) {
            b.segmentChecksumOffloaded(o);
        }
        assertThat(o.f.received).isEqualTo((long) OPS * TcpReceiveBench.PAYLOAD);
        assertThat(o.f.stack.rxChecksumVerified()).isTrue();
        o.close();
        b.close();
    }

    @Test
    void peerOnlyLeavesTheConnectionAlone() {
        TcpReceiveBench b = new TcpReceiveBench();
        b.open();
        int seq = b.f.peer.seq();
        int free = b.f.queue.pool().available();
        for (int i = 0; i < 1000; i++) {
            b.peerOnly();
        }
        assertThat(b.f.peer.seq()).isEqualTo(seq);
        assertThat(b.f.queue.pool().available()).isEqualTo(free);
        b.close();
    }

    @Test
    void sendTransmitsFullSegmentsAndTheWindowStaysOpen() {
        TcpSendBench b = new TcpSendBench();
        b.open();
        b.f.peer.verify = true;
        for (int i = 0; i < OPS; i++) {
            b.segment();
        }
        assertThat(b.f.peer.dataSegmentsOut).isEqualTo(OPS);
        assertThat(b.f.peer.bytesOut).isEqualTo((long) OPS * TcpSendBench.PAYLOAD);
        assertThat(b.f.acknowledged).isEqualTo((long) OPS * TcpSendBench.PAYLOAD);
        assertThat(b.f.peer.pureAcksOut).isZero();
        b.close();
    }

    @Test
    void pingPongRepliesInOneSegmentEach() {
        TcpPingPongBench b = new TcpPingPongBench();
        b.open();
        b.f.peer.verify = true;
        for (int i = 0; i < OPS; i++) {
            b.roundTrip();
        }
        assertThat(b.f.replied).isEqualTo((long) OPS * TcpPingPongBench.MESSAGE);
        assertThat(b.f.acknowledged).isEqualTo((long) (OPS - 1) * TcpPingPongBench.MESSAGE);
        b.close();
    }

    @Test
    void hotPathsAllocateNothing() {
        TcpReceiveBench receive = new TcpReceiveBench();
        TcpSendBench send = new TcpSendBench();
        TcpPingPongBench pingPong = new TcpPingPongBench();
        receive.open();
        send.open();
        pingPong.open();
        Runnable window = () -> {
            for (int i = 0; i < 1000; i++) {
                receive.segment();
                send.segment();
                pingPong.roundTrip();
            }
            for (int i = 0; i < 1000 / TcpReceiveBench.BURST; i++) {
                receive.burst32();
            }
        };
        long bytes = Allocations.steadyState(window, Allocations::ofCurrentThread, 300, 3000, 100);
        assertThat(bytes).as("bytes allocated over 100,000 operations of each").isZero();
        receive.close();
        send.close();
        pingPong.close();
    }

    @Test
    void everyBenchmarkRunsOnceUnderJmh() throws RunnerException {
        Options options = new OptionsBuilder()
                .include("io\\.jix\\.bench\\..*")
                .forks(0)
                .mode(Mode.SingleShotTime)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementBatchSize(1)
                .timeout(TimeValue.seconds(30))
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT)
                .build();
        Collection<RunResult> results = new Runner(options).run();
        assertThat(results).extracting(r -> r.getParams().getBenchmark()).containsExactlyInAnyOrder(
                "io.jix.bench.ChecksumBench.checksum1460",
                "io.jix.bench.TcpPingPongBench.roundTrip",
                "io.jix.bench.TcpReceiveBench.burst32",
                "io.jix.bench.TcpReceiveBench.peerOnly",
                "io.jix.bench.TcpReceiveBench.segment",
                "io.jix.bench.TcpReceiveBench.segmentChecksumOffloaded",
                "io.jix.bench.TcpSendBench.segment");
    }
}
